"""Scanning the corpus in a forked child while this process reads the metadata cache.

A warm load has two parts that do not depend on each other: the scan, which stat()s
every post file, and rebuilding the posts of the last load from the cache. Where a
child can be forked safely (Linux, and this process has a single thread: forking a
threaded process can deadlock the child), the scan runs in a child on another core and
sends its result back through a pipe as packed columns. Elsewhere, or when the child
fails in any way (killed, cut short, an exception), the scan runs here when its result
is asked for: the result is the same either way.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import sys
import threading
from array import array
from collections.abc import Sequence
from itertools import repeat
from pathlib import Path
from typing import NoReturn

from tui.corpus.scan import FileEntry, ScanResult, resolve_roots, scan

_PIPE_SIZE = 1 << 20
"""Linux's default limit for an unprivileged pipe size (/proc/sys/fs/pipe-max-size)."""

FORK_ENABLED = True
"""Tests turn the child off to compare both ways."""


class PendingScan:
    """A scan under way in a child process, or one still to run here."""

    def __init__(self, roots: list[str]) -> None:
        """Prepare the scan of ``roots`` (absolute, existing paths)."""
        self.roots = roots
        self.forked = False
        """Whether a child is scanning (else `result` scans here)."""
        self._pid = 0
        self._fd = -1

    def start(self) -> None:
        """Fork the child that scans, when that is safe here."""
        if not (FORK_ENABLED and _can_fork()):
            return
        read_fd, write_fd = os.pipe()
        if hasattr(fcntl, "F_SETPIPE_SZ"):
            # The payload is a few MB: a larger pipe takes it in fewer round trips.
            with contextlib.suppress(OSError):
                fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            return
        if pid == 0:  # the child: scan, send, and leave without running any cleanup
            os.close(read_fd)
            _child(self.roots, write_fd)
        os.close(write_fd)
        self._pid, self._fd, self.forked = pid, read_fd, True

    def result(self) -> ScanResult:
        """The scan's result (the child's, or a scan run here now).

        Raises:
            MissingPath: A root disappeared since the scan was started.
        """
        if self.forked:
            data = self._collect()
            if data is not None:
                try:
                    return _unpack(data)
                except Exception:  # noqa: BLE001 - any bad payload: scan here instead
                    pass
        return scan(self.roots)

    def abandon(self) -> None:
        """Stop and reap the child when its result is not wanted (safe to call twice)."""
        if self.forked:
            with contextlib.suppress(OSError):
                os.kill(self._pid, 9)
            self._collect()

    def _collect(self) -> bytes | None:
        """Read the child's payload and reap it; None when it did not finish well."""
        self.forked = False
        parts = []
        try:
            while chunk := os.read(self._fd, 1 << 20):
                parts.append(chunk)
        except OSError:
            parts = []
        finally:
            os.close(self._fd)
        try:
            _, status = os.waitpid(self._pid, 0)
        except ChildProcessError:
            return None
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not parts:
            return None
        return b"".join(parts)


def start_scan(paths: Sequence[str | Path]) -> PendingScan:
    """Start scanning ``paths`` (in a child when possible; see the module's text).

    Raises:
        MissingPath: One of ``paths`` does not exist (checked here, before any fork).
    """
    pending = PendingScan(resolve_roots(paths))
    pending.start()
    return pending


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and threading.active_count() == 1


def _child(roots: list[str], fd: int) -> NoReturn:
    """In the forked child: scan, write the packed result, exit (never returns)."""
    code = 1
    try:
        view = memoryview(_pack(scan(roots)))
        while view:
            view = view[os.write(fd, view) :]
        code = 0
    finally:
        os._exit(code)


def _pack(found: ScanResult) -> bytes:
    """The scan result as bytes: the paths as one string, the numbers as machine words.

    (Pickling 50k named tuples one by one would cost more than the scan saves.)
    """
    paths, starts, sizes, mtimes = found.columns()
    blob = "\0".join(paths).encode("utf-8", "surrogateescape")
    words = [array("q", column).tobytes() for column in (starts, sizes, mtimes)]
    return pickle.dumps((len(paths), blob, words, found.problems, found.roots), protocol=5)


def _unpack(data: bytes) -> ScanResult:
    """The `ScanResult` that `_pack` packed (data from our own child, over our own pipe)."""
    count, blob, words, problems, roots = pickle.loads(data)  # noqa: S301 - our own child
    paths = blob.decode("utf-8", "surrogateescape").split("\0") if count else []
    columns: list[list[int]] = []
    for raw in words:
        column = array("q")
        column.frombytes(raw)
        columns.append(column.tolist())
    starts, sizes, mtimes = columns
    if not len(paths) == len(starts) == len(sizes) == len(mtimes) == count:
        raise ValueError("the scan's columns differ in length")
    # tuple.__new__ is FileEntry(...) without its Python-level __new__.
    files = list(
        map(tuple.__new__, repeat(FileEntry), zip(paths, starts, sizes, mtimes, strict=True))
    )
    return ScanResult(
        files=files, problems=problems, roots=roots, packed=(paths, starts, sizes, mtimes)
    )
