"""Crash-safe file writes and an inter-process lock.

A whole-file write goes to a temporary file in the same folder (so the rename stays on
one file system), which is flushed and fsynced, renamed over the target, and then the
folder is fsynced so the rename itself survives a power cut. A process killed at any
instant therefore leaves either the old file or the new one, whole. (The annotation
store's small changes go to an fsynced append-only journal instead: annotations.journal.)
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
"""Errors meaning "no room left": the caller reports a full disk, not a bug."""


def ensure_folder(folder: Path) -> None:
    """Create ``folder`` (and parents) with mode 0700 when missing.

    Notes are private on a shared server, so a folder we create is not world-readable;
    an existing folder keeps the mode its owner chose.
    """
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` atomically and durably.

    Args:
        path: the file to write; its folder is created (mode 0700) when missing.
        data: the complete new content.
        mode: the file's permission bits (applied exactly, whatever the umask).

    Raises:
        OSError: the write failed; ``path`` is untouched and no temporary file is left.
            ``errno`` is ENOSPC or EDQUOT when the disk or quota is full.
    """
    atomic_write_chunks(path, [data], mode)


def atomic_write_chunks(path: Path, chunks: Sequence[bytes], mode: int = 0o600) -> None:
    """:func:`atomic_write_bytes` for content given as pieces, joined once."""
    path = Path(path)
    folder = path.parent
    ensure_folder(folder)
    tmp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), mode)
    try:
        try:
            os.fchmod(fd, mode)
            write_all(fd, chunks)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_folder(folder)


def write_all(fd: int, chunks: Sequence[bytes]) -> None:
    """Write every byte at the descriptor's position: a write may write less than asked."""
    # One join (a single copy) then large writes: cheaper than a writev per few pieces.
    view = memoryview(chunks[0] if len(chunks) == 1 else b"".join(chunks))
    while view:
        written = os.write(fd, view)
        if written <= 0:  # pragma: no cover - a zero write would loop forever
            raise OSError(errno.EIO, "write returned no progress")
        view = view[written:]


def fsync_folder(folder: Path) -> None:
    """fsync a folder so a rename inside it is durable (a no-op where unsupported)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        # Some file systems (and platforms) refuse fsync on a folder; the file itself
        # was fsynced, which is the best we can do there.
        pass
    finally:
        os.close(fd)


def lock_path_for(path: Path) -> Path:
    """The lock file beside ``path``: ``<name>.lock`` (``path`` itself if it ends so)."""
    path = Path(path)
    return path if path.name.endswith(".lock") else path.with_name(path.name + ".lock")


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the lock file beside ``path`` for the block.

    The lock lives in a separate ``<name>.lock`` file because the protected file is
    replaced by rename when it is rewritten: a lock on its old inode would protect nothing.
    flock locks belong to an open file description, so two threads of one process that
    each enter this block also exclude each other.

    Args:
        path: the protected file (or the lock file itself, if its name ends in ``.lock``).

    Raises:
        OSError: the lock file cannot be created or opened.
    """
    lock = lock_path_for(path)
    ensure_folder(lock.parent)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
