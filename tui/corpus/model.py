"""The corpus's value types: a post record and a problem record."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NewType

PostId = NewType("PostId", str)
"""A post's stable id: derived from its source URL, else its path relative to the corpus."""

ProblemKind = Literal[
    "yaml",  # front matter that YAML cannot parse
    "not-mapping",  # front matter that parses, but not to a mapping
    "encoding",  # bytes that are not text in any encoding we accept
    "empty",  # a file with nothing in it
    "binary",  # NUL bytes or other signs of a non-text file
    "unreadable",  # permission denied or another OS error
    "loop",  # a symlink loop
    "fields",  # a field present with a value we cannot use (e.g. an impossible date)
]


@dataclass(frozen=True, slots=True)
class Post:
    """One post file's metadata, as listed; the body is read only when the post is shown."""

    id: PostId
    path: str
    """Absolute path of the file."""
    rel_path: str
    """Path relative to the corpus root it was found under (POSIX separators): the end of
    ``path``."""
    title: str
    date: datetime | None
    """Timezone-aware, in UTC; None when no date could be found."""
    author: str
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    source: str | None
    """The source URL, from `from`/`source`/`url`/`link` or the `[title](url)` header."""
    extras: tuple[tuple[str, str], ...] = ()
    """Other front matter keys, as (key, value rendered as text) pairs."""
    size: int = 0
    mtime_ns: int = 0
    encoding: str = "utf-8"
    """The encoding the file was decoded with."""

    def __post_init__(self) -> None:
        """Check that ``rel_path`` ends ``path``.

        Raises:
            ValueError: ``path`` does not end with ``rel_path``.
        """
        path, rel_path = self.path, self.rel_path
        if len(path) < len(rel_path) or not path.endswith(rel_path.replace("/", os.sep)):
            raise ValueError(f"{path!r} does not end with {rel_path!r}")


ROW_FIELDS: tuple[str, ...] = tuple(
    "rel_start" if name == "rel_path" else name for name in Post.__slots__
)
"""The fields of a stored post row, in order: `Post`'s, with ``rel_start`` (where the
relative path begins in ``path``) for ``rel_path``, as the index stores it."""


def relative_part(path: str, start: int) -> str:
    """The part of ``path`` from index ``start`` on, with POSIX separators."""
    rel = path[start:]
    return rel if os.sep == "/" else rel.replace(os.sep, "/")


class _PostFields:
    """`Post`'s slots without its frozen ``__setattr__``: `post_from_row` fills one with
    plain attribute stores, then makes it a `Post` (CPython allows ``__class__`` to change
    between classes with the same slots)."""

    __slots__ = Post.__slots__


def post_from_row(row: Sequence[Any]) -> Post:
    """A post from its stored fields (`ROW_FIELDS`), without ``Post.__init__``'s check.

    The index builds the posts of every page of the list, and ``postil ls`` every post,
    from rows it wrote itself: the frozen dataclass's ``__init__`` stores each field
    through ``object.__setattr__``, at several times the cost of this.
    """
    (id_, path, start, title, date, author, tags, cats, source, extras, size, mtime, enc) = row
    post: Any = object.__new__(_PostFields)
    post.id = id_
    post.path = path
    post.rel_path = path[start:] if _POSIX else relative_part(path, start)
    post.title = title
    post.date = date
    post.author = author
    post.tags = tags
    post.categories = cats
    post.source = source
    post.extras = extras
    post.size = size
    post.mtime_ns = mtime
    post.encoding = enc
    post.__class__ = Post
    built: Post = post
    return built


_POSIX = os.sep == "/"


@dataclass(frozen=True, slots=True)
class Problem:
    """A file that could not be read properly, with the reason in one sentence."""

    path: str
    kind: ProblemKind
    reason: str
    recovered: bool = False
    """True when the file is listed anyway with what could be recovered."""
