"""Sentence and word boundaries over the canonical text, for keyboard selection.

A sentence ends after a terminator and any closing quotes or brackets that follow it:
CJK ``。！？；…`` (and their half-width forms) always; Latin ``. ! ? ;`` only when a
space or the end of the line follows, and not after a common abbreviation ("e.g.",
"Dr.") or a single capital initial ("J."). A line end always ends a sentence, so a
span never crosses a block's blank line (nor a table row or a code line).
"""

from __future__ import annotations

import re

_CJK_END = "。！？；…｡!?"
_LATIN_END = ".!?;"
_CLOSERS = "”’」』）》〉】〕\"')]}»"
_ABBREVIATIONS = frozenset(
    "e.g i.e vs mr mrs ms dr prof sr jr fig pp vol cf al approx dept".split()
)
_LINE = re.compile(r"[^\n]+")
_WORD = re.compile(
    r"[\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf"
    r"\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"
    r"|[^\W_](?:[^\W_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]|['’\-.](?=[^\W_]))*"
)
"""One CJK ideograph or kana, or a run of letters/digits (inner ' - . allowed)."""


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences of ``text`` as ``(start, end)`` offsets, surrounding spaces excluded.

    Args:
        text: The canonical text (or any part of it).

    Returns:
        Non-overlapping spans in order; blank lines are never inside one.
    """
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        _line_sentences(text, line.start(), line.end(), spans)
    return spans


def _line_sentences(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    i = start
    begin = start
    while i < end:
        ch = text[i]
        stop = -1
        if ch in _CJK_END or (ch in _LATIN_END and _latin_end(text, begin, i, end)):
            stop = i + 1
            while stop < end and (text[stop] in _CJK_END or text[stop] in _LATIN_END):
                stop += 1
            while stop < end and text[stop] in _CLOSERS:
                stop += 1
        if stop > 0:
            _add(text, begin, stop, spans)
            begin = i = stop
        else:
            i += 1
    _add(text, begin, end, spans)


def _latin_end(text: str, begin: int, i: int, end: int) -> bool:
    """Whether the Latin terminator at ``i`` ends a sentence."""
    after = i + 1
    while after < end and (text[after] in _CLOSERS or text[after] in _LATIN_END):
        after += 1
    if after < end and not text[after].isspace():
        return False
    if text[i] != ".":
        return True
    word_start = i
    while word_start > begin and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:i].lstrip("(\"'“‘").lower()
    if word in _ABBREVIATIONS:
        return False
    return not (len(word) == 1 and text[i - 1].isupper())


def _add(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))


def word_spans(text: str) -> list[tuple[int, int]]:
    """Words of ``text``: each CJK character alone, else runs of letters and digits.

    Punctuation and spaces belong to no word.
    """
    return [m.span() for m in _WORD.finditer(text)]
