"""What a text term of the query language matches, for the search engine and by brute force.

Text is compared *folded*: each character NFKC-normalised, case-folded and, for Chinese,
turned from traditional into simplified (character by character, so ``臺灣`` and ``台湾``
are the same), invisible characters dropped (zero-width spaces and joiners, soft hyphens,
variation selectors, bidi marks: Unicode's default-ignorable code points, so ``葛󠄀城``
written with an ideographic variation selector is ``葛城``), every other space a plain
space and every line break a newline.

Folded text is a sequence of *tokens*: each Chinese or Japanese character (Han, kana) is
a token of its own; any other run of letters, digits and combining marks is one token (a
word). Between two tokens lies a *separator*: none or only spaces makes them *adjacent*;
anything else (punctuation, a line break, a paragraph break) is a *gap*.

A term (a bare word or a quoted phrase) is tokenized the same way. It matches a text
when its tokens occur there consecutively, each pair adjacent where the term's pair is
adjacent and apart by a gap where the term's is. So ``中国`` finds ``中国人`` but never
``中，国``; ``国美`` does not find ``中国，美国``; ``trade market`` finds
``Trade  market`` but not ``trade, market`` nor ``trademarket``; ``econ`` does not find
``economy`` (Latin-script words match whole); ``covid疫苗`` finds ``COVID 疫苗``.

The engine indexes every token (one-token terms look one term up) and every pair of
consecutive tokens with what lies between them (``adjacent`` or ``gap``): a longer term is
a phrase of its pairs, so a word of any length is found exactly, with no false positive
and no miss. :func:`matches` is the brute-force reference the engine is tested against;
:func:`find_spans` finds the matches in a text for snippets and in-post search.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate
from typing import Final

CJK_RANGES: Final[str] = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u31f0-\u31ff"  # katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\U00020000-\U0003ffff"  # CJK extensions B-H
)
"""Characters that are each a token of their own (scripts written without spaces)."""

ADJACENT: Final[str] = "\ue000"
"""Joins the two tokens of an indexed pair that nothing but spaces separates."""
GAP: Final[str] = "\ue001"
"""Joins the two tokens of an indexed pair that a gap separates."""

_LINE_BREAKS: Final[str] = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
INVISIBLE: Final[frozenset[int]] = frozenset(
    code
    for first, last in (
        (0x00AD, 0x00AD),
        (0x034F, 0x034F),
        (0x061C, 0x061C),
        (0x115F, 0x1160),
        (0x17B4, 0x17B5),
        (0x180B, 0x180F),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x206F),
        (0x3164, 0x3164),
        (0xFE00, 0xFE0F),
        (0xFEFF, 0xFEFF),
        (0xFFA0, 0xFFA0),
        (0xFFF0, 0xFFF8),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0000, 0xE0FFF),
    )
    for code in range(first, last + 1)
)
"""Unicode's default-ignorable code points (DerivedCoreProperties.txt): drawn as nothing,
so removed by every folding (here and the query's fields); between two characters they
leave them adjacent."""

_WITHOUT_INVISIBLE: Final[dict[int, None]] = dict.fromkeys(INVISIBLE)


def without_invisible(text: str) -> str:
    """``text`` without its `INVISIBLE` characters."""
    return text.translate(_WITHOUT_INVISIBLE)


_WITHOUT_MARKS: Final[tuple[tuple[int, int], ...]] = (
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7A3),  # Hangul syllables
    (0xD800, 0xF8FF),  # surrogates, private use
    (0x20000, 0x2FFFF),  # CJK extensions B-H
)
"""Blocks that hold no combining mark (a test checks), skipped when `_marks` lists them:
the scan is at the start of every process that tokenizes."""


@cache
def _marks() -> str:
    """A regex class body of every combining mark (category M*) below U+30000: part of
    words. (Those above, variation selectors, are dropped by `fold`.)"""
    ranges: list[str] = []
    start = previous = -2
    lo = 0x300
    spans: list[range] = []
    for first, last in _WITHOUT_MARKS:
        spans.append(range(lo, first))
        lo = last + 1
    spans.append(range(lo, 0x30000))
    for code in itertools.chain.from_iterable(spans):
        if unicodedata.category(chr(code))[0] != "M":
            continue
        if code != previous + 1:
            if start >= 0:
                ranges.append(_range(start, previous))
            start = code
        previous = code
    ranges.append(_range(start, previous))
    return "".join(ranges)


def _range(first: int, last: int) -> str:
    return re.escape(chr(first)) + ("" if first == last else "-" + re.escape(chr(last)))


@cache
def _patterns() -> _Patterns:
    """The compiled patterns (built on first use: the class of marks takes ~30 ms).

    Folded text has no underscore (`fold` makes it a hyphen), so ``\\w`` plus the marks
    is exactly the token characters.
    """
    token_char = f"[\\w{_marks()}]"
    return _Patterns(
        run=re.compile(f"({token_char}+)"),
        has_cjk=re.compile(f"[{CJK_RANGES}]"),
        all_cjk=re.compile(f"[{CJK_RANGES}]+"),
        token=re.compile(f"[{CJK_RANGES}]|[^\\W{CJK_RANGES}]+"),
        word_char=f"(?:[^\\W{CJK_RANGES}]|[{_marks()}])",
        separator_char=f"[^\\w{_marks()}]",
    )


@dataclass(frozen=True, slots=True)
class _Patterns:
    run: re.Pattern[str]
    """A run of token characters (tokens with nothing between them), as a group:
    splitting by it gives the separators and the runs."""
    has_cjk: re.Pattern[str]
    all_cjk: re.Pattern[str]
    token: re.Pattern[str]
    """One token (within a run)."""
    word_char: str
    """A regex matching a character of a word (a token that is not Chinese or Japanese)."""
    separator_char: str
    """A regex class of the other characters."""


def _fold_char(char: str) -> str:
    """One character folded (see the module's docstring)."""
    if ord(char) in INVISIBLE:
        return ""
    if char in _LINE_BREAKS:
        return "\n"
    if char == "_":
        return "-"  # a separator, like any other punctuation (\\w would take it)
    if char.isspace():
        return " "
    folded = unicodedata.normalize("NFKC", char).casefold()
    if not unicodedata.is_normalized("NFKC", folded):
        folded = unicodedata.normalize("NFKC", folded)
    return _simplified(folded).replace("_", "-")


def _simplified(text: str) -> str:
    """Traditional Chinese characters of ``text`` as simplified ones, character by character."""
    from tui.render.script import fold_script

    return fold_script(text)


class _FoldTable(dict[int, str]):
    """``str.translate`` table that folds each character the first time it is met."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        self[code] = folded
        return folded


_TABLE = _FoldTable()


def fold(text: str) -> str:
    """``text`` folded for comparison (see the module's docstring).

    Characters are folded one by one, which cannot compose a letter written as a base
    and a combining mark (``e`` + U+0301, as some front matter has it) into the one the
    query holds (``é``): text that is not NFC is made so first. (Canonical text is.)
    """
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text.translate(_TABLE)


def _tokenize(folded: str) -> tuple[list[str], list[str]]:
    """The tokens of folded text, and for each token but the first its joiner to the one
    before (`ADJACENT` or `GAP`).

    Works run by run (a run of token characters is one word, a stretch of Chinese, or
    rarely both): a few dozen regex matches a post instead of one per character.
    """
    patterns = _patterns()
    # [separator, run, separator, run, ..., separator]: one pass finds both.
    parts = patterns.run.split(folded)
    tokens: list[str] = []
    joiners: list[str] = []
    has_cjk, all_cjk, token = patterns.has_cjk.search, patterns.all_cjk.fullmatch, patterns.token
    for index in range(1, len(parts), 2):
        run = parts[index]
        if index > 1:
            joiners.append(GAP if _is_gap(parts[index - 1]) else ADJACENT)
        if has_cjk(run) is None:
            tokens.append(run)
            continue
        pieces: str | list[str] = run if all_cjk(run) else token.findall(run)
        tokens += pieces  # a string adds its characters
        joiners += ADJACENT * (len(pieces) - 1)
    return tokens, joiners


@lru_cache(maxsize=4096)
def _is_gap(separator: str) -> bool:
    return bool(separator.strip(" "))


def index_terms(text: str) -> tuple[str, str]:
    """What the engine indexes of a text: its tokens, and its pairs of consecutive tokens.

    Both are space-separated (the engine's tokenizer splits on whitespace): the tokens in
    order (the engine counts them for ranking), each pair as ``first + joiner + second``
    in order (the engine records their positions, so a term is a phrase of its pairs).

    Args:
        text: Any text (title, author, a tag, a post's canonical text), not folded.

    Returns:
        (tokens, pairs), each a space-separated string (empty when there is none).
    """
    tokens, joiners = _tokenize(fold(text))
    count = len(tokens)
    if count < 2:
        return " ".join(tokens), ""
    # first, joiner, second, space; first, joiner, second, space; ...; first, joiner, second
    pairs = [" "] * (4 * count - 5)
    pairs[0::4] = tokens[:-1]
    pairs[1::4] = joiners
    pairs[2::4] = tokens[1:]
    return " ".join(tokens), "".join(pairs)


@dataclass(frozen=True, slots=True)
class Chain:
    """A text term as the engine looks it up: one token, or a phrase of pairs."""

    tokens: tuple[str, ...]
    gaps: tuple[bool, ...]
    """For each token but the first: whether a gap must precede it."""

    @property
    def pairs(self) -> tuple[str, ...]:
        """The indexed pairs the term is a phrase of (empty for a one-token term)."""
        joiners = (GAP if gap else ADJACENT for gap in self.gaps)
        return tuple(
            a + j + b for a, j, b in zip(self.tokens, joiners, self.tokens[1:], strict=False)
        )


def chain_of(term: str) -> Chain | None:
    """The chain of a typed term, or None when it has no token (only punctuation).

    Args:
        term: A bare word or a phrase as the user typed it.
    """
    tokens, joiners = _tokenize(fold(unicodedata.normalize("NFC", term)))
    if not tokens:
        return None
    return Chain(tuple(tokens), tuple(joiner == GAP for joiner in joiners))


@lru_cache(maxsize=256)
def _chain_regex(chain: Chain) -> re.Pattern[str]:
    """A regex over folded text that matches exactly where ``chain`` occurs."""
    patterns = _patterns()
    word_char, separator_char = patterns.word_char, patterns.separator_char
    parts: list[str] = []
    for index, token in enumerate(chain.tokens):
        if index:
            if chain.gaps[index - 1]:
                # Separator characters, at least one of them not a space.
                parts.append(f" *(?:(?! ){separator_char})(?:{separator_char})*")
            else:
                parts.append(" *")
        word = not re.fullmatch(f"[{CJK_RANGES}]", token)
        if word:
            parts.append(f"(?<!{word_char})")
        parts.append(re.escape(token))
        if word:
            parts.append(f"(?!{word_char})")
    return re.compile("".join(parts))


def matches(chain: Chain, text: str) -> bool:
    """Whether ``chain`` occurs in ``text``, by brute force over the folded text.

    The reference for the engine: a regex over the whole folded text, which shares
    nothing with the engine but the folding and the character classes.
    """
    return _chain_regex(chain).search(fold(text)) is not None


def matches_folded(chain: Chain, folded: str) -> bool:
    """`matches` for text folded already (with `fold`)."""
    return _chain_regex(chain).search(folded) is not None


def find_spans(chain: Chain, text: str) -> list[tuple[int, int]]:
    """Every match of ``chain`` in ``text``, as (start, end) offsets into ``text`` itself.

    Args:
        chain: The term.
        text: Unfolded NFC text (a post's canonical text): offsets are counted in it
            character by character, so it is not made NFC as `fold` would.

    Returns:
        Non-overlapping spans in order, each covering whole characters of ``text``.
    """
    lengths = [len(_TABLE[ord(char)]) for char in text]
    ends = list(accumulate(lengths))
    folded = text.translate(_TABLE)
    spans: list[tuple[int, int]] = []
    for match in _chain_regex(chain).finditer(folded):
        start = bisect_right(ends, match.start())
        end = bisect_right(ends, match.end() - 1) + 1
        spans.append((start, end))
    return spans
