"""`scan`: a whole walk gathered into one list, for the tests of the walk.

The app and the CLI take the walk a folder at a time (`tui.corpus.scan.walk`, through the
index's sync); the tests compare whole walks, so they gather them here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from tui.corpus.model import Problem, relative_part
from tui.corpus.scan import POST_SUFFIXES, FileBatch, walk


class FileEntry(NamedTuple):
    """One post file the walk found."""

    path: str
    """Absolute path (through the links the walk followed, not resolved)."""
    rel_start: int
    """Where the path relative to the root it was found under begins in ``path``."""
    size: int
    mtime_ns: int

    @property
    def rel_path(self) -> str:
        """Path relative to the root it was found under, POSIX separators."""
        return relative_part(self.path, self.rel_start)


@dataclass(slots=True)
class ScanResult:
    """The files found and the problems met while walking."""

    files: list[FileEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)


def is_post_file(name: str) -> bool:
    """True when a file name has one of the post suffixes."""
    return name.lower().endswith(POST_SUFFIXES)


def scan(
    paths: Sequence[str | Path], on_folder: Callable[[list[FileEntry]], None] | None = None
) -> ScanResult:
    """Walk the corpus paths and gather every file found.

    Args:
        paths: Folders (walked recursively) or single files (taken whatever their suffix).
        on_folder: Called after each folder with the files found so far (a list that
            only grows).

    Returns:
        The files found in walk order, problems met (unreadable folders, loops, broken
        links), and the absolute roots.

    Raises:
        MissingPath: One of ``paths`` does not exist.
    """
    files: list[FileEntry] = []

    def gather(batch: FileBatch) -> None:
        prefix, start = batch.prefix, batch.rel_start
        files.extend(
            FileEntry(prefix + name, start, info.st_size, info.st_mtime_ns)
            for name, info in zip(batch.names, batch.infos, strict=True)
        )

    def done(group: str) -> None:
        if on_folder is not None and group.endswith(os.sep):  # not a file given alone
            on_folder(files)

    problems, roots = walk(paths, gather, done)
    return ScanResult(files, problems, roots)
