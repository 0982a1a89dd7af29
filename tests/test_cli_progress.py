"""The CLI's progress bar: on a terminal only, after a moment, with the time left."""

from __future__ import annotations

import io
import re
import time

import pytest

import tui.cli.corpus_output as output
from tui.cli.corpus_output import ProgressBar


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_the_count_and_the_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "PROGRESS_AFTER_S", 0.0)
    stream = Terminal()
    bar = ProgressBar(stream)
    update = bar.callback("indexing the posts' text")
    update(1_000, 50_000)
    time.sleep(0.2)
    update(2_000, 50_000)  # 1,000 posts in 0.2 s: 48,000 more in ~10 s
    bar._progress.refresh()
    bar.close()
    drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", stream.getvalue())  # colours, cursor
    assert "indexing the posts' text" in drawn and "2000/50000" in drawn
    left = re.findall(r"(\d+):(\d\d):(\d\d) left", drawn)
    assert left, drawn
    hours, minutes, seconds = map(int, left[-1])
    assert 3 <= hours * 3600 + minutes * 60 + seconds <= 60


def test_nothing_is_drawn_off_a_terminal_or_before_a_moment() -> None:
    piped = io.StringIO()
    bar = ProgressBar(piped)
    bar.callback("reading post files")(10, 100)
    bar.close()
    assert piped.getvalue() == ""
    terminal = Terminal()
    bar = ProgressBar(terminal)  # PROGRESS_AFTER_S has not passed: a warm start shows nothing
    bar.callback("reading post files")(10, 100)
    bar.close()
    assert terminal.getvalue() == ""
