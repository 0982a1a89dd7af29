"""Sentence and word boundaries for Chinese and English text."""

from __future__ import annotations

from tui.render import build_document
from tui.render.sentences import sentence_spans, word_spans


def _sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def test_chinese_sentences_keep_closing_quotes() -> None:
    text = "他说：“你好。”我们走吧！真的？好的……然后呢；再见"
    assert _sentences(text) == [
        "他说：“你好。”",
        "我们走吧！",
        "真的？",
        "好的……",
        "然后呢；",
        "再见",
    ]


def test_chinese_closing_brackets_attach() -> None:
    assert _sentences("「走吧。」（真的！）最后") == ["「走吧。」", "（真的！）", "最后"]


def test_english_sentences() -> None:
    text = 'He left. "Why?" she asked! It was 3.14 e.g. here, said Mr. Smith. J. Doe agreed; fine'
    assert _sentences(text) == [
        "He left.",
        '"Why?"',
        "she asked!",
        "It was 3.14 e.g. here, said Mr. Smith.",
        "J. Doe agreed;",
        "fine",
    ]


def test_mixed_and_no_terminator() -> None:
    assert _sentences("AI 很重要。It matters. 对吧") == ["AI 很重要。", "It matters.", "对吧"]
    assert _sentences("no terminator at all") == ["no terminator at all"]
    assert _sentences("") == []


def test_sentences_never_cross_a_block_boundary() -> None:
    doc = build_document("<p>First paragraph without an end</p><p>第二段没有句号</p>")
    spans = sentence_spans(doc.text)
    assert [doc.text[a:b] for a, b in spans] == ["First paragraph without an end", "第二段没有句号"]
    for a, b in spans:
        assert "\n" not in doc.text[a:b]
        assert doc.block_at(a) == doc.block_at(b - 1)


def test_spans_exclude_surrounding_spaces() -> None:
    text = "  One.   Two.  "
    assert sentence_spans(text) == [(2, 6), (9, 13)]


def test_word_spans_cjk_one_character_each() -> None:
    text = "Hello, world’s end-game 中文字 3.14！"
    words = [text[a:b] for a, b in word_spans(text)]
    assert words == ["Hello", "world’s", "end-game", "中", "文", "字", "3.14"]
