"""Finding post files below the corpus folders.

Recursive, sorted (so ids and problems come out the same on every run), hidden folders
skipped, symbolic links followed once: a link that leads back to a folder above it is
reported as a loop, and a file reachable by two routes is listed once (first route in
sorted order wins).

A warm load stat()s every post file (50k of them) and a Python statement per file is a
good part of that, so the walk works a folder at a time where it can. A folder's names
are listed as bytes (sorted as bytes and stat()ed without being encoded again; the scan
for the cache never decodes them at all), its post files stat()ed in one loop, checked
to be regular files and new in a few set operations, and added as column slices. A
folder with anything unusual in it (a link to a file listed already, a fifo, a folder
named like a post, a stat() that fails) takes the file-by-file way, which gives the
same result.
"""

from __future__ import annotations

import errno
import os
import stat as st
import sys
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import attrgetter, itemgetter, methodcaller, not_
from pathlib import Path
from typing import NamedTuple

from tui.corpus.errors import CorpusError
from tui.corpus.model import Problem, relative_part

POST_SUFFIXES = (".md", ".markdown", ".html", ".htm")
"""File name endings of post files (compared case-insensitively)."""

_POST_SUFFIXES_B = tuple(suffix.encode("ascii") for suffix in POST_SUFFIXES)

_STAT_AT = os.stat in os.supports_dir_fd and hasattr(os, "O_DIRECTORY")
"""stat() files through their folder's open descriptor (POSIX): no path lookup each."""

_DIR_FLAGS = (
    getattr(os, "O_RDONLY", 0) | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
)

_FS_ENCODING = sys.getfilesystemencoding()
_FS_ERRORS = sys.getfilesystemencodeerrors()
_FS_UTF8 = _FS_ENCODING == "utf-8" and _FS_ERRORS == "surrogateescape"
"""Names' bytes are their UTF-8 with surrogate escapes (Linux, macOS): the bytes sort
as the names do when they are valid UTF-8, and they are what the cache packs."""

_NAME = attrgetter("name")
_ENDS_LIKE_POST = methodcaller("endswith", _POST_SUFFIXES_B)
_MODE = attrgetter("st_mode")
_DEV = attrgetter("st_dev")
_INO = attrgetter("st_ino")
_SIZE = attrgetter("st_size")
_MTIME = attrgetter("st_mtime_ns")
_FIRST = itemgetter(0)

# What a folder's walk does besides adding regular files, in name order (see `_Walker`).
_PROBLEM = 0
"""A file's stat() failed: the payload is the OSError."""
_ENTER = 1
"""A folder to enter: the payload is its DirEntry (not stat()ed yet)."""
_ENTER_STATED = 2
"""A folder named like a post file: the payload is its stat_result."""


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


class RawScan(NamedTuple):
    """What `scan_packing` found: the files' paths as the metadata cache packs them."""

    file_count: int
    paths: bytes
    """Their paths joined by NUL, as UTF-8 (surrogate escapes kept)."""
    starts: list[int]
    sizes: list[int]
    mtimes: list[int]
    problems: list[Problem]
    roots: list[str]


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
    walker = _Walker(on_folder, text=True)
    walker.walk(resolve_roots(paths))
    files = walker.rows()
    columns = (walker.paths, walker.starts, walker.sizes, walker.mtimes)
    return ScanResult(files, walker.problems, walker.roots, packed=columns)


def scan_packing(paths: Sequence[str | Path]) -> RawScan:
    """`scan` for packing: the paths as one string of bytes, no `FileEntry` rows.

    Raises:
        MissingPath: One of ``paths`` does not exist.
    """
    walker = _Walker(None, text=False)
    walker.walk(resolve_roots(paths))
    return RawScan(
        walker.count,
        walker.packed_paths(),
        walker.starts,
        walker.sizes,
        walker.mtimes,
        walker.problems,
        walker.roots,
    )


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


_Event = tuple[bytes, int, object]
"""(name, what, payload): see `_PROBLEM`, `_ENTER`, `_ENTER_STATED`."""


def _post_flags(names: list[bytes]) -> list[bool]:
    """Which of ``names`` are post files' (`is_post_file`, for names as bytes)."""
    flags = list(map(_ENDS_LIKE_POST, names))
    if all(flags):
        return flags
    return [hit or _is_post_name(name) for hit, name in zip(flags, names, strict=True)]


def _is_post_name(name: bytes) -> bool:
    if name.isascii():
        return name.lower().endswith(_POST_SUFFIXES_B)
    # str.lower() lowers more than ASCII letters: the Kelvin sign is a "k", for one.
    return os.fsdecode(name).lower().endswith(POST_SUFFIXES)


def _is_utf8(name: bytes) -> bool:
    try:
        name.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class _Folder:
    """A folder's post files while it is walked, in name order (see `_Walker`)."""

    __slots__ = ("infos", "names", "prefix", "prefix_b", "texts")

    def __init__(
        self,
        prefix: str,
        names: list[bytes],
        texts: list[str] | None,
        infos: list[os.stat_result],
    ) -> None:
        self.prefix = prefix
        """The folder's path and a separator."""
        self.prefix_b = os.fsencode(prefix)
        self.names = names
        self.texts = texts
        """The names decoded (when the walk gathers paths as text)."""
        self.infos = infos
        """Their stat()s."""


class _Walker:
    """Depth-first walk with loop and duplicate detection, gathering columns.

    The paths are gathered as text (``text``, for `scan`) or as the bytes the cache
    packs (for `scan_packing`, which need not decode 50k names and encode them again).
    """

    def __init__(self, on_folder: Callable[[list[FileEntry]], None] | None, *, text: bool) -> None:
        self.text = text
        self.paths: list[str] = []
        """The files' paths (as text only)."""
        self.pieces: list[bytes] = []
        """The files' paths in the file system's encoding, runs of them joined by NUL
        (not as text only)."""
        self.count = 0
        """How many files are listed."""
        self.starts: list[int] = []
        self.sizes: list[int] = []
        self.mtimes: list[int] = []
        self.problems: list[Problem] = []
        self.roots: list[str] = []
        self.files: list[FileEntry] = []
        """The files as rows, made by `rows` (after each folder when ``on_folder`` is set)."""
        self.seen_files: dict[int, set[int]] = {}
        """The inode numbers of the files listed, by device."""
        self.seen_dirs: set[tuple[int, int]] = set()
        self.rel_start = 0
        """Where paths relative to the root being walked begin."""
        self.on_folder = on_folder
        """Called after each folder with the files found so far (see `scan`)."""

    def walk(self, roots: list[str]) -> None:
        for root in roots:
            self.roots.append(root)
            if os.path.isdir(root):
                self.walk_root(root)
            else:
                self.add_file(root)

    def rows(self) -> list[FileEntry]:
        """All the files listed so far as rows (`files`, grown; as text only)."""
        files = self.files
        done = len(files)
        if done < self.count:
            columns = (self.paths, self.starts, self.sizes, self.mtimes)
            tails = [column[done:] for column in columns] if done else columns
            # tuple.__new__ is FileEntry(...) without its Python-level __new__.
            files.extend(map(tuple.__new__, repeat(FileEntry), zip(*tails, strict=True)))
        return files

    def packed_paths(self) -> bytes:
        """The paths joined by NUL as UTF-8, surrogate escapes kept (as the cache packs)."""
        joined = b"\0".join(self.pieces)
        if _FS_UTF8:
            return joined
        text = joined.decode(_FS_ENCODING, _FS_ERRORS)  # pragma: no cover - not UTF-8
        return text.encode("utf-8", "surrogateescape")  # pragma: no cover

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
        # The folder is opened once and its files are stat()ed relative to it
        # (fstatat): the kernel does not walk the whole path again for every file,
        # which is most of the cost of a warm load.
        fd: int | None = None
        folder_b = os.fsencode(folder)
        try:
            if _STAT_AT:
                fd = os.open(folder, _DIR_FLAGS)
            names = os.listdir(folder_b)
            # Each name and a NUL: a folder of "….md" files only (the usual) is told in
            # one count, not a call per name.
            listing = b"\0".join([*names, b""])
            posts = names
            others: list[os.DirEntry[bytes]] = []
            if listing.count(b".md\0") < len(names):
                flags = _post_flags(names)
                if all(flags):
                    posts = list(compress(names, flags))
                else:
                    # Not only post files: their DirEntry tells which are folders
                    # (d_type) without a stat() (a folder of 10k images, say).
                    with os.scandir(folder_b) as it:
                        entries = list(it)
                    names = list(map(_NAME, entries))
                    listing = b"\0".join([*names, b""])
                    flags = _post_flags(names)
                    posts = list(compress(names, flags))
                    others = list(compress(entries, map(not_, flags)))
        except OSError as exc:
            if fd is not None:
                os.close(fd)
            self._problem_from_os(folder, exc, folder=True)
            return
        try:
            self._walk_entries(folder, fd, listing, posts, others, ancestors)
        finally:
            if fd is not None:
                os.close(fd)

    def _walk_entries(
        self,
        folder: str,
        fd: int | None,
        listing: bytes,
        posts: list[bytes],
        others: list[os.DirEntry[bytes]],
        ancestors: list[tuple[int, int]],
    ) -> None:
        """List the folder's files and enter its folders, all in name order (``listing``:
        all the folder's names, each followed by a NUL)."""
        prefix = folder if folder.endswith(os.sep) else folder + os.sep
        key, texts = self._sort(posts, listing)
        # Besides the post files: the folders to enter and the problems to report,
        # merged with the files by name below.
        events: list[_Event] = []
        for entry in others:
            try:
                is_dir = entry.is_dir()  # free (d_type) unless it is a link
            except OSError as exc:
                # A link loop raises here; report it whatever the link's name.
                events.append((entry.name, _PROBLEM, exc))
                continue
            if is_dir and entry.name[:1] != b".":
                events.append((entry.name, _ENTER, entry))
        if key is None and not all(_is_utf8(name) for name, _, _ in events):
            key, texts = self._sort(posts, None)
        infos: list[os.stat_result] | None
        try:
            if fd is not None:
                stat = os.stat
                infos = [stat(name, dir_fd=fd) for name in posts]
            else:  # pragma: no cover - not POSIX
                prefix_b = os.fsencode(prefix)
                infos = [os.stat(prefix_b + name) for name in posts]
        except OSError:
            infos = None
        if infos is None or not all(map(st.S_ISREG, map(_MODE, infos))):
            # A folder named like a post, a fifo, a broken link...: one name at a time.
            here = self._sort_out(prefix, fd, posts, texts, infos, events)
        else:
            here = _Folder(prefix, posts, texts, infos)
        if len(events) > 1:
            events.sort(key=_FIRST if key is None else lambda event: key(event[0]))
        posts = here.names
        done = 0
        for name, what, payload in events:
            if key is None:
                upto = bisect_left(posts, name, done)
            else:
                upto = bisect_left(posts, key(name), done, key=key)
            if upto > done:
                self._add(here, done, upto)
                done = upto
            path = prefix + os.fsdecode(name)
            if what == _PROBLEM:
                self._problem_from_os(path, payload)  # type: ignore[arg-type]
            elif what == _ENTER:
                try:
                    info = payload.stat()  # type: ignore[attr-defined]
                except OSError as exc:
                    self._problem_from_os(path, exc, folder=True)
                    continue
                self._enter(info, path, ancestors)
            else:
                self._enter(payload, path, ancestors)  # type: ignore[arg-type]
        if done < len(posts):
            self._add(here, done, len(posts))
        if self.on_folder is not None:
            self.on_folder(self.rows())

    def _sort(
        self, names: list[bytes], listing: bytes | None
    ) -> tuple[Callable[[bytes], str] | None, list[str] | None]:
        """Sort ``names`` as their text sorts; the key that takes (None: as bytes), and
        the names as text when the walk wants them. (``listing``: the folder's names,
        each followed by a NUL; None: sort by the text.)

        UTF-8 keeps the order of the characters it encodes, and bytes sort much faster
        than text; a byte that is not UTF-8 decodes to a lone surrogate, which sorts
        elsewhere as text than as a byte, and other encodings do as they please.
        """
        names.sort()
        if _FS_UTF8 and listing is not None:
            try:
                if self.text:
                    joined = b"\0".join(names)
                    return None, joined.decode("utf-8").split("\0") if names else []
                if not listing.isascii():
                    listing.decode("utf-8")  # only to know it can be
            except UnicodeDecodeError:
                pass
            else:
                return None, None
        names.sort(key=os.fsdecode)
        return os.fsdecode, list(map(os.fsdecode, names)) if self.text else None

    def _sort_out(
        self,
        prefix: str,
        fd: int | None,
        posts: list[bytes],
        texts: list[str] | None,
        infos: list[os.stat_result] | None,
        events: list[_Event],
    ) -> _Folder:
        """The regular files among ``posts``; the rest as ``events``."""
        prefix_b = os.fsencode(prefix)
        keep: list[int] = []
        file_infos: list[os.stat_result] = []
        for index, name in enumerate(posts):
            if infos is not None:
                info = infos[index]
            else:
                try:
                    info = os.stat(name, dir_fd=fd) if fd is not None else os.stat(prefix_b + name)
                except OSError as exc:
                    # A link loop or a broken link: reported whatever the name.
                    events.append((name, _PROBLEM, exc))
                    continue
            mode = info.st_mode
            if st.S_ISREG(mode):
                keep.append(index)
                file_infos.append(info)
            elif st.S_ISDIR(mode) and name[:1] != b".":
                events.append((name, _ENTER_STATED, info))
        names = [posts[index] for index in keep]
        kept_texts = None if texts is None else [texts[index] for index in keep]
        return _Folder(prefix, names, kept_texts, file_infos)

    def _add(self, here: _Folder, lo: int, hi: int) -> None:
        """List the folder's regular files ``lo:hi`` (in name order) unless listed already."""
        names, texts, infos = here.names, here.texts, here.infos
        if lo or hi < len(names):
            names = names[lo:hi]
            infos = infos[lo:hi]
            texts = None if texts is None else texts[lo:hi]
        count = hi - lo
        devs = list(map(_DEV, infos))
        inos = list(map(_INO, infos))
        dev = devs[0]
        seen = self.seen_files.get(dev)
        if seen is None:
            seen = self.seen_files[dev] = set()
        if devs.count(dev) == count and seen.isdisjoint(inos):
            before = len(seen)
            seen.update(inos)
            if len(seen) - before == count:  # all new, and none here twice
                if texts is not None:
                    self.paths.extend(map(here.prefix.__add__, texts))
                else:
                    prefix = here.prefix_b
                    self.pieces.append(prefix + (b"\0" + prefix).join(names))
                self.count += count
                self.starts.extend(repeat(self.rel_start, count))
                self.sizes.extend(map(_SIZE, infos))
                self.mtimes.extend(map(_MTIME, infos))
                return
            seen.difference_update(inos)  # none was listed before this run
        # Another device, or a file listed already (a link, a hard link): one by one.
        for index, info in enumerate(infos):
            seen = self.seen_files.setdefault(info.st_dev, set())
            if info.st_ino not in seen:
                seen.add(info.st_ino)
                if texts is not None:
                    self._append(here.prefix + texts[index], None, self.rel_start, info)
                else:
                    self._append(None, here.prefix_b + names[index], self.rel_start, info)

    def _append(
        self, path: str | None, raw: bytes | None, start: int, info: os.stat_result
    ) -> None:
        """List one file (by its path as text or as bytes, as the walk gathers them)."""
        if path is not None:
            self.paths.append(path)
        if raw is not None:
            self.pieces.append(raw)
        self.count += 1
        self.starts.append(start)
        self.sizes.append(info.st_size)
        self.mtimes.append(info.st_mtime_ns)

    def _enter(self, info: os.stat_result, path: str, ancestors: list[tuple[int, int]]) -> None:
        key = (info.st_dev, info.st_ino)
        if key in ancestors:
            target = os.path.realpath(path)
            self.problems.append(
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
        seen = self.seen_files.setdefault(info.st_dev, set())
        if info.st_ino not in seen:
            seen.add(info.st_ino)
            start = len(path) - len(os.path.basename(path))
            if self.text:
                self._append(path, None, start, info)
            else:
                self._append(None, os.fsencode(path), start, info)

    def _problem_from_os(self, path: str, exc: OSError, *, folder: bool = False) -> None:
        what = "folder" if folder else "file"
        if exc.errno == errno.ELOOP:
            self.problems.append(Problem(path, "loop", "this symbolic link is a loop."))
        elif exc.errno == errno.ENOENT and os.path.islink(path):
            target = os.readlink(path)
            self.problems.append(
                Problem(
                    path,
                    "unreadable",
                    f"this symbolic link points to '{target}', which does not exist.",
                )
            )
        elif isinstance(exc, PermissionError):
            self.problems.append(
                Problem(path, "unreadable", f"permission denied: the {what} cannot be read.")
            )
        else:
            reason = exc.strerror or str(exc)
            self.problems.append(
                Problem(path, "unreadable", f"the {what} cannot be read ({reason}).")
            )
