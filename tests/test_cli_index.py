"""``postil index`` and the text side of ``postil ls``: words in the posts' text, snippets,
and a build stopped half-way."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tui.cli import main


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "posts"
    folder.mkdir()
    posts = {
        "2024-03-01-harbour.md": (
            "Harbour notes",
            '<p>The <a href="https://example.com/lighthouse">ferry</a> left at dawn.</p>'
            "<p>渔船在清晨回港，码头上很安静。</p>",
        ),
        "2024-03-02-market.md": ("Market day", "<p>Fish were sold in the square.</p>"),
        "2024-03-03-hills.md": ("Hill walk", "<p>港口在山下。</p>"),
    }
    for name, (title, body) in posts.items():
        (folder / name).write_text(
            f"---\ntitle: {title}\ndate: {name[:10]}\nauthor: Wen\n---\n{body}\n", encoding="utf-8"
        )
    return folder


def _ls(runner: CliRunner, corpus: Path, *args: str) -> list[dict[str, str]]:
    result = runner.invoke(main, ["ls", str(corpus), "--json", *args])
    assert result.exit_code == 0, result.output
    rows: list[dict[str, str]] = json.loads(result.stdout)
    return rows


def test_index_is_quiet_off_a_terminal_and_ls_finds_words_of_the_text(corpus: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["index", str(corpus)])
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""
    titles = [row["title"] for row in _ls(runner, corpus, "-q", "码头")]
    assert titles == ["Harbour notes"]
    # One character finds both posts that have it; a word only in a link's address none.
    assert {row["title"] for row in _ls(runner, corpus, "-q", "港")} == {
        "Harbour notes",
        "Hill walk",
    }
    assert _ls(runner, corpus, "-q", "lighthouse") == []
    assert [row["title"] for row in _ls(runner, corpus, "-q", '"the square"')] == ["Market day"]


def test_snippets_mark_the_matches(corpus: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["index", str(corpus)]).exit_code == 0
    (row,) = _ls(runner, corpus, "-q", "text:ferry", "--snippets")
    assert "[[ferry]]" in row["snippet"]
    assert "snippet" not in _ls(runner, corpus)[0]
    # Without --json there is no row to add the field to: said, not ignored.
    table = runner.invoke(main, ["ls", str(corpus), "-q", "ferry", "--snippets"])
    assert table.exit_code == 2
    assert table.stderr == "postil: --snippets adds a field to the JSON rows: give --json too.\n"


def test_a_text_query_before_any_index_is_answered(corpus: Path) -> None:
    """``ls -q`` with a word of the text indexes the text first (nothing was built)."""
    titles = [row["title"] for row in _ls(CliRunner(), corpus, "-q", "清晨")]
    assert titles == ["Harbour notes"]


def test_ctrl_c_keeps_what_is_indexed_and_says_so(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui.corpus.index.build as build_module

    real_build = build_module.build

    def interrupted(index: object, report: object, **kwargs: object) -> bool:
        def on_event(event: build_module.Event) -> None:
            if event.phase == "text":
                raise KeyboardInterrupt
            report(event)  # type: ignore[operator]

        return real_build(index, on_event, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(build_module, "build", interrupted)
    runner = CliRunner()
    result = runner.invoke(main, ["index", str(corpus)])
    assert result.exit_code == 130
    assert result.stderr.startswith("postil: stopped with ")
    assert "of 3 posts' text indexed" in result.stderr
    monkeypatch.setattr(build_module, "build", real_build)
    assert runner.invoke(main, ["index", str(corpus)]).exit_code == 0
    assert [row["title"] for row in _ls(runner, corpus, "-q", "码头")] == ["Harbour notes"]


def test_index_says_it_follows_another_process_indexing_the_text(corpus: Path) -> None:
    """The app's indexing process holds the text indexer: ``postil index`` says so, shows
    that process's progress, and indexes what is left once it ends."""
    import fcntl
    import threading

    from tui.corpus.index import CorpusIndex

    runner = CliRunner()
    assert runner.invoke(main, ["ls", str(corpus)]).exit_code == 0  # the index exists
    folder = CorpusIndex([corpus]).db.folder
    fd = os.open(folder / "text.lock", os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process indexing the text
    threading.Timer(1.0, os.close, (fd,)).start()  # ...that ends a second later
    result = runner.invoke(main, ["index", str(corpus)])
    assert result.exit_code == 0, result.output
    assert result.stderr.count("another postil process is indexing the posts' text") == 1
    assert [row["title"] for row in _ls(runner, corpus, "-q", "码头")] == ["Harbour notes"]


@pytest.mark.parametrize("args", [["index"], ["ls", "-q", "author:wen"]])
def test_a_terminal_sees_the_fields_being_indexed(
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
    bars_drawn: Callable[[], str],
    args: list[str],
) -> None:
    """At 500k posts the fields take ~45 s; ``ls -q`` and ``index`` said nothing then."""
    from tui.corpus.index import feed

    monkeypatch.setattr(feed, "FIELDS_PROGRESS_EVERY", 1)
    result = CliRunner().invoke(main, [args[0], str(corpus), *args[1:]])
    assert result.exit_code == 0, result.output
    assert "indexing the posts' fields" in bars_drawn() and "3/3" in bars_drawn()
