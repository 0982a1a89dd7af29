"""The corpus's value types: a post record and a problem record."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Literal, NamedTuple, NewType, cast

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


class PostRow(NamedTuple):
    """The stored fields of a `Post`, in order (build posts through `Post`).

    A named tuple rather than a dataclass: a warm load builds tens of thousands of posts
    straight from the metadata cache's columns, and ``tuple.__new__`` does that in C
    (measured: half the time of the fastest dataclass construction).
    """

    id: PostId
    path: str
    """Absolute path of the file."""
    rel_start: int
    """Where the path relative to the corpus root begins in ``path`` (see `Post.rel_path`):
    an index instead of a second copy of most of the path (8 MB less at 50k posts)."""
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


class Post(PostRow):
    """One post file's metadata, as listed; the body is read only when the post is shown.

    Immutable like a frozen dataclass; change a field with ``post._replace(...)``.
    """

    __slots__ = ()

    def __new__(
        cls,
        id: PostId,  # noqa: A002 - the field's name
        path: str,
        rel_path: str,
        title: str,
        date: datetime | None,
        author: str,
        tags: tuple[str, ...],
        categories: tuple[str, ...],
        source: str | None,
        extras: tuple[tuple[str, str], ...] = (),
        size: int = 0,
        mtime_ns: int = 0,
        encoding: str = "utf-8",
    ) -> Post:
        """A post; ``rel_path`` (POSIX separators) must be the end of ``path``.

        Raises:
            ValueError: ``path`` does not end with ``rel_path``.
        """
        start = len(path) - len(rel_path)
        if start < 0 or not path.endswith(rel_path.replace("/", os.sep)):
            raise ValueError(f"{path!r} does not end with {rel_path!r}")
        row = (id, path, start, title, date, author, tags, categories, source)
        return tuple.__new__(cls, (*row, extras, size, mtime_ns, encoding))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle and copy as the row (``__new__`` takes ``rel_path``, not its start)."""
        return (post_from_row, (tuple(self),))

    @property
    def rel_path(self) -> str:
        """Path relative to the corpus root it was found under (POSIX separators)."""
        return relative_part(self.path, self.rel_start)


def relative_part(path: str, start: int) -> str:
    """The part of ``path`` from index ``start`` on, with POSIX separators."""
    rel = path[start:]
    return rel if os.sep == "/" else rel.replace(os.sep, "/")


post_from_row: Callable[[Iterable[Any]], Post] = cast(
    Callable[[Iterable[Any]], Post], partial(tuple.__new__, Post)
)
"""``post_from_row(fields)``: a post from its stored fields (`PostRow` order), built in C
without the Python-level ``Post.__new__`` (no defaults, no checks: loading builds tens of
thousands of posts from rows it wrote itself)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """A file that could not be read properly, with the reason in one sentence."""

    path: str
    kind: ProblemKind
    reason: str
    recovered: bool = False
    """True when the file is listed anyway with what could be recovered."""


@dataclass(slots=True)
class LoadResult:
    """Everything a scan of the corpus folders found."""

    posts: list[Post] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)
