"""Finding post files below the corpus folders.

Recursive, sorted (so ids and problems come out the same on every run), hidden folders
skipped, symbolic links followed once: a link that leads back to a folder above it is
reported as a loop, and a file reachable by two routes is listed once (first route in
sorted order wins).

`walk` reports the files a folder at a time, as it finds them (`FileBatch`), and says
when a folder is done; the index's sync compares each folder with what it recorded and
never holds every file of a large archive at once.

The walk stat()s every post file, and a Python statement per file is a good part of
that, so it works a folder at a time where it can: a folder's names are listed as bytes,
sorted and stat()ed through the folder's descriptor in one loop, checked to be regular
files and new in a few set operations. A folder with anything unusual in it (a link to a
file listed already, a fifo, a folder named like a post, a stat() that fails) takes the
file-by-file way, which gives the same result.
"""

from __future__ import annotations

import errno
import os
import stat as st
import sys
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter, itemgetter, methodcaller, not_
from pathlib import Path

from tui.corpus.errors import CorpusError
from tui.corpus.model import Problem

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
as the names do when they are valid UTF-8."""

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


@dataclass(frozen=True, slots=True)
class FileBatch:
    """Files of one folder found together, in name order (a folder may give several)."""

    group: str
    """The folder this batch belongs to, with the root it was reached from: the same
    for every batch of a folder, different for every folder of a walk. A folder's group
    ends with a separator; a file given by itself is a group of its own (its path)."""
    prefix: str
    """The folder's path and a separator: each file's path is ``prefix + name``."""
    rel_start: int
    """Where paths relative to the root begin."""
    names: list[str]
    infos: list[os.stat_result]


OnBatch = Callable[[FileBatch], None]
OnDone = Callable[[str], None]


def walk(
    paths: Sequence[str | Path], on_batch: OnBatch, on_done: OnDone
) -> tuple[list[Problem], list[str]]:
    """Walk the corpus paths, handing over the files as they are found.

    Args:
        paths: Folders (walked recursively) or single files.
        on_batch: Called with each batch of files, in walk order.
        on_done: Called with a folder's `FileBatch.group` once all its files are handed
            over (also for a folder with none; a file given by itself is a group too).

    Returns:
        (the problems met, the absolute roots).

    Raises:
        MissingPath: One of ``paths`` does not exist.
    """
    walker = _Walker(on_batch, on_done)
    walker.walk(resolve_roots(paths))
    return walker.problems, walker.roots


@dataclass(slots=True)
class PartWalked:
    """What `walk_part` met besides the files it handed over."""

    problems: list[Problem]
    files: dict[int, set[int]]
    """The inode numbers of the files listed, by device."""
    folders: set[tuple[int, int]]
    """The (device, inode) of the folders entered (not the root)."""
    clash: bool
    """The root's own files met a file of these folders: the whole walk may differ."""


def split_root(root: str, parts: int) -> list[list[str]] | None:
    """The subfolders of the folder ``root``, in walk order, cut into ``parts`` runs of
    about as many folders, to walk side by side (`walk_part`); None when its walk cannot
    be cut so: fewer subfolders than parts, or right in it a link, a fifo or a name that
    is not UTF-8 (their place among the subfolders' walks would matter)."""
    names: list[bytes] = []
    try:
        with os.scandir(os.fsencode(root)) as entries:
            for entry in entries:
                if entry.is_symlink():
                    return None
                if entry.is_dir(follow_symlinks=False):
                    if entry.name[:1] != b".":
                        names.append(entry.name)
                elif not entry.is_file(follow_symlinks=False):
                    return None
    except OSError:
        return None
    if len(names) < parts or not all(map(_is_utf8, names)):
        return None
    names.sort()
    prefix = root if root.endswith(os.sep) else root + os.sep
    size, extra = divmod(len(names), parts)
    runs: list[list[str]] = []
    start = 0
    for part in range(parts):
        end = start + size + (part < extra)
        runs.append([prefix + os.fsdecode(name) for name in names[start:end]])
        start = end
    return runs


def walk_part(
    index: int, root: str, folders: list[str], own_files: bool, on_batch: OnBatch, on_done: OnDone
) -> PartWalked:
    """Walk a run of `split_root`'s subfolders of the ``index``-th corpus root as the
    whole walk does them; the last run (``own_files``) then lists the root's own files
    and ends the root, as its walk ends. Walking every run in order gives what `walk`
    gives, unless two runs meet the same file or folder (a link, a hard link): compare
    their `PartWalked` first (`parts_agree`).

    Raises:
        OSError: The root cannot be reached any more.
    """
    walker = _Walker(on_batch, on_done)
    root_key = walker.walk_part(index, root, folders, own_files)
    return PartWalked(
        walker.problems, walker.seen_files, walker.seen_dirs - {root_key}, walker.clash
    )


def parts_agree(parts: Sequence[PartWalked]) -> bool:
    """Whether walking these runs gave what the whole walk gives: no run met a file or
    folder another run met (the whole walk lists each once, the first time)."""
    if any(part.clash for part in parts):
        return False
    files: dict[int, set[int]] = {}
    folders: set[tuple[int, int]] = set()
    for part in parts:
        if not folders.isdisjoint(part.folders):
            return False
        folders |= part.folders
        for dev, inos in part.files.items():
            seen = files.setdefault(dev, set())
            if not seen.isdisjoint(inos):
                return False
            seen |= inos
    return True


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

    __slots__ = ("infos", "names", "prefix", "texts")

    def __init__(
        self, prefix: str, names: list[bytes], texts: list[str], infos: list[os.stat_result]
    ) -> None:
        self.prefix = prefix
        """The folder's path and a separator."""
        self.names = names
        self.texts = texts
        """The names decoded."""
        self.infos = infos
        """Their stat()s."""


class _Walker:
    """Depth-first walk with loop and duplicate detection, handing over batches of files."""

    def __init__(self, on_batch: OnBatch, on_done: OnDone) -> None:
        self.on_batch = on_batch
        self.on_done = on_done
        self.problems: list[Problem] = []
        self.roots: list[str] = []
        self.seen_files: dict[int, set[int]] = {}
        """The inode numbers of the files listed, by device."""
        self.seen_dirs: set[tuple[int, int]] = set()
        self.rel_start = 0
        """Where paths relative to the root being walked begin."""
        self.root_tag = ""
        """The root being walked, as it starts every group (see `FileBatch.group`)."""
        self.clash = False
        """`walk_part`: the root's own files met a file its folders listed."""

    def walk(self, roots: list[str]) -> None:
        for index, root in enumerate(roots):
            self.roots.append(root)
            self.root_tag = f"{index}\0"
            if os.path.isdir(root):
                self.walk_root(root)
            else:
                self.add_file(root)

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

    def walk_part(
        self, index: int, root: str, folders: list[str], own_files: bool
    ) -> tuple[int, int]:
        """Walk these subfolders of the ``index``-th root as its whole walk would (the
        same groups, batches and problems, in the same order); with ``own_files``, then
        the root's own files and its end, as its walk ends (see `walk_part`). Returns the
        root's (device, inode)."""
        self.roots.append(root)
        self.root_tag = f"{index}\0"
        self.rel_start = len(root if root.endswith(os.sep) else root + os.sep)
        info = os.stat(root)
        key = (info.st_dev, info.st_ino)
        self.seen_dirs.add(key)
        for folder in folders:
            try:
                found = os.stat(folder)
            except OSError as exc:
                self._problem_from_os(folder, exc, folder=True)
                continue
            self._enter(found, folder, [key])
        if own_files:
            listed, self.seen_files = self.seen_files, {}
            self._walk(root, [key], enter=False)
            # The whole walk lists the root's files among its folders by name: one that
            # is also in a folder (a hard link) might be listed there instead.
            self.clash = any(
                not inos.isdisjoint(listed.get(dev, ())) for dev, inos in self.seen_files.items()
            )
            for dev, inos in listed.items():
                self.seen_files.setdefault(dev, set()).update(inos)
        return key

    def _walk(self, folder: str, ancestors: list[tuple[int, int]], *, enter: bool = True) -> None:
        # The folder is opened once and its files are stat()ed relative to it
        # (fstatat): the kernel does not walk the whole path again for every file,
        # which is most of the cost of a walk.
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
            self._walk_entries(folder, fd, listing, posts, others, ancestors, enter)
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
        enter: bool = True,
    ) -> None:
        """List the folder's files and enter its folders (unless not ``enter``), all in
        name order (``listing``: all the folder's names, each followed by a NUL)."""
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
            elif not enter:
                continue
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
        self.on_done(self.root_tag + prefix)

    def _sort(
        self, names: list[bytes], listing: bytes | None
    ) -> tuple[Callable[[bytes], str] | None, list[str]]:
        """Sort ``names`` as their text sorts; the key that takes (None: as bytes), and
        the names as text. (``listing``: the folder's names, each followed by a NUL;
        None: sort by the text.)

        UTF-8 keeps the order of the characters it encodes, and bytes sort much faster
        than text; a byte that is not UTF-8 decodes to a lone surrogate, which sorts
        elsewhere as text than as a byte, and other encodings do as they please.
        """
        names.sort()
        if _FS_UTF8 and listing is not None:
            try:
                joined = b"\0".join(names)
                return None, joined.decode("utf-8").split("\0") if names else []
            except UnicodeDecodeError:
                pass
        names.sort(key=os.fsdecode)
        return os.fsdecode, list(map(os.fsdecode, names))

    def _sort_out(
        self,
        prefix: str,
        fd: int | None,
        posts: list[bytes],
        texts: list[str],
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
        return _Folder(prefix, names, [texts[index] for index in keep], file_infos)

    def _add(self, here: _Folder, lo: int, hi: int) -> None:
        """List the folder's regular files ``lo:hi`` (in name order) unless listed already."""
        texts, infos = here.texts, here.infos
        if lo or hi < len(texts):
            texts = texts[lo:hi]
            infos = infos[lo:hi]
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
                self._hand_over(here.prefix, texts, infos)
                return
            seen.difference_update(inos)  # none was listed before this run
        # Another device, or a file listed already (a link, a hard link): one by one.
        kept: list[int] = []
        for index, info in enumerate(infos):
            seen = self.seen_files.setdefault(info.st_dev, set())
            if info.st_ino not in seen:
                seen.add(info.st_ino)
                kept.append(index)
        if kept:
            self._hand_over(here.prefix, [texts[i] for i in kept], [infos[i] for i in kept])

    def _hand_over(self, prefix: str, names: list[str], infos: list[os.stat_result]) -> None:
        self.on_batch(FileBatch(self.root_tag + prefix, prefix, self.rel_start, names, infos))

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
        """A file given by itself: its relative path is its name; it is a group alone."""
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
            name = os.path.basename(path)
            prefix = path[: len(path) - len(name)]
            self.rel_start = len(prefix)
            self.on_batch(FileBatch(self.root_tag + path, prefix, len(prefix), [name], [info]))
            self.on_done(self.root_tag + path)

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
