"""The reader's quote with its citation, and where a browser can open."""

from __future__ import annotations

from annotations.model import PostSnapshot
from tui.reading.sharing import can_open_browser, quote_with_citation


def test_quote_with_citation_format() -> None:
    snapshot = PostSnapshot("abc", "/p.md", "A [b]title", None, "Ann", None)
    assert (
        quote_with_citation("one\ntwo\x1b[31m", snapshot) == "> one\n> two[31m\n— A [b]title, Ann"
    )


def test_browser_only_with_local_display() -> None:
    assert can_open_browser({"DISPLAY": ":0"}, "linux")
    assert not can_open_browser({}, "linux")
    assert not can_open_browser({"DISPLAY": ":0", "SSH_CONNECTION": "1 2 3 4"}, "linux")
    assert can_open_browser({}, "darwin")
    assert not can_open_browser({"SSH_TTY": "/dev/pts/1"}, "darwin")
