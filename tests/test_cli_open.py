"""``postil [PATH ...]`` routes to the app; subcommands stay subcommands."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import tui.app
from tests.conftest import SAMPLE_POSTS
from tui.cli import main


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record what the app would have been opened with, instead of opening it."""
    calls: list[dict[str, Any]] = []

    def fake_run_app(paths: list[str], store: str | None = None) -> None:
        calls.append({"paths": paths, "store": store})

    monkeypatch.setattr(tui.app, "run_app", fake_run_app)
    return calls


@pytest.mark.parametrize(
    ("argv", "paths", "store"),
    [
        (["some/folder"], ["some/folder"], None),
        (["a", "b", "--store", "s.json"], ["a", "b"], "s.json"),
        (["--store", "s.json", "a"], ["a"], "s.json"),
        (["--store=s.json", "a"], ["a"], "s.json"),
        (["open", "a"], ["a"], None),
    ],
)
def test_paths_and_store_reach_the_app(
    opened: list[dict[str, Any]], argv: list[str], paths: list[str], store: str | None
) -> None:
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output
    assert opened == [{"paths": paths, "store": store}]


def opened_corpus(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> list[Path]:
    """The corpus folders ``postil ARGV`` builds the app on (without running it)."""
    built: list[list[Path]] = []
    monkeypatch.setattr(tui.app.PostilApp, "run", lambda self: built.append(self.paths))
    monkeypatch.setattr(tui.app.PostilApp, "return_code", 0)
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output
    return built[0]


def test_no_path_opens_postil_corpus_else_the_configs_else_the_sample(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert opened_corpus(monkeypatch, []) == [SAMPLE_POSTS]
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "postil" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'corpus = ["{tmp_path / "from-config"}"]\n', encoding="utf-8")
    assert opened_corpus(monkeypatch, []) == [tmp_path / "from-config"]
    assert opened_corpus(monkeypatch, [str(SAMPLE_POSTS)]) == [SAMPLE_POSTS]  # as given
    monkeypatch.setenv("POSTIL_CORPUS", f"{tmp_path / 'x'}:{tmp_path / 'y'}")
    assert opened_corpus(monkeypatch, []) == [tmp_path / "x", tmp_path / "y"]


def test_subcommand_is_not_taken_for_a_path(opened: list[dict[str, Any]]) -> None:
    result = CliRunner().invoke(main, ["check", "--help"])
    assert result.exit_code == 0
    assert "cannot be read properly" in result.output
    assert opened == []


def test_run_app_exits_with_the_apps_return_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """After SIGHUP the app's return code is 129: the process must exit with it."""

    class HungUp:
        return_code = 129

        def run(self) -> None:
            pass

    monkeypatch.setattr(tui.app, "make_app", lambda *a, **k: HungUp())
    with pytest.raises(SystemExit) as exited:
        tui.app.run_app([str(tmp_path)])
    assert exited.value.code == 129


def test_run_app_returns_normally_after_quit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class Quit:
        return_code = 0

        def run(self) -> None:
            pass

    monkeypatch.setattr(tui.app, "make_app", lambda *a, **k: Quit())
    tui.app.run_app([str(tmp_path)])
