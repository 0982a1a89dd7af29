"""Wrapping by terminal cell width: CJK never split or overflowing, Latin at spaces."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from tui.render import build_document
from tui.render.layout import Layout
from tui.render.wrap import wrap

MIXED = st.lists(
    st.sampled_from(list("中文字汉测试。，“”") + list("abc xyz") + ["😀", "e\u0301"]),
    min_size=1,
    max_size=300,
).map("".join)


@settings(max_examples=80, deadline=None)
@given(text=MIXED, width=st.integers(2, 60))
def test_wrap_fits_and_loses_only_break_spaces(text: str, width: int) -> None:
    lines = wrap(text, width)
    position = 0
    for start, end in lines:
        assert cell_len(text[start:end]) <= width
        assert text[position:start].strip() == ""  # only whitespace dropped at breaks
        position = end
    assert text[position:].strip() == ""


def test_cjk_breaks_between_characters_and_keeps_punctuation_attached() -> None:
    text = "中文字符测试，这是一个句子。"
    lines = [text[a:b] for a, b in wrap(text, 12)]
    assert lines == ["中文字符测", "试，这是一个", "句子。"]
    assert all(not line.startswith(("，", "。")) for line in lines)


def test_latin_breaks_at_spaces_and_long_words_break_hard() -> None:
    text = "Hello world wrapping averyveryverylongwordthatexceeds"
    assert [text[a:b] for a, b in wrap(text, 12)] == [
        "Hello world",
        "wrapping",
        "averyveryver",
        "ylongwordtha",
        "texceeds",
    ]


def test_a_latin_word_too_long_for_the_line_keeps_its_closing_punctuation() -> None:
    """The ASCII fast path broke ``highlight?`` at 9 cells right before the ``?``."""
    text = "Delete this highlight?"
    assert [text[a:b] for a, b in wrap(text, 9)] == ["Delete", "this", "highligh", "t?"]


def test_mixed_cjk_latin_line_breaks_naturally() -> None:
    text = "人工智能 artificial intelligence 迅猛发展"
    lines = [text[a:b] for a, b in wrap(text, 20)]
    assert lines == ["人工智能 artificial", "intelligence 迅猛发", "展"]


@settings(max_examples=30, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("漢字かなカナ한글。、")), min_size=1, max_size=400)
)
def test_layout_of_cjk_never_exceeds_width(text: str) -> None:
    doc = build_document(f"<blockquote><ul><li>{text}</li></ul></blockquote>")
    for width in (20, 21, 33, 80):
        joined = ""
        for line in Layout(doc, width).lines():
            assert cell_len(line.text.plain) <= width
            joined += "".join(
                c for c, o in zip(line.text.plain, line.offsets, strict=True) if o >= 0
            )
        assert joined == doc.text
