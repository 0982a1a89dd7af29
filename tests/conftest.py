"""Seals every test off from the developer's own store, config, cache and corpus."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# CI (`.ci/run` sets CI=1) runs each property test on the same examples every time, so a
# red build always names a change; `make test` elsewhere explores new ones, and
# .hypothesis/ replays any failure it found.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
REALWORLD = SHARED / "realworld"
SAMPLE_POSTS = ROOT / "sample_posts"


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Point XDG folders and POSTIL_* variables at a temporary folder."""
    home = tmp_path_factory.mktemp("home")
    for var, sub in (
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_STATE_HOME", "state"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    # postil serve's socket and link files; platformdirs accepts only a 0700 folder.
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("POSTIL_STORE", str(home / "data" / "postil" / "annotations.json"))
    monkeypatch.delenv("POSTIL_CORPUS", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    # Rich picks the colour system from TERM/COLORTERM when an app is built; without
    # them it assumes 16 colours, and the reader then draws highlights in ANSI colours.
    # Pin truecolor so snapshots do not depend on the shell that runs the tests.
    monkeypatch.setenv("COLORTERM", "truecolor")
    yield home


@pytest.fixture
def bars_drawn(monkeypatch: pytest.MonkeyPatch) -> Callable[[], str]:
    """Make the CLI's progress bars draw at once, as on a terminal, into a buffer; the
    returned function gives what they drew (escape sequences removed)."""
    import io
    import re

    import tui.cli.corpus_output as output

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    made = output.ProgressBar.__init__

    def on_terminal(self: output.ProgressBar, stream: object = None) -> None:
        made(self, terminal)

    monkeypatch.setattr(output.ProgressBar, "__init__", on_terminal)
    monkeypatch.setattr(output, "PROGRESS_AFTER_S", 0.0)
    return lambda: re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.getvalue())
