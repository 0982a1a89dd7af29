"""Scanning the corpus in a child process while this process reads the metadata cache.

A warm load has two parts that do not depend on each other: the scan, which stat()s
every post file, and rebuilding the posts of the last load from the cache. The scan runs
in a child on another core and sends its result back through a pipe as packed columns.
The child is forked where that is safe and cheapest (Linux, and this process has a
single thread: forking a threaded process can deadlock the child), else it is a new
interpreter running this module (the app, which loads in a thread; its memory is then
not the app's either). When the child fails in any way (killed, cut short, an
exception), the scan runs here when its result is asked for: the result is the same
either way.

The child sends a few hundred bytes first (the count, the fingerprint of the packed
columns, the problems), then the columns (megabytes). When the fingerprint is the
cache's, nothing changed: the columns are never read, and the child is stopped.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import pickle
import struct
import subprocess
import sys
import threading
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import IO, Literal, NoReturn

from tui.corpus.model import Problem
from tui.corpus.packing import fingerprint, pack_ints
from tui.corpus.scan import FileEntry, RawScan, ScanResult, resolve_roots, scan, scan_packing

_PIPE_SIZE = 1 << 20
"""Linux's default limit for an unprivileged pipe size (/proc/sys/fs/pipe-max-size)."""

_HEAD = struct.Struct("<Q")
"""The length of the payload's head (see `_pack`)."""

CHILD_ENABLED = True
"""Tests turn the child off to compare both ways."""


class PendingScan:
    """A scan under way in a child process, or one still to run here."""

    def __init__(self, roots: list[str]) -> None:
        """Prepare the scan of ``roots`` (absolute, existing paths)."""
        self.roots = roots
        self.child: Literal["fork", "spawn"] | None = None
        """How the child scanning was started, until it is reaped; None: no child (then
        `result` scans here)."""
        self._pid = 0
        self._stream: IO[bytes] | None = None
        """What the child writes (the pipe's reading end), until it is reaped."""
        self._proc: subprocess.Popen[bytes] | None = None
        self._result: ScanResult | PackedScan | None = None

    def start(self) -> None:
        """Start the child that scans: forked when that is safe here, else spawned."""
        if not CHILD_ENABLED:
            return
        if _can_fork():
            self._fork()
        else:
            self._spawn()

    def _fork(self) -> None:
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
        self._pid, self._stream, self.child = pid, os.fdopen(read_fd, "rb"), "fork"

    def _spawn(self) -> None:
        """A new interpreter running this module (a process with threads cannot fork)."""
        try:
            self._proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", __name__, *self.roots],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
        except OSError:
            return
        self._stream, self.child = self._proc.stdout, "spawn"

    def result(self) -> ScanResult | PackedScan:
        """The scan's result: the child's, packed, or a scan run here now.

        Raises:
            MissingPath: A root disappeared since the scan was started.
        """
        if self._result is None:
            if self.child is not None and self._stream is not None:
                try:
                    self._result = _receive(self._stream, self._read_columns)
                except Exception:  # noqa: BLE001 - any bad payload: scan here instead
                    self.abandon()
            if self._result is None:
                self._result = scan(self.roots)
        return self._result

    def files(self) -> ScanResult:
        """The scan's result, unpacked (a damaged payload: a scan run here now)."""
        found = self.result()
        if isinstance(found, PackedScan):
            try:
                found = found.unpack()
            except ValueError:
                found = scan(self.roots)
            self._result = found
        return found

    def abandon(self) -> None:
        """Stop and reap the child when its result is not wanted (safe to call twice)."""
        if self.child == "fork":
            with contextlib.suppress(OSError):
                os.kill(self._pid, 9)
        elif self.child == "spawn" and self._proc is not None:
            with contextlib.suppress(OSError):
                self._proc.kill()
        self._reap()

    def _read_columns(self, sizes: list[int]) -> list[bytes]:
        """The columns that follow the head, ``sizes`` bytes each; then the child is reaped.

        Raises:
            ValueError: They did not arrive whole (the child was stopped, or failed).
        """
        stream = self._stream
        try:
            if stream is None or stream.closed:
                raise ValueError("the scan's child is gone")
            try:
                return [_read_exactly(stream, size) for size in sizes]
            except OSError as exc:
                raise ValueError("the scan's columns could not be read") from exc
        finally:
            self._reap()

    def _reap(self) -> None:
        """Close the pipe and wait for the child (it has finished, or was killed)."""
        how, self.child = self.child, None
        if self._stream is not None:
            with contextlib.suppress(OSError):
                self._stream.close()
        if how == "fork":
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._pid, 0)
        elif how == "spawn" and self._proc is not None:
            self._proc.wait()


def start_scan(paths: Sequence[str | Path]) -> PendingScan:
    """Start scanning ``paths`` (in a child when possible; see the module's text).

    Raises:
        MissingPath: One of ``paths`` does not exist (checked here, before any fork).
    """
    pending = PendingScan(resolve_roots(paths))
    pending.start()
    return pending


def run_detached(work: Callable[[], object]) -> bool:
    """Run ``work`` in a detached process and return at once, when a fork is safe here.

    The process is a grandchild (forked twice, the child leaving at once), so it is
    nobody's zombie; it has its own session (no Ctrl-C or hang-up from the terminal
    reaches it) and /dev/null for its standard streams (a pipe reading this process's
    output does not wait for it). Nothing it does reaches this process.

    Returns:
        False when ``work`` could not be started (then it did not run).
    """
    if not _can_fork():
        return False
    try:
        pid = os.fork()
    except OSError:
        return False
    if pid == 0:
        _detach(work)
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return False
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def _detach(work: Callable[[], object]) -> NoReturn:
    """In the forked child: fork the grandchild that runs ``work``, and leave."""
    code = 1
    try:
        if os.fork() == 0:
            try:
                os.setsid()
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                work()
            finally:
                os._exit(0)
        code = 0
    finally:
        os._exit(code)


def _can_fork() -> bool:
    return sys.platform.startswith("linux") and threading.active_count() == 1


def _child(roots: list[str], fd: int) -> NoReturn:
    """In the forked child: scan, write the packed result, exit (never returns)."""
    code = 1
    try:
        for part in _pack(scan_packing(roots)):
            view = memoryview(part)
            while view:
                view = view[os.write(fd, view) :]
        code = 0
    finally:
        os._exit(code)


@dataclass(slots=True)
class PackedScan:
    """A child's scan as it arrived: its files packed as the metadata cache packs them.

    When the cache's `fingerprint` equals this one, nothing changed and the files need
    not be unpacked (nor even read) at all; else `unpack` gives the `ScanResult`.
    """

    count: int
    fingerprint: bytes
    problems: list[Problem]
    roots: list[str]
    columns: Callable[[], list[bytes]] = field(repr=False, compare=False)
    """Reads the paths joined by NUL, as UTF-8 (surrogate escapes kept), then the
    starts, sizes and mtimes (`pack_ints`); ValueError when they do not arrive whole."""

    def unpack(self) -> ScanResult:
        """The scan's files as `FileEntry` rows (the columns read: call it once).

        Raises:
            ValueError: The columns did not arrive whole, or do not agree (a damaged
                payload).
        """
        blob, *words = self.columns()
        count = self.count
        paths = blob.decode("utf-8", "surrogateescape").split("\0") if count else []
        columns: list[list[int]] = []
        for raw in words:
            column = array("q")
            column.frombytes(raw)
            if sys.byteorder != "little":
                column.byteswap()
            columns.append(column.tolist())
        starts, sizes, mtimes = columns
        if not len(paths) == len(starts) == len(sizes) == len(mtimes) == count:
            raise ValueError("the scan's columns differ in length")
        # tuple.__new__ is FileEntry(...) without its Python-level __new__.
        files = list(
            map(tuple.__new__, repeat(FileEntry), zip(paths, starts, sizes, mtimes, strict=True))
        )
        return ScanResult(
            files=files,
            problems=self.problems,
            roots=self.roots,
            packed=(paths, starts, sizes, mtimes),
        )


def _pack(found: RawScan) -> list[bytes]:
    """The scan's result as the parts to write: a head, the paths, three int columns.

    The head is a length and a pickle of the count, the columns' fingerprint, the
    problems, the roots and the columns' sizes; the paths are one string and the
    numbers machine words, as the cache packs them (pickling 50k named tuples one by one
    would cost more than the scan saves; and the scan gives its paths as bytes, never as
    50k strings).
    """
    blob, starts = found.paths, found.starts
    if starts and starts.count(starts[0]) == len(starts):  # one root folder: one start
        start_words = pack_ints(starts[:1]) * len(starts)
    else:
        start_words = pack_ints(starts)
    words = [start_words, pack_ints(found.sizes), pack_ints(found.mtimes)]
    digest = fingerprint(blob, *words)
    # Plain values only: in a spawned child this module is ``__main__``, and a class of
    # it would not unpickle under that name here.
    sizes = [len(blob), *map(len, words)]
    head = pickle.dumps((found.file_count, digest, found.problems, found.roots, sizes))
    return [_HEAD.pack(len(head)) + head, blob, *words]


def _receive(stream: IO[bytes], read_columns: Callable[[list[int]], list[bytes]]) -> PackedScan:
    """The `PackedScan` whose head `_pack` wrote to ``stream`` (our own child's), its
    columns left to ``read_columns`` (called with their sizes).

    Raises:
        ValueError: The head did not arrive whole.
        Exception: Any other, when it is not such a head.
    """
    (size,) = _HEAD.unpack(_read_exactly(stream, _HEAD.size))
    head = _read_exactly(stream, size)
    count, digest, problems, roots, sizes = pickle.loads(head)  # noqa: S301 - our child
    return PackedScan(count, digest, problems, roots, lambda: read_columns(sizes))


def _unpack(data: bytes) -> PackedScan:
    """The `PackedScan` of a whole payload (what `main` writes).

    Raises:
        ValueError: Not such a payload.
    """
    stream = io.BytesIO(data)
    return _receive(stream, lambda sizes: [_read_exactly(stream, size) for size in sizes])


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    """``size`` bytes from ``stream``.

    Raises:
        ValueError: It ends before.
    """
    data = stream.read(size)
    if len(data) != size:
        raise ValueError("the scan's payload was cut short")
    return data


def main(roots: list[str]) -> int:
    """A spawned child: scan ``roots`` and write the packed result to standard output."""
    try:
        for part in _pack(scan_packing(roots)):
            sys.stdout.buffer.write(part)
        sys.stdout.buffer.flush()
    except Exception:  # noqa: BLE001 - any failure: the parent scans by itself
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
