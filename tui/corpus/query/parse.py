"""The query parser: text to a typed :class:`~tui.corpus.query.terms.Query`, or one error.

A term that cannot be parsed raises :class:`QueryError` with one sentence, e.g.
``unknown key "tga" in "tga:x" (did you mean "tag"?); known keys: ...``.

``note:X`` and ``quote:X`` are text terms over a post's annotations. The annotation query
(``annotation_keys=True``) reads them as the annotation's own note and quote, and adds
``hl-tag:X`` (an annotation tag), ``color:C``, ``is:orphan`` and ``is:unplaced``.
"""

from __future__ import annotations

import calendar
import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from tui.corpus.errors import CorpusError
from tui.corpus.query.terms import (
    ANNOTATION_KEYS,
    COLORS,
    KNOWN_KEYS,
    SORT_KEYS,
    TEXT_FIELD_KEYS,
    DateKey,
    DateTerm,
    DayRange,
    FieldKey,
    FieldTerm,
    Query,
    SiteTerm,
    SortTerm,
    StateFlag,
    StateKey,
    StateTerm,
    Term,
    TextScope,
    WordTerm,
    fold,
    host_of,
)
from tui.corpus.textmatch import Chain, chain_of

_FIELD_KEYS: dict[str, FieldKey] = {
    "tag": "tag",
    "cat": "cat",
    "category": "cat",
    "author": "author",
    "note": "note",
    "quote": "quote",
    "hl-tag": "hl-tag",
}
_DATE_KEYS: dict[str, DateKey] = {"date": "date", "after": "after", "before": "before"}
_QUOTES = {'"': '"＂', "＂": '"＂', "“": '”"'}
"""Opening quote -> the characters that close it."""
_DASHES = "-－"
_COLONS = ":："
_KEY_RE = re.compile(r"[a-z][a-z-]*")
_DATE_RE = re.compile(r"([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?")
_DATE_HINT = "(use YYYY, YYYY-MM or YYYY-MM-DD)"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MAX_SHOWN = 60
"""Terms longer than this are shortened in error messages."""


class QueryError(CorpusError):
    """A query that cannot be parsed; ``str()`` is one sentence naming the term and why.

    Attributes:
        term: The offending term as typed (may be shortened for display in the message).
        position: Offset of the term's first character in the query text.
    """

    def __init__(self, message: str, term: str, position: int) -> None:
        super().__init__(message)
        self.term = term
        self.position = position


@dataclass(frozen=True, slots=True)
class _Segment:
    text: str
    quoted: bool


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    position: int
    negated: bool
    segments: tuple[_Segment, ...]


def _shown(term: str) -> str:
    """A term made safe and short for an error message."""
    term = _CONTROL.sub("?", term)
    if len(term) > _MAX_SHOWN:
        term = term[: _MAX_SHOWN - 1] + "…"
    # A term with double quotes in it reads better inside single quotes.
    return f"'{term}'" if '"' in term else f'"{term}"'


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        negated = text[i] in _DASHES
        if negated:
            i += 1
        segments: list[_Segment] = []
        while i < n and not text[i].isspace():
            closers = _QUOTES.get(text[i])
            if closers is not None:
                end = i + 1
                while end < n and text[end] not in closers:
                    end += 1
                if end >= n:
                    raise QueryError(
                        f'unterminated quote in {_shown(text[start:])} (add the closing ")',
                        text[start:],
                        start,
                    )
                segments.append(_Segment(text[i + 1 : end], True))
                i = end + 1
                continue
            j = i
            while j < n and not text[j].isspace() and text[j] not in _QUOTES:
                j += 1
            segments.append(_Segment(text[i:j], False))
            i = j
        tokens.append(_Token(text[start:i], start, negated, tuple(segments)))
    return tokens


def _split_key(token: _Token) -> tuple[str, tuple[_Segment, ...]] | None:
    """(folded key, value segments) when the token is ``key:value``, else None."""
    if not token.segments or token.segments[0].quoted:
        return None
    first = token.segments[0].text
    cut = min((k for k in (first.find(c) for c in _COLONS) if k >= 0), default=-1)
    if cut <= 0:
        return None
    key = fold(first[:cut])
    if not _KEY_RE.fullmatch(key):
        return None
    rest = first[cut + 1 :]
    value = ((_Segment(rest, False),) if rest else ()) + token.segments[1:]
    return key, value


def _value_items(segments: Sequence[_Segment]) -> list[str]:
    """Split a key's value on unquoted commas; quoted commas are literal."""
    items = [""]
    for seg in segments:
        if seg.quoted:
            items[-1] += seg.text
            continue
        parts = seg.text.split(",")
        items[-1] += parts[0]
        items.extend(parts[1:])
    return items


class _Parser:
    """Turns tokens into terms; one instance per parse."""

    def __init__(self, annotation_keys: bool) -> None:
        self.annotation_keys = annotation_keys
        self.keys = KNOWN_KEYS + (ANNOTATION_KEYS if annotation_keys else ())

    def term(self, token: _Token) -> Term | SortTerm:
        split = _split_key(token)
        if split is None:
            return self._word(token)
        key, segments = split
        if key not in self.keys:
            raise self._unknown_key(token, key, segments)
        if key in ("title", "text"):
            scope: TextScope = "title" if key == "title" else "text"
            return self._word(token, segments, scope)
        raw = _value_items(segments)
        if all(not fold(item) for item in raw):
            raise QueryError(
                f"empty value in {_shown(token.text)} (write {key}:VALUE)",
                token.text,
                token.position,
            )
        if any(not fold(item) for item in raw):
            raise QueryError(
                f"empty value between commas in {_shown(token.text)}", token.text, token.position
            )
        if key in _FIELD_KEYS:
            values = tuple(fold(item) for item in raw)
            chains: tuple[Chain, ...] = ()
            if key in TEXT_FIELD_KEYS:
                chains = tuple(self._chain(token, item) for item in raw)
            field_key = _FIELD_KEYS[key]
            return FieldTerm(token.text, token.position, token.negated, field_key, values, chains)
        if key == "color":
            return FieldTerm(
                token.text, token.position, token.negated, "color", self._colors(token, raw)
            )
        if key == "sort":
            return self._sort(token, raw)
        if key == "site":
            hosts = tuple(self._host(token, item) for item in raw)
            return SiteTerm(token.text, token.position, token.negated, hosts)
        date_key = _DATE_KEYS.get(key)
        if date_key is not None:
            ranges = tuple(self._date_range(token, date_key, item) for item in raw)
            return DateTerm(token.text, token.position, token.negated, date_key, ranges)
        return self._state(token, key, raw)

    def _word(
        self, token: _Token, segments: Sequence[_Segment] | None = None, scope: TextScope = "any"
    ) -> WordTerm:
        if segments is None:
            segments = token.segments
        word = "".join(seg.text for seg in segments)
        if not token.segments:
            raise QueryError(
                f'a lone "-" negates nothing in {_shown(token.text)} (write -tag:x or -word)',
                token.text,
                token.position,
            )
        if not fold(word):
            what = "empty phrase" if scope == "any" else "empty value in"
            hint = "put a word between the quotes" if scope == "any" else f"write {scope}:WORD"
            raise QueryError(f"{what} {_shown(token.text)} ({hint})", token.text, token.position)
        chain = chain_of(word)
        if chain is None:
            raise QueryError(
                f"{_shown(token.text)} has no letter or digit to search for",
                token.text,
                token.position,
            )
        return WordTerm(token.text, token.position, token.negated, word, chain, scope)

    def _chain(self, token: _Token, item: str) -> Chain:
        chain = chain_of(item)
        if chain is None:
            raise QueryError(
                f"{_shown(item)} in {_shown(token.text)} has no letter or digit to search for",
                token.text,
                token.position,
            )
        return chain

    def _sort(self, token: _Token, raw: list[str]) -> SortTerm:
        value = fold(raw[-1])
        if token.negated or len(raw) != 1 or value not in SORT_KEYS:
            raise QueryError(
                f"{_shown(token.text)} is not an order"
                f" (use {', '.join('sort:' + k for k in SORT_KEYS)})",
                token.text,
                token.position,
            )
        return SortTerm(token.text, token.position, False, value)

    def _unknown_key(self, token: _Token, key: str, value: Sequence[_Segment] = ()) -> QueryError:
        if key in ANNOTATION_KEYS:
            return QueryError(
                f'key "{key}" in {_shown(token.text)} works only when searching annotations;'
                f" known keys: {', '.join(self.keys)}",
                token.text,
                token.position,
            )
        # A misspelt key (a letter off, or two swapped); otherwise most likely text with a
        # colon in it ("ID:", "wechat:"), which quotes search for.
        close = difflib.get_close_matches(key, self.keys, n=1, cutoff=0.7) or [
            known for known in self.keys if sorted(known) == sorted(key)
        ]
        if close:
            hint = f' (did you mean "{close[0]}"?)'
        elif value and not value[0].quoted and value[0].text.startswith("//"):
            hint = " (a URL: use site:HOST, or quote it to search for the text)"
        else:
            hint = " (to search for the text, put it in double quotes)"
        return QueryError(
            f"unknown key {_shown(key)} in {_shown(token.text)}{hint};"
            f" known keys: {', '.join(self.keys)}",
            token.text,
            token.position,
        )

    def _colors(self, token: _Token, raw: list[str]) -> tuple[str, ...]:
        out = []
        for item in raw:
            value = fold(item)
            if value not in COLORS:
                names = ", ".join(COLORS[:-1]) + " or " + COLORS[-1]
                raise QueryError(
                    f"{_shown(item)} in {_shown(token.text)} is not a highlight colour"
                    f" (use {names})",
                    token.text,
                    token.position,
                )
            out.append(value)
        return tuple(out)

    def _host(self, token: _Token, item: str) -> str:
        host = host_of(item)
        if host is None or any(c.isspace() or c in "/@" for c in host):
            raise QueryError(
                f"{_shown(item)} in {_shown(token.text)} is not a host name"
                " (write site:example.com)",
                token.text,
                token.position,
            )
        return host

    def _date_range(self, token: _Token, key: DateKey, item: str) -> DayRange:
        value = unicodedata.normalize("NFKC", item).strip()
        if key == "date" and ".." in value:
            start_text, _, end_text = value.partition("..")
            if not start_text and not end_text:
                raise QueryError(
                    f"{_shown(item)} in {_shown(token.text)} is not a date range"
                    " (give at least one end, as in 2023..2024)",
                    token.text,
                    token.position,
                )
            first = self._day_span(token, start_text)[0] if start_text else None
            last = self._day_span(token, end_text)[1] if end_text else None
            if first is not None and last is not None and first > last:
                raise QueryError(
                    f"the range {_shown(item)} in {_shown(token.text)} is reversed"
                    f" ({start_text} comes after {end_text})",
                    token.text,
                    token.position,
                )
            return DayRange(first, last)
        first, last = self._day_span(token, value)
        if key == "after":
            return DayRange(last + 1, None)
        if key == "before":
            return DayRange(None, first - 1)
        return DayRange(first, last)

    def _day_span(self, token: _Token, value: str) -> tuple[int, int]:
        """The first and last day ordinals of a YYYY, YYYY-MM or YYYY-MM-DD value."""
        match = _DATE_RE.fullmatch(value)
        span: tuple[int, int] | None = None
        if match:
            year, month, day = (int(g) if g else None for g in match.groups())
            span = _span(year or 0, month, day)
        if span is None:
            raise QueryError(
                f"{_shown(value)} in {_shown(token.text)} is not a date {_DATE_HINT}",
                token.text,
                token.position,
            )
        return span

    def _state(self, token: _Token, key: str, raw: list[str]) -> StateTerm:
        if key == "has":
            allowed: tuple[StateFlag, ...] = ("notes", "highlights")
            what, hint = "something a post can have", "has:notes or has:highlights"
        else:
            allowed = (
                ("read", "unread", "orphan", "unplaced")
                if self.annotation_keys
                else ("read", "unread")
            )
            what = "a reading state"
            hint = (
                "is:read, is:unread, is:orphan or is:unplaced"
                if self.annotation_keys
                else "is:read or is:unread"
            )
        flags: list[StateFlag] = []
        for item in raw:
            value = fold(item)
            found = next((a for a in allowed if a == value), None)
            if found is None:
                raise QueryError(
                    f"{_shown(item)} in {_shown(token.text)} is not {what} (use {hint})",
                    token.text,
                    token.position,
                )
            flags.append(found)
        state_key: StateKey = "has" if key == "has" else "is"
        return StateTerm(token.text, token.position, token.negated, state_key, tuple(flags))


def _span(year: int, month: int | None, day: int | None) -> tuple[int, int] | None:
    """Day ordinals covering a year, month or day; None when it is not a real date."""
    try:
        if month is None:
            return date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
        if day is None:
            last = calendar.monthrange(year, month)[1]
            return date(year, month, 1).toordinal(), date(year, month, last).toordinal()
        start = date(year, month, day).toordinal()
        return start, start
    except (ValueError, calendar.IllegalMonthError):
        return None


def parse_query(text: str, *, annotation_keys: bool = False) -> Query:
    """Parse a query string into a typed :class:`Query`.

    Args:
        text: The query as typed; empty or blank text matches everything.
        annotation_keys: Also accept ``hl-tag:``, ``color:``, ``is:orphan`` and
            ``is:unplaced``.

    Returns:
        The parsed query.

    Raises:
        QueryError: One sentence naming the bad term and why (``.term``, ``.position``).
    """
    parser = _Parser(annotation_keys)
    parsed = [parser.term(token) for token in _tokenize(text)]
    sorts = [term.key for term in parsed if isinstance(term, SortTerm)]
    terms = tuple(term for term in parsed if not isinstance(term, SortTerm))
    return Query(text, terms, annotation_keys, sorts[-1] if sorts else None)
