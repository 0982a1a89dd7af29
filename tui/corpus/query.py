"""The query language: a parser into a typed query, and evaluators over posts and annotations.

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
after NFKC, case folding and whitespace collapsing; a bare word or phrase is a substring of
the title, the author or a tag, compared the same way. ``site:example.com`` matches the
source URL's host ``example.com`` and its subdomains (``www.example.com``), never
``badexample.com``; a pasted URL is reduced to its host, punycode equals Unicode.

``note:X`` and ``quote:X`` hold for a post with an annotation whose note / quote contains
X, folded like the other text terms; the post's annotations come from the state
(:class:`AnnotationTexts`, which :class:`Marks` is). The annotation query
(``annotation_keys=True``) reads them as the annotation's own note and quote, and adds
``hl-tag:X`` (an annotation tag), ``color:C``, ``is:orphan`` and ``is:unplaced``; see
:func:`matches_annotation`.

A term that cannot be parsed raises :class:`QueryError` with one sentence, e.g.
``unknown key "tga" in "tga:x" (did you mean "tag"?); known keys: ...``.

Two evaluators share these semantics: :meth:`Query.matches_post` (one post, the reference)
and :class:`PostIndex` (precomputed per corpus; bitsets held in Python ints, so a filter
over 50k posts takes a few milliseconds).
"""

from __future__ import annotations

import calendar
import difflib
import re
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from itertools import accumulate, chain, compress, islice, repeat
from operator import contains
from typing import Literal, Protocol, TypeVar
from urllib.parse import urlsplit

from tui.corpus.errors import CorpusError
from tui.corpus.model import Post

try:  # The annotation model is the store helper's; fall back to the documented palette.
    from annotations.model import COLORS as _MODEL_COLORS

    COLORS: tuple[str, ...] = tuple(_MODEL_COLORS)
except ImportError:  # pragma: no cover - only while annotations/ is being written
    COLORS = ("yellow", "green", "blue", "pink", "purple")

__all__ = [
    "ANNOTATION_KEYS",
    "COLORS",
    "AnnotationLike",
    "AnnotationTexts",
    "EMPTY_STATE",
    "Marks",
    "KNOWN_KEYS",
    "DateTerm",
    "DayRange",
    "FieldTerm",
    "PostIndex",
    "PostState",
    "Query",
    "QueryError",
    "SiteTerm",
    "StateTerm",
    "Term",
    "WordTerm",
    "fold",
    "host_of",
    "matches_annotation",
    "parse_query",
]

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
    "note",
    "quote",
)
"""Keys of the post query, in the order help texts list them."""

ANNOTATION_KEYS: tuple[str, ...] = ("hl-tag", "color")
"""Keys only the annotation query knows (plus the values ``is:orphan``, ``is:unplaced``)."""

FieldKey = Literal["tag", "cat", "author", "hl-tag", "color", "note", "quote"]
"""Keys whose values are compared as folded text."""
DateKey = Literal["date", "after", "before"]
StateKey = Literal["has", "is"]
StateFlag = Literal["notes", "highlights", "read", "unread", "orphan", "unplaced"]

_FIELD_KEYS: dict[str, FieldKey] = {
    "tag": "tag",
    "cat": "cat",
    "category": "cat",
    "author": "author",
    "note": "note",
    "quote": "quote",
    "hl-tag": "hl-tag",
}
_TEXT_KEYS = ("note", "quote")
"""Field keys that are substrings of an annotation's text, not whole values."""
_DATE_KEYS: dict[str, DateKey] = {"date": "date", "after": "after", "before": "before"}
_QUOTES = {'"': '"＂', "＂": '"＂', "“": '”"'}
"""Opening quote -> the characters that close it."""
_DASHES = "-－"
_COLONS = ":："
_KEY_RE = re.compile(r"[a-z][a-z-]*")
_DATE_RE = re.compile(r"([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?")
_DATE_HINT = "(use YYYY, YYYY-MM or YYYY-MM-DD)"
_SIMPLE_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([A-Za-z0-9.-]+)(?::[0-9]*)?(?:[/?#]|$)")
"""scheme://host[:port] followed by a path, query, fragment or nothing (no user info)."""
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


# ---------------------------------------------------------------------------------------------
# Normalisation shared by the parser and both evaluators


def _fold_text(text: str) -> str:
    """`fold` without the cache, for text that rarely repeats (titles, notes)."""
    if text.isascii():
        return " ".join(text.lower().split())
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = text.casefold()
    # Case folding can undo NFKC in rare cases (e.g. some Greek), so check again.
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Normalise text for comparison: NFKC, case folding, whitespace collapsed.

    Cached, since tags, authors and query values repeat across posts and keystrokes.

    Args:
        text: Any text (a query value, a tag, a title).

    Returns:
        The folded text; equal for values a reader would call equal.
    """
    return _fold_text(text)


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
    if match:  # the common case, ten times faster than urlsplit
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


def _ordinal_of(moment: datetime | None) -> int | None:
    """The UTC day of a post's date as a proleptic Gregorian ordinal."""
    return None if moment is None else _utc_ordinal(moment)


def _utc_ordinal(moment: datetime) -> int:
    """The UTC day of an aware (or naive, taken as UTC) datetime as an ordinal."""
    if moment.tzinfo is not None and moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.toordinal()


def _ordinal_of_iso(text: str | None) -> int | None:
    """The UTC day of an ISO 8601 date string (an annotation's post snapshot), or None."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return _ordinal_of(moment)


def _haystack(title: str, author: str, tags: Iterable[str]) -> str:
    """The text a bare word is searched in; newlines keep a word from spanning fields."""
    return "\n".join((_fold_text(title), fold(author), *(fold(t) for t in tags)))


# ---------------------------------------------------------------------------------------------
# The typed query


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
    and ``quote:`` (a substring of an annotation's note or quote)."""

    key: FieldKey
    values: tuple[str, ...]
    """Folded alternatives (OR)."""


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
    """A bare word or a quoted phrase (folded); commas in it are literal."""

    word: str


Term = FieldTerm | SiteTerm | DateTerm | StateTerm | WordTerm
"""Any parsed term."""


class PostState(Protocol):
    """Per-post annotation and reading state the ``has:`` and ``is:`` terms ask about."""

    def is_read(self, post_id: str) -> bool:
        """Whether the post is marked read."""
        ...

    def has_notes(self, post_id: str) -> bool:
        """Whether the post has at least one annotation with a note."""
        ...

    def has_highlights(self, post_id: str) -> bool:
        """Whether the post has at least one annotation."""
        ...


class _EmptyState:
    """A state with no reading marks and no annotations."""

    def is_read(self, post_id: str) -> bool:
        return False

    def has_notes(self, post_id: str) -> bool:
        return False

    def has_highlights(self, post_id: str) -> bool:
        return False


EMPTY_STATE: PostState = _EmptyState()
"""No post is read or annotated: ``is:read``/``has:…`` match nothing, ``is:unread`` all."""


class AnnotationTexts(Protocol):
    """A state that also knows each post's annotations, for ``note:`` and ``quote:``."""

    def annotation_texts(self, post_id: str) -> Sequence[tuple[str, str]]:
        """(folded note, folded quote) of each of the post's annotations."""
        ...

    def annotated_ids(self) -> Iterable[str]:
        """Ids of the posts with annotations."""
        ...


class MarkSource(Protocol):
    """Where reading marks and annotation counts come from (the annotation store)."""

    def read_post_ids(self) -> set[str]:
        """Ids of the posts marked read."""
        ...

    def post_counts(self) -> dict[str, tuple[int, int]]:
        """Post id -> (annotations with notes, all annotations)."""
        ...

    def all(self) -> Sequence[AnnotationLike]:
        """Every annotation."""
        ...


@dataclass
class Marks:
    """Reading and annotation state per post: a ``PostState`` and the library's marks."""

    read: set[str] = field(default_factory=set)
    """Ids of posts marked read."""
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Post id -> (annotations with notes, all annotations)."""
    annotations: Sequence[AnnotationLike] = ()
    """Every annotation, for ``note:`` and ``quote:`` (folded by post when first asked)."""
    _folded: dict[str, list[tuple[str, str]]] | None = field(
        default=None, repr=False, compare=False
    )

    def annotation_texts(self, post_id: str) -> Sequence[tuple[str, str]]:
        """(folded note, folded quote) of each of the post's annotations."""
        return self._texts().get(post_id, ())

    def annotated_ids(self) -> Iterable[str]:
        """Ids of the posts with annotations."""
        return self._texts().keys()

    def _texts(self) -> dict[str, list[tuple[str, str]]]:
        """Post id -> folded (note, quote) pairs, folded in one batch on first need.

        Not when the marks are read: the library reads them after every change, and
        folding 10k annotations takes tens of milliseconds that only these terms need.
        """
        if self._folded is None:
            # Newlines become spaces (folding collapses whitespace anyway) so that
            # _fold_many can fold everything as one string.
            flat = [
                t.replace("\n", " ") for a in self.annotations for t in (a.note, a.target.exact)
            ]
            folded = iter(_fold_many(flat))
            grouped: dict[str, list[tuple[str, str]]] = {}
            for ann in self.annotations:
                grouped.setdefault(ann.post.id, []).append((next(folded), next(folded)))
            self._folded = grouped
        return self._folded

    def is_read(self, post_id: str) -> bool:
        """Whether the post was marked read."""
        return post_id in self.read

    def has_notes(self, post_id: str) -> bool:
        """Whether the post has an annotation with a note."""
        return self.counts.get(post_id, (0, 0))[0] > 0

    def has_highlights(self, post_id: str) -> bool:
        """Whether the post has any annotation (a note is a highlight too)."""
        return self.counts.get(post_id, (0, 0))[1] > 0

    def noted_ids(self) -> set[str]:
        """Ids of the posts with an annotation with a note."""
        return {post_id for post_id, (notes, _) in self.counts.items() if notes > 0}

    def highlighted_ids(self) -> set[str]:
        """Ids of the posts with any annotation."""
        return {post_id for post_id, (_, anns) in self.counts.items() if anns > 0}

    @classmethod
    def read_from(cls, store: MarkSource) -> Marks:
        """Read the marks from ``store`` (blocking: call from a worker)."""
        return cls(read=store.read_post_ids(), counts=store.post_counts(), annotations=store.all())


@dataclass(frozen=True, slots=True)
class _Facts:
    """The normalised fields of one post (or of an annotation and its post snapshot)."""

    post_id: str
    tags: frozenset[str]
    categories: frozenset[str]
    author: str
    host: str | None
    ordinal: int | None
    haystack: str
    annotation: _AnnotationFacts | None = None


@dataclass(frozen=True, slots=True)
class _AnnotationFacts:
    """The annotation's own fields, folded."""

    note: str
    tags: frozenset[str]
    color: str
    quote: str
    is_orphan: bool
    is_unplaced: bool = False


def _facts_of_post(post: Post) -> _Facts:
    return _Facts(
        post_id=post.id,
        tags=frozenset(fold(t) for t in post.tags),
        categories=frozenset(fold(c) for c in post.categories),
        author=fold(post.author),
        host=host_of(post.source),
        ordinal=_ordinal_of(post.date),
        haystack=_haystack(post.title, post.author, post.tags),
    )


def _site_matches(host: str | None, wanted: str) -> bool:
    return host is not None and (host == wanted or host.endswith("." + wanted))


def _state_matches(flag: StateFlag, facts: _Facts, state: PostState) -> bool:
    ann = facts.annotation
    if flag == "read":
        return state.is_read(facts.post_id)
    if flag == "unread":
        return not state.is_read(facts.post_id)
    if flag == "orphan":
        return ann is not None and ann.is_orphan
    if flag == "unplaced":
        return ann is not None and ann.is_unplaced
    if ann is not None:
        # An annotation is a highlight; it "has notes" when its own note is not empty.
        return flag == "highlights" or bool(ann.note)
    if flag == "notes":
        return state.has_notes(facts.post_id)
    return state.has_highlights(facts.post_id)


def _annotation_text_matches(term: FieldTerm, post_id: str, state: PostState) -> bool:
    """``note:``/``quote:`` for a post: one of its annotations' note / quote has a value."""
    texts = getattr(state, "annotation_texts", None)
    if texts is None:
        return False  # a state that knows no annotations
    part = 0 if term.key == "note" else 1
    return any(v in pair[part] for pair in texts(post_id) for v in term.values)


def _field_matches(term: FieldTerm, facts: _Facts, state: PostState) -> bool:
    ann = facts.annotation
    key = term.key
    if key in _TEXT_KEYS and ann is None:
        return _annotation_text_matches(term, facts.post_id, state)
    if key == "tag":
        return any(v in facts.tags for v in term.values)
    if key == "cat":
        return any(v in facts.categories for v in term.values)
    if key == "author":
        return facts.author in term.values
    if ann is None:  # annotation-only keys never hold for a post
        return False
    if key == "hl-tag":
        return any(v in ann.tags for v in term.values)
    if key == "color":
        return ann.color in term.values
    if key == "quote":
        return any(v in ann.quote for v in term.values)
    return any(v in ann.note for v in term.values)  # note:


def _term_holds(term: Term, facts: _Facts, state: PostState) -> bool:
    """Whether the (unsigned) term holds for the facts."""
    if isinstance(term, FieldTerm):
        return _field_matches(term, facts, state)
    if isinstance(term, SiteTerm):
        return any(_site_matches(facts.host, h) for h in term.hosts)
    if isinstance(term, DateTerm):
        day = facts.ordinal
        return day is not None and any(r.contains(day) for r in term.ranges)
    if isinstance(term, StateTerm):
        return any(_state_matches(f, facts, state) for f in term.flags)
    if term.word in facts.haystack:
        return True
    ann = facts.annotation
    return ann is not None and (term.word in ann.quote or term.word in ann.note)


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: all terms must hold. Build one with :func:`parse_query`."""

    text: str
    """The query as typed."""
    terms: tuple[Term, ...]
    annotation_keys: bool = False
    """Whether the annotation keys were allowed when parsing."""

    @property
    def is_empty(self) -> bool:
        """True when the query has no terms (it matches everything)."""
        return not self.terms

    def matches_post(self, post: Post, state: PostState = EMPTY_STATE) -> bool:
        """Evaluate the query on one post (the reference; :class:`PostIndex` is faster).

        Annotation-only terms (``hl-tag:``, ``color:``, ``is:orphan``, ``is:unplaced``)
        never hold for a post, so negated they always do. ``note:`` and ``quote:`` ask
        the state for the post's annotations (:class:`AnnotationTexts`; none otherwise).

        Args:
            post: The post.
            state: Reading and annotation state for ``is:`` and ``has:``.

        Returns:
            Whether every term holds.
        """
        if not self.terms:
            return True
        facts = _facts_of_post(post)
        return all(_term_holds(t, facts, state) != t.negated for t in self.terms)


# ---------------------------------------------------------------------------------------------
# Annotations


class _SnapshotLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def author(self) -> str: ...
    @property
    def tags(self) -> Sequence[str]: ...
    @property
    def source(self) -> str | None: ...
    @property
    def date(self) -> str | None: ...


class _TargetLike(Protocol):
    @property
    def exact(self) -> str: ...


class AnnotationLike(Protocol):
    """The attributes of ``annotations.model.Annotation`` the annotation query reads."""

    @property
    def post(self) -> _SnapshotLike:
        """The snapshot of the annotated post."""
        ...

    @property
    def note(self) -> str:
        """The note (empty for a plain highlight)."""
        ...

    @property
    def tags(self) -> Sequence[str]:
        """The annotation's own tags."""
        ...

    @property
    def color(self) -> str:
        """The highlight colour name."""
        ...

    @property
    def target(self) -> _TargetLike:
        """The quote selector; ``exact`` is the quoted text."""
        ...


def matches_annotation(
    query: Query,
    ann: AnnotationLike,
    *,
    is_orphan: bool,
    is_unplaced: bool = False,
    state: PostState = EMPTY_STATE,
) -> bool:
    """Evaluate a query on an annotation.

    Post terms are evaluated against the annotation's post snapshot (``cat:`` never holds:
    snapshots keep no categories). ``note:WORD`` / ``quote:WORD`` is a substring of the
    note / quote, ``hl-tag:X`` an annotation tag, ``color:C`` its colour, ``is:orphan`` and
    ``is:unplaced`` the flags;
    ``has:notes`` means the annotation's note is not empty and ``has:highlights`` always
    holds; a bare word also searches the quote, the note and the annotation's tags.

    Args:
        query: A query, normally parsed with ``annotation_keys=True``.
        ann: The annotation.
        is_orphan: Whether the annotation's quote could not be found in its post.
        is_unplaced: Whether it was imported and matched no post.
        state: Reading state for ``is:read``/``is:unread`` (by the snapshot's post id).

    Returns:
        Whether every term holds.
    """
    if not query.terms:
        return True
    post = ann.post
    facts = _Facts(
        post_id=post.id,
        tags=frozenset(fold(t) for t in post.tags),
        categories=frozenset(fold(c) for c in getattr(post, "categories", ())),
        author=fold(post.author),
        host=host_of(post.source),
        ordinal=_ordinal_of_iso(post.date),
        haystack=_haystack(post.title, post.author, (*post.tags, *ann.tags)),
        annotation=_AnnotationFacts(
            note=_fold_text(ann.note),
            tags=frozenset(fold(t) for t in ann.tags),
            color=fold(ann.color),
            quote=_fold_text(ann.target.exact),
            is_orphan=is_orphan,
            is_unplaced=is_unplaced,
        ),
    )
    return all(_term_holds(t, facts, state) != t.negated for t in query.terms)


# ---------------------------------------------------------------------------------------------
# Tokenizer and parser


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

    def term(self, token: _Token) -> Term:
        split = _split_key(token)
        if split is None:
            return self._word(token)
        key, segments = split
        if key not in self.keys:
            raise self._unknown_key(token, key, segments)
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
            return FieldTerm(token.text, token.position, token.negated, _FIELD_KEYS[key], values)
        if key == "color":
            return FieldTerm(
                token.text, token.position, token.negated, "color", self._colors(token, raw)
            )
        if key == "site":
            hosts = tuple(self._host(token, item) for item in raw)
            return SiteTerm(token.text, token.position, token.negated, hosts)
        date_key = _DATE_KEYS.get(key)
        if date_key is not None:
            ranges = tuple(self._date_range(token, date_key, item) for item in raw)
            return DateTerm(token.text, token.position, token.negated, date_key, ranges)
        return self._state(token, key, raw)

    def _word(self, token: _Token) -> WordTerm:
        word = fold("".join(seg.text for seg in token.segments))
        if not token.segments:
            raise QueryError(
                f'a lone "-" negates nothing in {_shown(token.text)} (write -tag:x or -word)',
                token.text,
                token.position,
            )
        if not word:
            raise QueryError(
                f"empty phrase {_shown(token.text)} (put a word between the quotes)",
                token.text,
                token.position,
            )
        return WordTerm(token.text, token.position, token.negated, word)

    def _unknown_key(self, token: _Token, key: str, value: Sequence[_Segment] = ()) -> QueryError:
        if key in ANNOTATION_KEYS:
            return QueryError(
                f'key "{key}" in {_shown(token.text)} works only when searching annotations;'
                f" known keys: {', '.join(self.keys)}",
                token.text,
                token.position,
            )
        close = difflib.get_close_matches(key, self.keys, n=1, cutoff=0.5)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        if value and not value[0].quoted and value[0].text.startswith("//"):
            hint = " (a URL: use site:HOST, or quote it to search for the text)"
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
    terms = tuple(parser.term(token) for token in _tokenize(text))
    return Query(text, terms, annotation_keys)


# ---------------------------------------------------------------------------------------------
# The fast evaluator

_TO_SELECTOR = bytes.maketrans(b"01", b"\x00\x01")
"""Turns ``bin()`` digits into selector bytes for :func:`itertools.compress`."""
_TO_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
"""Turns selector bytes (0 or 1 per post) into the digits of a binary number."""
_ONE_DIGIT = ord("1")
_BYTE_BITS: tuple[tuple[int, ...], ...] = tuple(
    tuple(bit for bit in range(8) if byte >> bit & 1) for byte in range(256)
)
"""For each byte value, the offsets of its set bits."""
_FEW = 2048
"""Below this many positions a bitset is built bit by bit; above, through a digit string."""
_MEMO_BYTES = 8 << 20
"""Bitsets of middle-sized groups kept for reuse, at most this many bytes of them."""
_CHUNK = 256
"""Characters of the joined titles per entry of the table that bounds each bisection."""
_FEW_IDS = 16
"""Reading or annotation state held by at most one post in this many is looked up by id
(a bisection each) rather than asked of every post."""
_DENSE_CHECK = 512
"""A title search checks every this many matches whether to test titles one by one."""
_DENSE = 6
"""...which it does once one title in this many matched: a match found by ``str.find``
costs several times what testing one title with ``in`` does."""
_JOINED_HOSTS = re.compile(
    r"^(?:[A-Za-z][A-Za-z0-9+.-]*://([A-Za-z0-9.-]+)(?::[0-9]*)?(?=[/?#]|$))?.*$", re.MULTILINE
)
"""``_SIMPLE_URL`` over many URLs joined by newlines: one netloc (or "") per line."""
_SPACE_RUNS = re.compile(r"[^\S\n]+")
_EDGE_SPACES = re.compile(r"^ | $", re.MULTILINE)
_OTHER_SPACE = re.compile(
    "[\t\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)
"""Every character ``str.split()`` splits on but the space and the newline (tested)."""

GroupKind = Literal["tag", "cat", "author"]


def _fold_many(texts: Sequence[str]) -> list[str]:
    """``[_fold_text(t) for t in texts]``, folding them all as one string (a few times faster).

    Normalisation and case folding never join or split characters across a newline, so
    the newline-joined text folds to the folded texts joined by newlines; a text that
    holds a newline itself is folded on its own.
    """
    if not texts:
        return []
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1:
        return [_fold_text(text) for text in texts]
    if joined.isascii():
        folded = joined.lower()
    else:
        if not unicodedata.is_normalized("NFKC", joined):
            joined = unicodedata.normalize("NFKC", joined)
        folded = joined.casefold()
        if not unicodedata.is_normalized("NFKC", folded):
            folded = unicodedata.normalize("NFKC", folded)
    if (
        "  " in folded
        or " \n" in folded
        or "\n " in folded
        or folded[:1] == " "
        or folded[-1:] == " "
        or _OTHER_SPACE.search(folded)
    ):
        # " ".join(text.split()) for each line: runs of spaces become one, ends go.
        folded = _EDGE_SPACES.sub("", _SPACE_RUNS.sub(" ", folded))
    lines = folded.split("\n")
    if len(lines) != len(texts):  # pragma: no cover - guarded by the count above
        return [_fold_text(text) for text in texts]
    return lines


def _group_many(columns: list[tuple[str, ...]]) -> tuple[dict[str, list[int]], Counter[str]]:
    """Value -> ascending positions of the posts listing it, and repeats within a post."""
    groups: dict[str, list[int]] = {}
    repeats: Counter[str] = Counter()
    get = groups.get
    for pos, values in enumerate(columns):
        for value in values:
            group = get(value)
            if group is None:
                groups[value] = [pos]
            elif group[-1] != pos:
                group.append(pos)
            else:
                repeats[value] += 1
    return groups, repeats


_K = TypeVar("_K")


def _group_one(column: list[_K]) -> dict[_K, list[int]]:
    """Value -> ascending positions of the posts with that value."""
    groups: dict[_K, list[int]] = {}
    get = groups.get
    for pos, value in enumerate(column):
        group = get(value)
        if group is None:
            groups[value] = [pos]
        else:
            group.append(pos)
    return groups


def _merged(parts: list[list[int]]) -> list[int]:
    """Ascending positions of several groups (a post in two of them once)."""
    return parts[0] if len(parts) == 1 else sorted(set(chain.from_iterable(parts)))


def _netlocs(sources: list[str]) -> list[str]:
    """Per source URL, its netloc when it has the simple ``scheme://host`` shape, else ""."""
    joined = "\n".join(sources)
    if joined.count("\n") == len(sources) - 1:
        found: list[str] = _JOINED_HOSTS.findall(joined)
        if len(found) == len(sources):
            return found
    netlocs = []
    for source in sources:
        match = _SIMPLE_URL.match(source)
        netlocs.append(match.group(1) if match else "")
    return netlocs


class PostIndex:
    """Normalised fields of a list of posts, precomputed once, for fast filtering.

    Each tag, category, author, host suffix and day maps to its posts: a sorted array
    of positions for a small group, a bitset (a Python int, one bit per post) for a
    large one. A query turns groups into bitsets and combines them with ``&``/``|``/``^``;
    bare words are searched in the folded titles (and in the tag and author values), and
    reading state is asked per post id, over the remaining candidates when they are few.

    Only the folded titles are kept per post; everything else is kept per distinct value,
    so the index stays small next to the posts it indexes.
    """

    def __init__(self, posts: Sequence[Post]) -> None:
        """Index ``posts`` (kept in this order).

        Args:
            posts: The posts, usually a corpus's ``LoadResult.posts``.
        """
        self.posts: list[Post] = list(posts)
        """The indexed posts, in input order."""
        n = len(self.posts)
        self._n = n
        self._all = (1 << n) - 1
        self._zeros = bytearray(b"0") * n
        self._big = max(64, n // 32)
        """Groups of at least this many posts are kept as bitsets (smaller than arrays)."""
        self._memo: dict[tuple[str, object], int] = {}
        self._memo_bytes = 0
        self._ids: list[str] = [post.id for post in self.posts]
        self._by_id: array[int] = array("i")
        """Positions in the order of their posts' ids: a few posts are found by id through
        bisection instead of a scan."""
        self._titles: list[str] = []
        """The folded titles."""
        self._blob = ""
        """The folded titles, each followed by a newline (which no folded text holds)."""
        self._starts: array[int] = array("q")
        """Where each title starts in ``_blob``, and ``len(_blob)`` last."""
        self._chunk_titles: array[int] = array("i")
        """The title at every ``_CHUNK``-th character of ``_blob`` (bounds the bisection
        that places a match to a few titles)."""
        self._groups: dict[str, dict[str, array[int] | int]] = {}
        """kind ("tag", "cat", "author", "site") -> folded value -> its posts."""
        self._days: dict[int, array[int] | int] = {}
        self._years: dict[int, int] = {}
        """Year -> bitset of the posts dated in it."""
        self._spellings: dict[str, Counter[str]] = {}
        self._display_cache: dict[str, dict[str, str]] = {}
        self._last: tuple[list[Post], list[int]] = ([], [])
        """The last filter result (a copy) and its positions, for :meth:`positions_of`."""
        self._by_object: dict[int, int] | None = None
        self._build()

    def __len__(self) -> int:
        return self._n

    @property
    def all_bits(self) -> int:
        """The bitset of every post."""
        return self._all

    # -- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        """Group positions by raw value, one column at a time; fold each distinct value once."""
        posts = self.posts
        # Fresh strings, made one after the other: a scan of 50k titles that lie together
        # in memory takes half the time of one over the posts' own scattered titles.
        titles = self._titles = _fold_many([post.title for post in posts])
        self._blob = "\n".join(titles) + "\n" if titles else ""
        self._starts = array("i" if len(self._blob) < 1 << 31 else "q", [0])
        self._starts.extend(accumulate(len(title) + 1 for title in titles))
        starts = self._starts
        self._chunk_titles = array(
            "i", [bisect_right(starts, at) - 1 for at in range(0, len(self._blob) + _CHUNK, _CHUNK)]
        )
        ids = self._ids
        order = sorted(range(self._n), key=ids.__getitem__)
        self._by_id = array("i", order)
        del order
        tags, tag_repeats = _group_many([post.tags for post in posts])
        cats, cat_repeats = _group_many([post.categories for post in posts])
        authors = _group_one([post.author for post in posts])
        self._groups["tag"] = self._fold_groups(tags)
        self._groups["cat"] = self._fold_groups(cats)
        self._groups["author"] = self._fold_groups(authors)
        # Spellings are counted per occurrence: a tag listed twice by one post counts twice.
        self._spellings = {
            "tag": Counter({t: len(g) + tag_repeats.get(t, 0) for t, g in tags.items()}),
            "cat": Counter({c: len(g) + cat_repeats.get(c, 0) for c, g in cats.items()}),
            "author": Counter({a: len(g) for a, g in authors.items() if a}),
        }
        del tags, cats, authors
        self._groups["site"] = self._host_groups()
        ordinals = [
            None
            if moment is None
            else moment.toordinal()
            if moment.tzinfo is UTC
            else _utc_ordinal(moment)
            for moment in [post.date for post in posts]
        ]
        days = {d: g for d, g in _group_one(ordinals).items() if d is not None}
        del ordinals
        years: dict[int, list[int]] = {}
        for day in days:
            years.setdefault(date.fromordinal(day).year, []).append(day)
        for year, year_days in years.items():
            self._years[year] = self._to_bits(
                list(chain.from_iterable(map(days.__getitem__, year_days)))
            )
        self._days = {day: self._compact(positions) for day, positions in days.items()}
        self._dated = 0
        for bits in self._years.values():
            self._dated |= bits
        self._first_day = min(self._days, default=0)
        self._last_day = max(self._days, default=-1)

    def _fold_groups(self, raw: dict[str, list[int]]) -> dict[str, array[int] | int]:
        """Merge the groups of values that fold alike; an empty value is kept as ""."""
        folded: dict[str, list[list[int]]] = {}
        for value, positions in raw.items():
            folded.setdefault(fold(value), []).append(positions)
        return {value: self._compact(_merged(parts)) for value, parts in folded.items()}

    def _host_groups(self) -> dict[str, array[int] | int]:
        """Host and each parent domain -> posts (``site:example.com`` takes subdomains)."""
        sources = [post.source or "" for post in self.posts]
        netlocs = _netlocs(sources)
        by_host: dict[str, list[list[int]]] = {}
        for netloc, positions in _group_one(netlocs).items():
            if netloc:
                host = _host_from_netloc(netloc)
                if host is not None:
                    by_host.setdefault(host, []).append(positions)
            else:  # not the simple scheme://host shape: the slow path, post by post
                for pos in positions:
                    host = host_of(sources[pos])
                    if host is not None:
                        by_host.setdefault(host, []).append([pos])
        suffixes: dict[str, list[list[int]]] = {}
        for host, parts in by_host.items():
            labels = host.split(".")
            for i in range(len(labels)):
                suffixes.setdefault(".".join(labels[i:]), []).extend(parts)
        return {suffix: self._compact(_merged(parts)) for suffix, parts in suffixes.items()}

    def _compact(self, positions: list[int]) -> array[int] | int:
        """A group as kept: a bitset when large, else an array of positions."""
        if len(positions) >= self._big:
            return self._to_bits(positions)
        return array("i", positions)

    # -- bitsets ----------------------------------------------------------------------------

    def _to_bits(self, positions: Iterable[int]) -> int:
        """The bitset of ``positions`` (a sized sequence, any order, repeats allowed)."""
        if not isinstance(positions, (list, array)):
            positions = list(positions)
        if len(positions) < _FEW:
            buf = bytearray(self._n // 8 + 1)
            for p in positions:
                buf[p >> 3] |= 1 << (p & 7)
            return int.from_bytes(buf, "little")
        digits = bytearray(self._zeros)
        deque(map(digits.__setitem__, positions, repeat(_ONE_DIGIT)), maxlen=0)
        digits.reverse()
        return int(digits, 2)

    def _selector_bits(self, selector: bytes) -> int:
        """The bitset of a selector (one byte per post, 0 or 1)."""
        return int(selector.translate(_TO_DIGITS)[::-1], 2) if selector else 0

    def _group_bits(self, kind: str, key: object, group: array[int] | int | None) -> int:
        """A group as a bitset (middle-sized groups are remembered within a budget)."""
        if group is None:
            return 0
        if isinstance(group, int):
            return group
        if len(group) < 64:
            return self._to_bits(group)
        memo_key = (kind, key)
        bits = self._memo.get(memo_key)
        if bits is None:
            size = self._n // 8 + 40
            if self._memo_bytes + size > _MEMO_BYTES:
                self._memo.clear()
                self._memo_bytes = 0
            bits = self._memo[memo_key] = self._to_bits(group)
            self._memo_bytes += size
        return bits

    def _selector(self, bits: int) -> bytes:
        """One byte per post up to the highest set bit: 1 where the bit is set, else 0."""
        return bin(bits)[:1:-1].encode("ascii").translate(_TO_SELECTOR)

    def selector(self, bits: int) -> bytes:
        """One byte per post (all of them): 1 where the bit is set, else 0."""
        selector = self._selector(bits)
        if len(selector) < self._n:  # bin() drops the high zero bits
            selector += bytes(self._n - len(selector))
        return selector

    def positions(self, bits: int) -> list[int]:
        """The positions whose bit is set, ascending."""
        if not bits:
            return []
        if bits.bit_count() * 16 > self._n:
            return list(compress(range(self._n), self._selector(bits)))
        # Few bits: visit only the bytes that hold some (a dense walk costs ~2 ms at 50k).
        data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
        positions: list[int] = []
        for i in compress(range(len(data)), data):
            base = i << 3
            positions.extend([base + offset for offset in _BYTE_BITS[data[i]]])
        return positions

    def posts_of(self, bits: int) -> list[Post]:
        """The posts whose bit is set, in index order (``posts`` picked by ``bits``).

        Many posts are picked in one pass in C (no position is made for each post);
        a few through their positions.
        """
        if not bits:
            return []
        if bits.bit_count() * 16 > self._n:
            return list(compress(self.posts, self._selector(bits)))
        return list(map(self.posts.__getitem__, self.positions(bits)))

    def _range_bits(self, first: int | None, last: int | None) -> int:
        lo = self._first_day if first is None else max(first, self._first_day)
        hi = self._last_day if last is None else min(last, self._last_day)
        if lo > hi:
            return 0
        if lo <= self._first_day and hi >= self._last_day:
            return self._dated
        bits, d = 0, lo
        # Whole years, then whole months, then single days: at most ~80 ORs for any range.
        while d <= hi:
            day = date.fromordinal(d)
            if day.month == 1 and day.day == 1:
                year_end = date(day.year, 12, 31).toordinal()
                if year_end <= hi:
                    bits |= self._years.get(day.year, 0)
                    d = year_end + 1
                    continue
            if day.day == 1:
                month_end = (_span(day.year, day.month, None) or (d, d))[1]
                if month_end <= hi:
                    bits |= self._month_bits(day.year, day.month, d, month_end)
                    d = month_end + 1
                    continue
            bits |= self._group_bits("day", d, self._days.get(d))
            d += 1
        return bits

    def _month_bits(self, year: int, month: int, first: int, last: int) -> int:
        memo_key = ("month", (year, month))
        bits = self._memo.get(memo_key)
        if bits is None:
            bits = 0
            for day in range(first, last + 1):
                bits |= self._group_bits("day", day, self._days.get(day))
            self._memo[memo_key] = bits
            self._memo_bytes += self._n // 8 + 40
        return bits

    def _term_bits(self, term: Term) -> int | None:
        """The bitset where the unsigned term holds; None for per-post terms."""
        if isinstance(term, FieldTerm):
            if term.key in _TEXT_KEYS:
                return None  # asks the state about the annotated posts
            groups = self._groups.get(term.key)
            if groups is None:
                return 0  # annotation-only keys never hold for a post
            bits = 0
            for value in term.values:
                bits |= self._group_bits(term.key, value, groups.get(value))
            return bits
        if isinstance(term, SiteTerm):
            bits = 0
            sites = self._groups["site"]
            for host in term.hosts:
                bits |= self._group_bits("site", host, sites.get(host))
            return bits
        if isinstance(term, DateTerm):
            bits = 0
            for r in term.ranges:
                bits |= self._range_bits(r.first, r.last)
            return bits
        if isinstance(term, StateTerm) and set(term.flags) <= {"orphan", "unplaced"}:
            return 0
        return None

    # -- filtering --------------------------------------------------------------------------

    def filter(self, query: Query, state: PostState = EMPTY_STATE) -> list[Post]:
        """The posts the query matches, in input order.

        Args:
            query: A parsed query.
            state: Reading and annotation state for ``is:`` and ``has:``.

        Returns:
            The matching posts (same semantics as :meth:`Query.matches_post`).
        """
        if not query.terms:
            return list(self.posts)
        positions = self.filter_positions(query, state)
        result = list(map(self.posts.__getitem__, positions))
        # Facets are usually asked for the result just returned: remember its positions
        # (with a copy of the list, so a caller that sorts its result gets no stale answer).
        self._last = (result[:], positions)
        return result

    def filter_positions(self, query: Query, state: PostState = EMPTY_STATE) -> list[int]:
        """Like :meth:`filter`, but the matching positions (indexes into ``posts``)."""
        if not query.terms:
            return list(range(self._n))
        return self.positions(self.filter_bits(query, state))

    def filter_bits(self, query: Query, state: PostState = EMPTY_STATE) -> int:
        """Like :meth:`filter`, but the bitset of the matching positions."""
        everything = self._all
        bits = everything
        rest: list[Term] = []
        for term in query.terms:
            term_bits = self._term_bits(term)
            if term_bits is None:
                rest.append(term)
            else:
                bits &= (everything ^ term_bits) if term.negated else term_bits
            if not bits:
                return 0
        # Words first: a substring test is cheaper than asking the state about a post.
        rest.sort(key=lambda t: (not isinstance(t, WordTerm), t.negated))
        for term in rest:
            # Few candidates left: test only those; many: test every post at C speed.
            candidates = None if bits.bit_count() * 8 > self._n else self.positions(bits)
            term_bits = self._scan(term, candidates, state)
            bits &= (everything ^ term_bits) if term.negated else term_bits
            if not bits:
                return 0
        return bits

    def _scan(self, term: Term, candidates: list[int] | None, state: PostState) -> int:
        """The bitset where the unsigned word or state term holds (among ``candidates``)."""
        if isinstance(term, WordTerm):
            return self._word_bits(term.word, candidates)
        if isinstance(term, FieldTerm):  # note: or quote:
            ids = getattr(state, "annotated_ids", None)
            matching = [
                i for i in (ids() if ids else ()) if _annotation_text_matches(term, i, state)
            ]
            return self._id_bits(matching)
        assert isinstance(term, StateTerm)
        bits = 0
        for flag in term.flags:
            bits |= self._state_bits(flag, candidates, state)
        return bits

    def _word_bits(self, word: str, candidates: list[int] | None) -> int:
        """Posts whose folded title, author or one of whose tags contains ``word``."""
        if candidates is None:
            bits = self._title_bits(word)
        else:
            find, starts = self._blob.find, self._starts
            bits = self._to_bits(
                [i for i in candidates if find(word, starts[i], starts[i + 1]) >= 0]
            )
        for kind in ("author", "tag"):
            for value, group in self._groups[kind].items():
                if word in value:
                    bits |= self._group_bits(kind, value, group)
        return bits

    def _title_bits(self, word: str) -> int:
        """Posts whose folded title contains ``word``, found in one pass over all titles.

        ``str.find`` in the joined titles jumps from one match to the next (a few times
        faster than testing 50k titles one by one when a word is in a few of them), each
        match is placed by bisection and the search resumes at the next title. When one
        title in ``_DENSE`` matched so far, the remaining titles are tested one by one.
        """
        blob = self._blob
        if not word or "\n" in word:  # in every title; or in none (titles have no newline)
            return self._all if not word else 0
        find, starts, chunks = blob.find, self._starts, self._chunk_titles
        positions: list[int] = []
        add = positions.append
        at = find(word)
        while at >= 0:
            chunk = at // _CHUNK
            title = bisect_right(starts, at, chunks[chunk], chunks[chunk + 1] + 1) - 1
            add(title)
            if len(positions) % _DENSE_CHECK == 0 and len(positions) * _DENSE > title:
                rest = islice(self._titles, title + 1, None)
                found = bytes(map(contains, rest, repeat(word)))
                return self._to_bits(positions) | (self._selector_bits(found) << (title + 1))
            at = find(word, starts[title + 1])
        return self._to_bits(positions)

    def _state_bits(self, flag: StateFlag, candidates: list[int] | None, state: PostState) -> int:
        """Posts (among ``candidates``) where the reading or annotation flag holds."""
        if flag == "unread":
            return self._all ^ self._state_bits("read", None, state)
        if flag in ("orphan", "unplaced"):
            return 0  # only an annotation is an orphan or unplaced, never a post
        ask: Callable[[str], object]
        if isinstance(state, Marks):
            holders = (
                state.read
                if flag == "read"
                else state.noted_ids()
                if flag == "notes"
                else state.highlighted_ids()
            )
            if candidates is None and len(holders) * _FEW_IDS <= self._n:
                return self._id_bits(holders)  # a few posts: found by id
            # Set lookups at C speed rather than a method call per post.
            ask = holders.__contains__
        elif isinstance(state, _EmptyState):
            return 0
        else:
            ask = {
                "read": state.is_read,
                "notes": state.has_notes,
                "highlights": state.has_highlights,
            }[flag]
        if candidates is None:
            return self._selector_bits(bytes(map(bool, map(ask, self._ids))))
        ids = self._ids
        return self._to_bits([i for i in candidates if ask(ids[i])])

    def _id_bits(self, wanted: Iterable[str]) -> int:
        """The posts whose id is in ``wanted``, found by bisection (for a few ids)."""
        by_id, id_of, n = self._by_id, self._ids.__getitem__, self._n
        positions: list[int] = []
        for post_id in wanted:
            k = bisect_left(by_id, post_id, key=id_of)
            while k < n and id_of(by_id[k]) == post_id:  # ids repeat only in odd corpora
                positions.append(by_id[k])
                k += 1
        return self._to_bits(positions)

    # -- helpers for facets and completion -------------------------------------------------

    def positions_of(self, posts: Iterable[Post]) -> list[int] | None:
        """Positions of posts that are this index's own objects; None if one is not.

        Identity is enough: the index holds its posts, so their ``id()`` cannot be reused.
        """
        if not isinstance(posts, list):
            posts = list(posts)
        last_posts, last_positions = self._last
        # List equality compares identity first, element by element, in C.
        if len(posts) == len(last_posts) and posts == last_posts:
            return list(last_positions)
        if self._by_object is None:  # built on first need: 50k entries weigh megabytes
            self._by_object = {id(p): i for i, p in enumerate(self.posts)}
        try:
            return list(map(self._by_object.__getitem__, map(id, posts)))
        except KeyError:
            return None

    def bits_of(self, positions: Sequence[int]) -> int:
        """The bitset of ``positions`` (as :meth:`positions` reads back)."""
        return self._to_bits(positions)

    def counts(self, kind: GroupKind, bits: int) -> dict[str, int]:
        """Folded value -> how many posts of ``bits`` have it (0 counts left out)."""
        groups = self._groups[kind]
        if bits == self._all:
            return {v: g.bit_count() if isinstance(g, int) else len(g) for v, g in groups.items()}
        selector: bytes | None = None
        out: dict[str, int] = {}
        for value, group in groups.items():
            if isinstance(group, int):
                count = (group & bits).bit_count()
            else:
                if selector is None:
                    selector = self.selector(bits)
                count = sum(map(selector.__getitem__, group))
            if count:
                out[value] = count
        return out

    def year_counts(self, bits: int | None = None) -> dict[int, int]:
        """Year -> number of posts dated in it (of ``bits``; None: of every post)."""
        if bits is None:
            return {y: b.bit_count() for y, b in self._years.items()}
        counts = {y: (b & bits).bit_count() for y, b in self._years.items()}
        return {y: n for y, n in counts.items() if n}

    def spelling(self, kind: GroupKind, key: str) -> str:
        """The most common original spelling of a folded value over the whole index."""
        return self._display(kind).get(key, key)

    def _display(self, kind: str) -> dict[str, str]:
        cached = self._display_cache.get(kind)
        if cached is not None:
            return cached
        best: dict[str, tuple[int, str]] = {}
        for raw, count in self._spellings[kind].items():
            key = fold(raw)
            current = best.get(key)
            # Most common spelling wins; ties go to the alphabetically first, for stability.
            if current is None or (-count, raw) < (-current[0], current[1]):
                best[key] = (count, raw)
        display = self._display_cache[kind] = {k: v[1] for k, v in best.items()}
        return display

    def value_counts(self, kind: Literal["tag", "cat", "author", "site"]) -> dict[str, int]:
        """Folded value -> number of posts, for completion and help."""
        groups = self._groups[kind]
        sizes = {k: g.bit_count() if isinstance(g, int) else len(g) for k, g in groups.items() if k}
        if kind == "site":
            return {h: n for h, n in sizes.items() if "." in h}
        return sizes
