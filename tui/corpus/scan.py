"""Finding post files below the corpus folders.

Recursive, sorted (so ids and problems come out the same on every run), hidden folders
skipped, symbolic links followed once: a link that leads back to a folder above it is
reported as a loop, and a file reachable by two routes is listed once (first route in
sorted order wins).
"""

from __future__ import annotations

import errno
import os
import stat as st
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

from tui.corpus.errors import CorpusError
from tui.corpus.model import Problem, relative_part

POST_SUFFIXES = (".md", ".markdown", ".html", ".htm")
"""File name endings of post files (compared case-insensitively)."""


_SCAN_FD = os.scandir in os.supports_fd and hasattr(os, "O_DIRECTORY")
"""Scan folders through an open descriptor (POSIX): stat() then needs no path lookup."""

_DIR_FLAGS = (
    getattr(os, "O_RDONLY", 0) | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
)

_NAME = attrgetter("name")


class MissingPath(CorpusError):
    """A corpus path given by the user does not exist."""


class FileEntry(NamedTuple):
    """One post file found by the scan (a named tuple: tens of thousands are made)."""

    path: str
    """Absolute path (through the links the scan followed, not resolved)."""
    rel_start: int
    """Where the path relative to the root it was found under begins in ``path``."""
    size: int
    mtime_ns: int

    @property
    def rel_path(self) -> str:
        """Path relative to the root it was found under, POSIX separators."""
        return relative_part(self.path, self.rel_start)


ScanColumns = tuple[list[str], list[int], list[int], list[int]]
"""The scan's files as columns: paths, rel_starts, sizes, mtimes (in scan order)."""


@dataclass(slots=True)
class ScanResult:
    """The files found and the problems met while walking."""

    files: list[FileEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)
    packed: ScanColumns | None = field(default=None, compare=False)
    """The files' fields as columns, when the files were built from them."""

    def columns(self) -> ScanColumns:
        """The files' fields as lists, one per field (compared with the cache's in C)."""
        if self.packed is not None:
            return self.packed
        if not self.files:
            return [], [], [], []
        paths, starts, sizes, mtimes = map(list, zip(*self.files, strict=True))
        return paths, starts, sizes, mtimes


def is_post_file(name: str) -> bool:
    """True when a file name has one of the post suffixes."""
    return name.lower().endswith(POST_SUFFIXES)


def scan(
    paths: Sequence[str | Path], on_folder: Callable[[list[FileEntry]], None] | None = None
) -> ScanResult:
    """Walk the corpus paths.

    Args:
        paths: Folders (walked recursively) or single files (taken whatever their suffix).
        on_folder: Called after each folder's files with the files found so far (the
            result's list, which only grows), e.g. to parse them while the walk goes on.

    Returns:
        The files found, problems met (unreadable folders, loops, broken links), and the
        absolute roots.

    Raises:
        MissingPath: One of ``paths`` does not exist.
    """
    walker = _Walker()
    walker.on_folder = on_folder
    for root in resolve_roots(paths):
        walker.result.roots.append(root)
        if os.path.isdir(root):
            walker.walk_root(root)
        else:
            walker.add_file(root)
    return walker.result


def resolve_roots(paths: Sequence[str | Path]) -> list[str]:
    """The absolute corpus roots of ``paths`` (``~`` expanded, links not resolved).

    Raises:
        MissingPath: One of ``paths`` does not exist.
    """
    roots = []
    for raw in paths:
        root = os.path.abspath(os.path.expanduser(os.fspath(raw)))
        if not os.path.lexists(root):
            raise MissingPath(f"there is no file or folder named '{os.fspath(raw)}'.")
        roots.append(root)
    return roots


class _Walker:
    """Depth-first walk with loop and duplicate detection."""

    def __init__(self) -> None:
        self.result = ScanResult()
        self.seen_files: set[tuple[int, int]] = set()
        self.seen_dirs: set[tuple[int, int]] = set()
        self.rel_start = 0
        """Where paths relative to the root being walked begin."""
        self.on_folder: Callable[[list[FileEntry]], None] | None = None
        """Called after each folder with the files found so far (see `scan`)."""

    def walk_root(self, root: str) -> None:
        try:
            info = os.stat(root)
        except OSError as exc:
            self._problem_from_os(root, exc)
            return
        key = (info.st_dev, info.st_ino)
        if key in self.seen_dirs:
            return
        self.seen_dirs.add(key)
        self.rel_start = len(root if root.endswith(os.sep) else root + os.sep)
        self._walk(root, [key])

    def _walk(self, folder: str, ancestors: list[tuple[int, int]]) -> None:
        # The folder is opened once and its entries are stat()ed relative to it
        # (fstatat): the kernel does not walk the whole path again for every file,
        # which is most of the cost of a warm load.
        fd: int | None = None
        try:
            if _SCAN_FD:
                fd = os.open(folder, _DIR_FLAGS)
            with os.scandir(folder if fd is None else fd) as it:
                entries = sorted(it, key=_NAME)
        except OSError as exc:
            if fd is not None:
                os.close(fd)
            self._problem_from_os(folder, exc, folder=True)
            return
        try:
            self._walk_entries(folder, entries, ancestors)
        finally:
            if fd is not None:
                os.close(fd)

    def _walk_entries(
        self,
        folder: str,
        entries: list[os.DirEntry[str]],
        ancestors: list[tuple[int, int]],
    ) -> None:
        prefix = folder if folder.endswith(os.sep) else folder + os.sep
        files = self.result.files
        seen = self.seen_files
        new_entry = tuple.__new__
        suffixes = POST_SUFFIXES
        start = self.rel_start
        for entry in entries:
            name = entry.name
            if name.endswith(suffixes) or name.lower().endswith(suffixes):
                # A post file (or a folder named like one): one stat() answers both
                # "is it a folder?" and the size and mtime, without a separate is_dir().
                try:
                    info = entry.stat()
                except OSError as exc:
                    # A link loop or a broken link: reported whatever the name.
                    self._problem_from_os(prefix + name, exc)
                    continue
                mode = info.st_mode
                if st.S_ISREG(mode):
                    key = (info.st_dev, info.st_ino)
                    if key in seen:
                        continue
                    seen.add(key)
                    # tuple.__new__ is FileEntry(...) without its Python-level __new__.
                    files.append(
                        new_entry(FileEntry, (prefix + name, start, info.st_size, info.st_mtime_ns))
                    )
                elif st.S_ISDIR(mode) and name[0] != ".":
                    self._enter(entry, prefix + name, ancestors)
                continue
            try:
                is_dir = entry.is_dir()
            except OSError as exc:
                # A link loop raises here; report it whatever the link's name.
                self._problem_from_os(prefix + name, exc)
                continue
            if is_dir and name[0] != ".":
                self._enter(entry, prefix + name, ancestors)
        if self.on_folder is not None:
            self.on_folder(files)

    def _enter(
        self,
        entry: os.DirEntry[str],
        path: str,
        ancestors: list[tuple[int, int]],
    ) -> None:
        try:
            info = entry.stat()
        except OSError as exc:
            self._problem_from_os(path, exc, folder=True)
            return
        key = (info.st_dev, info.st_ino)
        if key in ancestors:
            target = os.path.realpath(path)
            self.result.problems.append(
                Problem(path, "loop", f"this link leads back to '{target}', a folder above it.")
            )
            return
        if key in self.seen_dirs:
            return  # reached again through another link: its files are listed already
        self.seen_dirs.add(key)
        self._walk(path, [*ancestors, key])

    def add_file(self, path: str) -> None:
        """A file given by itself: its relative path is its name."""
        try:
            info = os.stat(path)
        except OSError as exc:
            self._problem_from_os(path, exc)
            return
        if not st.S_ISREG(info.st_mode):
            return  # a fifo, socket or device with a post-like name is not a post
        key = (info.st_dev, info.st_ino)
        if key in self.seen_files:
            return
        self.seen_files.add(key)
        start = len(path) - len(os.path.basename(path))
        self.result.files.append(FileEntry(path, start, info.st_size, info.st_mtime_ns))

    def _problem_from_os(self, path: str, exc: OSError, *, folder: bool = False) -> None:
        what = "folder" if folder else "file"
        if exc.errno == errno.ELOOP:
            self.result.problems.append(Problem(path, "loop", "this symbolic link is a loop."))
        elif exc.errno == errno.ENOENT and os.path.islink(path):
            target = os.readlink(path)
            self.result.problems.append(
                Problem(
                    path,
                    "unreadable",
                    f"this symbolic link points to '{target}', which does not exist.",
                )
            )
        elif isinstance(exc, PermissionError):
            self.result.problems.append(
                Problem(path, "unreadable", f"permission denied: the {what} cannot be read.")
            )
        else:
            reason = exc.strerror or str(exc)
            self.result.problems.append(
                Problem(path, "unreadable", f"the {what} cannot be read ({reason}).")
            )
