"""The annotation model: typed, frozen values and their validation against the file.

One TinyDB document per annotation (table ``annotations``)::

    id        uuid4 string
    post      {id, path, title, source, author, date, tags}   a snapshot of the post
    target    {exact, prefix, suffix, start, end}            quote, context and offsets
    note      string (empty for a plain highlight)
    tags      list of strings
    color     a name from COLORS
    created, updated   ISO 8601 UTC
    schema    1

Everything read from the file is untrusted: :meth:`Annotation.from_doc` checks every
field and raises :class:`InvalidDocument` with one sentence saying what is wrong, so the
store can report the document instead of crashing on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NewType, Protocol

AnnotationId = NewType("AnnotationId", str)
"""An annotation's id: a uuid4 string (never a post id, never a TinyDB doc id)."""

COLORS: tuple[str, ...] = ("yellow", "green", "blue", "pink", "purple")
"""The highlight palette; the first is the default."""

SCHEMA = 1
"""The document schema this code reads and writes."""


def clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Highlight tags as the user means them, in the order given: white space trimmed and
    collapsed, the ``#`` a hashtag habit puts before a tag, or around it, dropped
    (``#food`` and ``#话题#`` are ``food`` and ``话题``: a tag shows as ``#food``, so
    ``##food`` would be wrong, and ``hl-tag:food`` must find it; ``C#`` stays), empty ones
    and repeats (ignoring case) left out."""
    seen: dict[str, None] = {}
    folded: set[str] = set()
    for raw in tags:
        tag = " ".join(raw.split())
        if tag.startswith("#"):
            tag = tag.strip("#").strip()
        if tag and tag.casefold() not in folded:
            seen[tag] = None
            folded.add(tag.casefold())
    return tuple(seen)


class InvalidDocument(ValueError):
    """A stored document that does not follow the schema; ``str()`` is one sentence."""


def utc_now_iso() -> str:
    """The current time as ISO 8601 UTC with milliseconds and a ``Z`` suffix."""
    return iso_utc(datetime.now(UTC))


def iso_utc(moment: datetime) -> str:
    """Format an aware datetime as ISO 8601 UTC (``2023-10-26T22:57:12.000Z``)."""
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


class PostLike(Protocol):
    """What :meth:`PostSnapshot.from_post` needs of a post (``tui.corpus.model.Post`` fits)."""

    @property
    def id(self) -> str: ...  # noqa: D102
    @property
    def path(self) -> str: ...  # noqa: D102
    @property
    def title(self) -> str: ...  # noqa: D102
    @property
    def source(self) -> str | None: ...  # noqa: D102
    @property
    def author(self) -> str: ...  # noqa: D102
    @property
    def date(self) -> datetime | None: ...  # noqa: D102
    @property
    def tags(self) -> Sequence[str]: ...  # noqa: D102


@dataclass(frozen=True, slots=True)
class PostSnapshot:
    """The post's metadata at the time of annotating, so export needs no corpus."""

    id: str
    """The post's stable id (12 hex characters)."""
    path: str
    title: str
    source: str | None
    """The post's source URL, if it has one."""
    author: str
    date: str | None
    """ISO 8601 UTC, or None for an undated post."""
    tags: tuple[str, ...] = ()

    @classmethod
    def from_post(cls, post: PostLike) -> PostSnapshot:
        """Snapshot a corpus post (anything shaped like ``tui.corpus.model.Post``)."""
        return cls(
            id=str(post.id),
            path=post.path,
            title=post.title,
            source=post.source,
            author=post.author,
            date=iso_utc(post.date) if post.date is not None else None,
            tags=tuple(post.tags),
        )

    def to_doc(self) -> dict[str, Any]:
        """The JSON-ready mapping stored in the document's ``post`` field."""
        return {
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "source": self.source,
            "author": self.author,
            "date": self.date,
            "tags": list(self.tags),
        }

    @classmethod
    def from_doc(cls, doc: object) -> PostSnapshot:
        """Validate and build a snapshot from its stored mapping.

        Raises:
            InvalidDocument: a field is missing or has the wrong type.
        """
        data = _mapping(doc, "post")
        return cls(
            id=_str(data, "id", "post"),
            path=_str(data, "path", "post"),
            title=_str(data, "title", "post"),
            source=_opt_str(data, "source", "post"),
            author=_str(data, "author", "post", default=""),
            date=_opt_str(data, "date", "post"),
            tags=_str_tuple(data, "tags", "post", default=()),
        )


@dataclass(frozen=True, slots=True)
class Target:
    """Where a highlight sits: the quote, its context and offsets into the canonical text."""

    exact: str
    """The quoted text as the user selected it; never rewritten by re-anchoring."""
    prefix: str
    """Up to 32 characters before the quote."""
    suffix: str
    """Up to 32 characters after the quote."""
    start: int
    """Offset of the quote's first character (Unicode code points)."""
    end: int
    """Offset just past the quote's last character."""

    def to_doc(self) -> dict[str, Any]:
        """The JSON-ready mapping stored in the document's ``target`` field."""
        return {
            "exact": self.exact,
            "prefix": self.prefix,
            "suffix": self.suffix,
            "start": self.start,
            "end": self.end,
        }

    @classmethod
    def from_doc(cls, doc: object) -> Target:
        """Validate and build a target from its stored mapping.

        Raises:
            InvalidDocument: a field is missing, mistyped, or the offsets are impossible.
        """
        data = _mapping(doc, "target")
        target = cls(
            exact=_str(data, "exact", "target"),
            prefix=_str(data, "prefix", "target", default=""),
            suffix=_str(data, "suffix", "target", default=""),
            start=_int(data, "start", "target"),
            end=_int(data, "end", "target"),
        )
        if target.start < 0 or target.end < target.start:
            raise InvalidDocument(
                f"target offsets {target.start}..{target.end} are not a valid span."
            )
        if not target.exact:
            raise InvalidDocument("target.exact is empty.")
        return target


@dataclass(frozen=True, slots=True)
class Annotation:
    """One highlight, with or without a note."""

    id: AnnotationId
    post: PostSnapshot
    target: Target
    note: str
    """The user's note; empty for a plain highlight."""
    tags: tuple[str, ...]
    color: str
    """A name from COLORS (unknown names from newer versions are kept as they are)."""
    created: str
    """ISO 8601 UTC."""
    updated: str
    """ISO 8601 UTC; equals ``created`` until the first edit."""
    schema: int = SCHEMA

    @property
    def has_note(self) -> bool:
        """True when the note has some non-blank text."""
        return bool(self.note.strip())

    def to_doc(self) -> dict[str, Any]:
        """The JSON-ready document, exactly as stored."""
        return {
            "id": self.id,
            "post": self.post.to_doc(),
            "target": self.target.to_doc(),
            "note": self.note,
            "tags": list(self.tags),
            "color": self.color,
            "created": self.created,
            "updated": self.updated,
            "schema": self.schema,
        }

    @classmethod
    def from_doc(cls, doc: object) -> Annotation:
        """Validate a document read from the store and build the annotation.

        Args:
            doc: the decoded JSON document.

        Raises:
            InvalidDocument: a field is missing or mistyped (one sentence naming it).
        """
        fast = _fast_from_doc(doc)
        if fast is not None:
            return fast
        data = _mapping(doc, "document")
        schema = _int(data, "schema", "document", default=SCHEMA)
        if schema != SCHEMA:
            raise InvalidDocument(f"schema {schema} is not the schema {SCHEMA} this postil reads.")
        return cls(
            id=AnnotationId(_str(data, "id", "document")),
            post=PostSnapshot.from_doc(data.get("post")),
            target=Target.from_doc(data.get("target")),
            note=_str(data, "note", "document", default=""),
            tags=_str_tuple(data, "tags", "document", default=()),
            color=_str(data, "color", "document", default=COLORS[0]),
            created=_str(data, "created", "document"),
            updated=_str(data, "updated", "document", default=None),
            schema=schema,
        )


@dataclass(frozen=True, slots=True)
class ReadingState:
    """Where the reader left a post and whether it was read (table ``reading``)."""

    post_id: str
    position: int = 0
    """Canonical-text offset of the first visible character."""
    is_read: bool = False
    updated: str | None = None
    """ISO 8601 UTC of the last change; None when never recorded."""

    def to_doc(self) -> dict[str, Any]:
        """The JSON-ready document, exactly as stored."""
        return {
            "post_id": self.post_id,
            "position": self.position,
            "is_read": self.is_read,
            "updated": self.updated,
        }

    @classmethod
    def from_doc(cls, doc: object) -> ReadingState | None:
        """The reading state a stored document holds, or None when it is not a valid one."""
        if not isinstance(doc, dict):
            return None
        post_id, position = doc.get("post_id"), doc.get("position", 0)
        is_read, updated = doc.get("is_read", False), doc.get("updated")
        if not isinstance(post_id, str) or not isinstance(is_read, bool):
            return None
        if not isinstance(position, int) or isinstance(position, bool):
            return None
        if updated is not None and not isinstance(updated, str):
            return None
        return cls(post_id, position, is_read, updated)


def _fast_from_doc(doc: object) -> Annotation | None:
    """The common case in one pass: a complete, well-typed document (else None).

    Opening a 10k-annotation store validates every document; the field-by-field path
    below gives the precise error message but costs several times more.
    """
    try:
        if not isinstance(doc, dict) or doc.get("schema", SCHEMA) != SCHEMA:
            return None
        post, target = doc["post"], doc["target"]
        tags, post_tags = doc.get("tags", []), post.get("tags", [])
        strings = (
            doc["id"],
            doc.get("note", ""),
            doc.get("color", COLORS[0]),
            doc["created"],
            doc["created"] if doc.get("updated") is None else doc["updated"],
            post["id"],
            post["path"],
            post["title"],
            post.get("author", ""),
            target["exact"],
            target.get("prefix", ""),
            target.get("suffix", ""),
            *tags,
            *post_tags,
        )
        start, end = target["start"], target["end"]
        source, date = post.get("source"), post.get("date")
    except (KeyError, TypeError, AttributeError):
        return None
    if (
        not all(type(item) is str for item in strings)
        or type(tags) is not list
        or type(post_tags) is not list
        or type(start) is not int
        or type(end) is not int
        or not 0 <= start <= end
        or not target["exact"]
        or (source is not None and type(source) is not str)
        or (date is not None and type(date) is not str)
    ):
        return None
    return Annotation(
        id=AnnotationId(strings[0]),
        post=PostSnapshot(
            strings[5], strings[6], strings[7], source, strings[8], date, tuple(post_tags)
        ),
        target=Target(strings[9], strings[10], strings[11], start, end),
        note=strings[1],
        tags=tuple(tags),
        color=strings[2],
        created=strings[3],
        updated=strings[4],
    )


_MISSING: Any = object()


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        kind = "missing" if value is None else f"a {type(value).__name__}, not an object"
        raise InvalidDocument(f"{where} is {kind}.")
    return value


def _field(data: Mapping[str, Any], key: str, where: str, default: Any) -> Any:
    if key in data:
        return data[key]
    if default is _MISSING:
        raise InvalidDocument(f"{where} has no field {key!r}.")
    return default


def _str(data: Mapping[str, Any], key: str, where: str, default: Any = _MISSING) -> str:
    value = _field(data, key, where, default)
    if value is None and key == "updated":
        # Older documents may lack ``updated``; it then equals ``created``.
        value = data.get("created")
    if not isinstance(value, str):
        raise InvalidDocument(f"{where}.{key} is {_kind(value)}, not a string.")
    return value


def _opt_str(data: Mapping[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidDocument(f"{where}.{key} is {_kind(value)}, not a string or null.")
    return value


def _int(data: Mapping[str, Any], key: str, where: str, default: Any = _MISSING) -> int:
    value = _field(data, key, where, default)
    # bool is an int subclass; a stored ``true`` offset is a mistake, not 1.
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidDocument(f"{where}.{key} is {_kind(value)}, not an integer.")
    return value


def _str_tuple(
    data: Mapping[str, Any], key: str, where: str, default: Any = _MISSING
) -> tuple[str, ...]:
    value = _field(data, key, where, default)
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidDocument(f"{where}.{key} is {_kind(value)}, not a list of strings.")
    return tuple(value)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    return f"a {type(value).__name__}"
