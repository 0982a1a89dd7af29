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

``note:X`` and ``quote:X`` hold for a post with an annotation whose note / quote holds X,
matched like the other text terms; the post's annotations come from the state
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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Literal, Protocol
from urllib.parse import urlsplit

from tui.corpus.errors import CorpusError
from tui.corpus.model import Post
from tui.corpus.textmatch import Chain, chain_of, matches_folded
from tui.corpus.textmatch import fold as text_fold
from tui.corpus.textmatch import matches as chain_matches

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
"""Field keys matched in an annotation's text (as text terms), not as whole values."""
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
class _SortTerm(_TermBase):
    """``sort:ORDER``: kept as `Query.sort_key`, never among the terms."""

    key: SortKey


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
        """Post id -> folded (note, quote) pairs, folded on first need (not when the
        marks are read: the library reads them after every change, and only these terms
        need the texts)."""
        if self._folded is None:
            grouped: dict[str, list[tuple[str, str]]] = {}
            for ann in self.annotations:
                pair = (text_fold(ann.note), text_fold(ann.target.exact))
                grouped.setdefault(ann.post.id, []).append(pair)
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
    title: str
    meta: tuple[str, ...]
    """The author and each tag: text terms look in each apart."""
    body: str | None
    """The canonical text (None: not known, as for an annotation's post)."""
    annotation: _AnnotationFacts | None = None


@dataclass(frozen=True, slots=True)
class _AnnotationFacts:
    """The annotation's own fields, folded."""

    note: str
    tags: frozenset[str]
    color: str
    quote: str
    is_orphan: bool
    note_text: str
    """The note as written (text terms fold it themselves)."""
    quote_text: str
    is_unplaced: bool = False


def _facts_of_post(post: Post, text: str | None) -> _Facts:
    return _Facts(
        post_id=post.id,
        tags=frozenset(fold(t) for t in post.tags),
        categories=frozenset(fold(c) for c in post.categories),
        author=fold(post.author),
        host=host_of(post.source),
        ordinal=_ordinal_of(post.date),
        title=post.title,
        meta=(post.author, *post.tags),
        body=text,
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


def annotation_text_ids(term: FieldTerm, state: PostState) -> set[str]:
    """The posts one of whose annotations' note (``note:``) or quote (``quote:``) holds
    the term's words (none for a state that knows no annotation)."""
    texts = getattr(state, "annotation_texts", None)
    ids = getattr(state, "annotated_ids", None)
    if texts is None or ids is None:
        return set()
    part = 0 if term.key == "note" else 1
    return {
        post_id
        for post_id in ids()
        if any(matches_folded(c, pair[part]) for pair in texts(post_id) for c in term.chains)
    }


def _annotation_text_matches(term: FieldTerm, post_id: str, state: PostState) -> bool:
    """``note:``/``quote:`` for a post: one of its annotations' note / quote holds it."""
    texts = getattr(state, "annotation_texts", None)
    if texts is None:
        return False
    part = 0 if term.key == "note" else 1
    return any(matches_folded(c, pair[part]) for pair in texts(post_id) for c in term.chains)


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
    text = ann.quote_text if key == "quote" else ann.note_text
    return any(chain_matches(chain, text) for chain in term.chains)


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
    return _text_holds(term, facts)


def _text_holds(term: WordTerm, facts: _Facts) -> bool:
    """A text term, by brute force (`textmatch.matches`) over each text it may be in."""
    chain, scope = term.chain, term.scope
    if scope != "text" and chain_matches(chain, facts.title):
        return True
    if scope == "any" and any(chain_matches(chain, value) for value in facts.meta):
        return True
    if scope != "title" and facts.body is not None and chain_matches(chain, facts.body):
        return True
    ann = facts.annotation
    return (
        scope == "any"
        and ann is not None
        and (chain_matches(chain, ann.quote_text) or chain_matches(chain, ann.note_text))
    )


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
        if not self.terms:
            return True
        facts = _facts_of_post(post, text)
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
    snapshots keep no categories). ``note:WORD`` / ``quote:WORD`` are words of the note /
    quote (as text terms match), ``hl-tag:X`` an annotation tag, ``color:C`` its colour,
    ``is:orphan`` and ``is:unplaced`` the flags; ``has:notes`` means the annotation's note
    is not empty and ``has:highlights`` always holds; a bare word also searches the quote,
    the note and the annotation's tags.

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
        title=post.title,
        meta=(post.author, *post.tags, *ann.tags),
        body=None,
        annotation=_AnnotationFacts(
            note=_fold_text(ann.note),
            tags=frozenset(fold(t) for t in ann.tags),
            color=fold(ann.color),
            quote=_fold_text(ann.target.exact),
            is_orphan=is_orphan,
            note_text=ann.note,
            quote_text=ann.target.exact,
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

    def term(self, token: _Token) -> Term | _SortTerm:
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
            if key in _TEXT_KEYS:
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

    def _sort(self, token: _Token, raw: list[str]) -> _SortTerm:
        value = fold(raw[-1])
        if token.negated or len(raw) != 1 or value not in SORT_KEYS:
            raise QueryError(
                f"{_shown(token.text)} is not an order"
                f" (use {', '.join('sort:' + k for k in SORT_KEYS)})",
                token.text,
                token.position,
            )
        return _SortTerm(token.text, token.position, False, value)

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
    parsed = [parser.term(token) for token in _tokenize(text)]
    sorts = [term.key for term in parsed if isinstance(term, _SortTerm)]
    terms = tuple(term for term in parsed if not isinstance(term, _SortTerm))
    return Query(text, terms, annotation_keys, sorts[-1] if sorts else None)
