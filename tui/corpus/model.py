"""The corpus's value types: a post record and a problem record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NamedTuple, NewType

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


class Post(NamedTuple):
    """One post file's metadata, as listed; the body is read only when the post is shown.

    A named tuple rather than a dataclass: a warm load builds tens of thousands of them
    straight from the metadata cache's columns, and ``tuple.__new__`` does that in C
    (measured: half the time of the fastest dataclass construction). Immutable like a
    frozen dataclass; change a field with ``post._replace(...)``.
    """

    id: PostId
    path: str
    """Absolute path of the file."""
    rel_path: str
    """Path relative to the corpus root it was found under (POSIX separators)."""
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
