"""needs_cleaning agrees with the NEEDS_CLEANING regex it replaces on the hot path."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.corpus import text

_TRICKY = " \t\n\x0b\x0c\r\x1c\x85\xa0\u2000\u2028\u3000&\x1b\x9fa中\u202e\u2066\u200f"


def test_no_whitespace_above_u3000() -> None:
    assert not [c for c in map(chr, range(0x3001, 0x110000)) if c.isspace()]


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(_TRICKY), max_size=8) | st.text(max_size=20))
def test_same_answer_as_the_regex(value: str) -> None:
    assert text.needs_cleaning(value) == bool(text.NEEDS_CLEANING.search(value))


def test_examples() -> None:
    assert not text.needs_cleaning("plain title 中文")
    for dirty in ("a  b", "a\tb", "a\u3000b", "&amp;", "x\x1b[31m", " \n", "\u202etxt.exe"):
        assert text.needs_cleaning(dirty), dirty


def test_a_one_line_value_loses_its_bidi_controls() -> None:
    """A title ordered right to left by U+202E would show ``exe.txt`` for ``txt.exe``;
    the isolates, embeddings and marks go too (the post's text already drops them)."""
    assert text.clean_line("Evil \u202etxt.exe") == "Evil txt.exe"
    assert text.clean_line("\u2067主题\u2069 \u202aA\u202c\u200e") == "主题 A"
    assert text.clean_line("emoji 👩\u200d💻 stays") == "emoji 👩\u200d💻 stays"
