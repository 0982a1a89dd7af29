"""The typed query: its keys, its terms and the normalisation every evaluator shares.

Syntax (DESIGN.md "Query language")::

    tag:economy -author:"Li Wei" date:2023-01..2023-06 site:example.com "a phrase" word

* Terms are separated by whitespace and all must hold (AND).
* Double quotes (``"``, full-width ``＂`` or ``“…”``) group a value or a phrase.
* A comma inside a key's value means OR (``tag:a,b``); a quoted comma is literal.
* A leading ``-`` negates a term (``-tag:x``, ``-word``).
* Keys are case-insensitive and read after NFKC, so ``ＴＡＧ：经济`` is ``tag:经济``.

Dates are UTC days. ``date:D`` matches the year, month or day D (``YYYY``, ``YYYY-MM``,
``YYYY-MM-DD``); ``date:A..B`` is inclusive at the granularity of each end
(``date:2023-03..2023`` is 1 March to 31 December 2023); either end may be left open.
``after:D`` is strictly after the whole of D and ``before:D`` strictly before the whole of
D, so ``after:2023-01`` starts on 1 February 2023 and ``after:2022 before:2024`` is
``date:2023``. Posts without a date never match a date term (so they match a negated one).

Values of ``tag:``, ``cat:``, ``author:`` (and ``hl-tag:``) match a whole value, compared
after NFKC, case folding and whitespace collapsing (:func:`fold`); a bare word or phrase
is a text term (`tui.corpus.textmatch`). ``site:example.com`` matches the source URL's
host ``example.com`` and its subdomains (``www.example.com``), never ``badexample.com``;
a pasted URL is reduced to its host, punycode equals Unicode (:func:`host_of`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from annotations.model import COLORS as _MODEL_COLORS
from tui.corpus.query.state import EMPTY_STATE, PostState
from tui.corpus.textmatch import Chain, without_invisible

if TYPE_CHECKING:
    from tui.corpus.model import Post

COLORS: tuple[str, ...] = tuple(_MODEL_COLORS)
"""The highlight colours ``color:`` accepts (the store's palette)."""

KNOWN_KEYS: tuple[str, ...] = (
    "tag",
    "cat",
    "category",
    "author",
    "site",
    "date",
    "after",
    "before",
    "has",
    "is",
    "title",
    "text",
    "note",
    "quote",
    "sort",
)
"""Keys of the post query, in the order help texts list them."""

SortKey = Literal["newest", "oldest", "title", "author", "relevance"]
"""The orders ``sort:`` can ask for."""
SORT_KEYS: tuple[SortKey, ...] = ("newest", "oldest", "relevance", "title", "author")

TextScope = Literal["any", "title", "text"]
"""Where a text term is looked for: title, author, tags or body (a bare word), the title
(``title:``) or the body text (``text:``)."""

ANNOTATION_KEYS: tuple[str, ...] = ("hl-tag", "color")
"""Keys only the annotation query knows (plus the values ``is:orphan``, ``is:unplaced``)."""

FieldKey = Literal["tag", "cat", "author", "hl-tag", "color", "note", "quote"]
"""Keys whose values are compared as folded text."""
DateKey = Literal["date", "after", "before"]
StateKey = Literal["has", "is"]
StateFlag = Literal["notes", "highlights", "read", "unread", "orphan", "unplaced"]

TEXT_FIELD_KEYS = ("note", "quote")
"""Field keys matched in an annotation's text (as text terms), not as whole values."""

_SIMPLE_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([A-Za-z0-9.-]+)(?::[0-9]*)?(?:[/?#]|$)")
"""scheme://host[:port] followed by a path, query, fragment or nothing (no user info)."""


def fold_text(text: str) -> str:
    """`fold` without the cache, for text that rarely repeats (titles, notes)."""
    if text.isascii():
        return " ".join(text.lower().split())
    text = without_invisible(text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = text.casefold()
    # Case folding can undo NFKC in rare cases (e.g. some Greek), so check again.
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Normalise text for comparison: NFKC, case folding, whitespace collapsed, invisible
    characters (`textmatch.INVISIBLE`: a zero-width space pasted into a tag) removed.

    Cached, since tags, authors and query values repeat across posts and keystrokes.

    Args:
        text: Any text (a query value, a tag, a title).

    Returns:
        The folded text; equal for values a reader would call equal.
    """
    return fold_text(text)


def _fold_host(host: str) -> str:
    """A host name folded and with punycode labels decoded, so both spellings compare equal."""
    host = fold(host).strip(".")
    if "xn--" in host:
        try:
            host = host.encode("ascii").decode("idna")
        except (UnicodeError, ValueError):
            pass
    return host


def host_of(url: str | None) -> str | None:
    """The folded host of a URL (or of a bare ``host/path``), or None if it has none.

    Args:
        url: A source URL as found in a post file (untrusted).

    Returns:
        The host, folded, without port or trailing dot; None when there is no host.
    """
    if not url:
        return None
    match = _SIMPLE_URL.match(url)
    if match:  # the common case, without urlsplit's cost
        return _host_from_netloc(match.group(1))
    text = url.strip()
    if "//" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    return _fold_host(host) if host else None


@lru_cache(maxsize=4096)
def _host_from_netloc(netloc: str) -> str | None:
    host = _fold_host(netloc)
    return host or None


def ordinal_of(moment: datetime | None) -> int | None:
    """The UTC day of a post's date as a proleptic Gregorian ordinal."""
    return None if moment is None else _utc_ordinal(moment)


def _utc_ordinal(moment: datetime) -> int:
    """The UTC day of an aware (or naive, taken as UTC) datetime as an ordinal."""
    if moment.tzinfo is not None and moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.toordinal()


def ordinal_of_iso(text: str | None) -> int | None:
    """The UTC day of an ISO 8601 date string (an annotation's post snapshot), or None."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return ordinal_of(moment)


@dataclass(frozen=True, slots=True)
class DayRange:
    """An inclusive range of UTC days as ordinals; None is an open end."""

    first: int | None
    last: int | None

    def contains(self, ordinal: int) -> bool:
        """Whether the day ``ordinal`` lies in the range."""
        return (self.first is None or ordinal >= self.first) and (
            self.last is None or ordinal <= self.last
        )


@dataclass(frozen=True, slots=True)
class _TermBase:
    """What every term records: its text as typed, where it starts, and its sign."""

    text: str
    """The term as typed, including a leading ``-``."""
    position: int
    """Offset of the term in the query text."""
    negated: bool


@dataclass(frozen=True, slots=True)
class FieldTerm(_TermBase):
    """``tag:``, ``cat:``, ``author:``, ``hl-tag:``, ``color:`` (whole value), or ``note:``
    and ``quote:`` (words in an annotation's note or quote, matched as text terms)."""

    key: FieldKey
    values: tuple[str, ...]
    """Folded alternatives (OR)."""
    chains: tuple[Chain, ...] = ()
    """For ``note:`` and ``quote:``: each alternative as a text term."""


@dataclass(frozen=True, slots=True)
class SiteTerm(_TermBase):
    """``site:HOST``: the source URL's host is HOST or one of its subdomains."""

    hosts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DateTerm(_TermBase):
    """``date:``, ``after:`` or ``before:``, as the UTC day ranges it stands for (OR)."""

    key: DateKey
    ranges: tuple[DayRange, ...]


@dataclass(frozen=True, slots=True)
class StateTerm(_TermBase):
    """``has:notes|highlights`` and ``is:read|unread|orphan|unplaced``."""

    key: StateKey
    flags: tuple[StateFlag, ...]


@dataclass(frozen=True, slots=True)
class WordTerm(_TermBase):
    """A bare word or a quoted phrase, or a ``title:``/``text:`` value; commas are literal.

    It matches as `tui.corpus.textmatch` says: its tokens in a row in the text.
    """

    word: str
    """The term as typed, without quotes or key."""
    chain: Chain
    scope: TextScope = "any"


Term = FieldTerm | SiteTerm | DateTerm | StateTerm | WordTerm
"""Any parsed term."""


@dataclass(frozen=True, slots=True)
class SortTerm(_TermBase):
    """``sort:ORDER``: kept as `Query.sort_key`, never among the terms."""

    key: SortKey


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: all terms must hold. Build one with :func:`parse_query`."""

    text: str
    """The query as typed."""
    terms: tuple[Term, ...]
    annotation_keys: bool = False
    """Whether the annotation keys were allowed when parsing."""
    sort_key: SortKey | None = None
    """The order a ``sort:`` term asked for, if any (it filters nothing)."""

    @property
    def is_empty(self) -> bool:
        """True when the query has no terms (it matches everything)."""
        return not self.terms

    @property
    def sort(self) -> SortKey | None:
        """The order a ``sort:`` term asks for (the last one wins), or None."""
        return self.sort_key

    @property
    def has_text_terms(self) -> bool:
        """Whether a term looks in the post's text (a bare word, ``title:``, ``text:``)."""
        return any(isinstance(term, WordTerm) for term in self.terms)

    def matches_post(
        self, post: Post, state: PostState = EMPTY_STATE, text: str | None = None
    ) -> bool:
        """Evaluate the query on one post: the reference the search engine is held to.

        Annotation-only terms (``hl-tag:``, ``color:``, ``is:orphan``, ``is:unplaced``)
        never hold for a post, so negated they always do. ``note:`` and ``quote:`` ask
        the state for the post's annotations (:class:`AnnotationTexts`; none otherwise).

        Args:
            post: The post.
            state: Reading and annotation state for ``is:`` and ``has:``.
            text: The post's canonical text, for text terms (None: as if empty).

        Returns:
            Whether every term holds.
        """
        from tui.corpus.query.evaluate import matches_post

        return matches_post(self, post, state, text)
