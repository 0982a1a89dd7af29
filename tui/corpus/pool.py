"""Parsing many post files: in this process, or in worker processes on spare cores.

`parse_many` is what a cold load calls for every file the metadata cache cannot answer.
"""

from __future__ import annotations

import gc
import io
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tui.corpus.model import Problem, ProblemKind, post_from_row
from tui.corpus.parse import FieldsWith, Parsed, parse_fields, parse_file
from tui.corpus.scan import FileEntry

if TYPE_CHECKING:
    # Imported when a pool starts: most loads (and every warm one) need neither.
    from concurrent.futures import Future, ProcessPoolExecutor

Progress = Callable[[int, int], None]
"""progress(done, total): files handled so far out of all files found."""

POOL_THRESHOLD = 2000
"""Parse in worker processes only above this many files: a pool costs ~0.1-0.2 s to start."""

_CHUNK = 500
"""Files per worker task: large enough to amortise pickling, small for smooth progress."""

_PROGRESS_EVERY = 500


def parse_many(
    entries: list[FileEntry],
    indexes: list[int],
    workers: int | None,
    progress: Progress | None,
    done: int,
    total: int,
) -> list[tuple[int, Parsed]]:
    """Parse ``entries`` serially or in a process pool.

    Args:
        entries: The files to parse.
        indexes: Each file's position in the load (returned with its result).
        workers: Worker processes; None uses `default_workers()`, 1 parses here.
        progress: Called with (done + files parsed so far, total) now and then.
        done: Files already handled before these.
        total: All files of the load.

    Returns:
        (index, result) pairs, one per entry.
    """
    n_workers = workers if workers is not None else default_workers()
    if n_workers > 1 and len(entries) > POOL_THRESHOLD and _start_method() is not None:
        pooled = _parse_pooled(entries, indexes, n_workers, progress, done, total)
        if pooled is not None:
            return pooled
    out: list[tuple[int, Parsed]] = []
    for k, (index, entry) in enumerate(zip(indexes, entries, strict=True), start=1):
        out.append((index, parse_entry(entry)))
        if progress is not None and k % _PROGRESS_EVERY == 0:
            progress(done + k, total)
    if progress is not None and entries:
        progress(done + len(entries), total)
    return out


MAX_WORKERS = 4
"""Worker processes at most: beyond a few, building the posts in the loading process is
the limit (measured only on 2 cores here)."""


def default_workers() -> int:
    """Worker processes for a cold parse: the CPUs this process may run on, at most
    `MAX_WORKERS`.

    Measured on a 2-core machine with 50k posts: two workers beat one process both when
    the other core is idle (2.55 s against 3.4-3.8 s) and when another CPU-bound program
    keeps it busy (3.0-3.5 s against 3.3-3.6 s). (The load average used to decide,
    when a file's parse cost twice what it does now; on an idle VM it was often near 1,
    which turned the pool off.)
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS))


def parse_entry(entry: FileEntry) -> Parsed:
    """Parse one scanned file."""
    return parse_file(entry.path, entry.rel_path, entry.size, entry.mtime_ns)


_Task = tuple[str, list[int]]
"""A chunk of files sent to a worker: their paths joined by NUL (one string pickles far
faster than tens of thousands of `FileEntry` tuples, each a Python-level reduce) and
where each one's relative path starts."""

_Wire = FieldsWith[int | None]
"""`Fields` as a worker sends them: the date as microseconds since the epoch (a datetime
pickles through a Python-level reduce; ``isoformat`` alone costs 2 µs a post, the
subtraction a tenth of that, and ``fromisoformat`` would not be cheaper back)."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

_Result = tuple[list[_Wire | None], list[tuple[int, ProblemKind, str, bool]]]
"""A worker's answer for a chunk: each file's fields (None when it gave no post), and the
problems met as (position in the chunk, kind, reason, recovered). The parent has each
file's path, size and mtime already: they are not sent back."""


def _task(entries: Sequence[FileEntry]) -> _Task:
    return "\0".join([e.path for e in entries]), [e.rel_start for e in entries]


def _parse_chunk(task: _Task) -> _Result:
    """Worker-process task: parse a chunk of files."""
    # Nothing made here is garbage until the chunk is sent: the cyclic collector would
    # only walk it again and again (a spawned worker starts with it on). It is turned
    # back on after, as it was: the function also runs in the caller's own process.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _parse_paths(task)
    finally:
        if collecting:
            gc.enable()


def _parse_paths(task: _Task) -> _Result:
    paths, starts = task
    rows: list[_Wire | None] = []
    problems: list[tuple[int, ProblemKind, str, bool]] = []
    for k, (path, start) in enumerate(zip(paths.split("\0"), starts, strict=True)):
        fields, found = parse_fields(path, start)
        if fields is None:
            rows.append(None)
        else:
            fid, title, date, author, tags, categories, source, extras, encoding = fields
            # Every date is UTC (see `Post.date`): the difference is exact.
            micros = None if date is None else (date - _EPOCH) // _MICROSECOND
            rows.append((fid, title, micros, author, tags, categories, source, extras, encoding))
        if found:
            problems += [(k, p.kind, p.reason, p.recovered) for p in found]
    return rows, problems


def _from_result(
    result: _Result, entries: Sequence[FileEntry], indexes: Sequence[int]
) -> list[tuple[int, Parsed]]:
    """The (index, result) pairs of a chunk's answer, with the entries it was asked for."""
    rows, problems = result
    out: list[tuple[int, Parsed]] = []
    append = out.append
    epoch = _EPOCH
    for index, e, row in zip(indexes, entries, rows, strict=True):
        if row is None:
            append((index, Parsed(None)))
            continue
        fid, title, date, author, tags, categories, source, extras, encoding = row
        when = None if date is None else epoch + timedelta(0, 0, date)
        post = post_from_row(
            (fid, e.path, e.rel_start, title, when)
            + (author, tags, categories, source, extras, e.size, e.mtime_ns, encoding)
        )
        append((index, Parsed(post)))
    for k, kind, reason, recovered in problems:
        out[k][1].problems.append(Problem(entries[k].path, kind, reason, recovered))
    return out


def _start_method() -> str | None:
    """How to start worker processes here, or None when it is not safe.

    Forking is cheapest (no interpreter start, no imports: ~0.3 s less) but only safe
    while this process has a single thread; the app loads from a worker thread, so it
    spawns, which re-imports ``__main__`` and needs it to be importable.
    """
    import threading

    # Linux only: macOS system libraries are not fork-safe (CPython spawns there too).
    if threading.active_count() == 1 and sys.platform.startswith("linux"):
        return "fork"
    return "spawn" if _main_is_importable() else None


def _main_is_importable() -> bool:
    """Spawned workers re-import ``__main__``: only safe when it is a real module or file."""
    main = sys.modules.get("__main__")
    if main is None:
        return False
    if getattr(main, "__spec__", None) is not None:
        return True
    path = getattr(main, "__file__", None)
    return bool(path) and os.path.isfile(str(path))


def _parse_pooled(
    entries: list[FileEntry],
    indexes: list[int],
    n_workers: int,
    progress: Progress | None,
    done: int,
    total: int,
) -> list[tuple[int, Parsed]] | None:
    """Parse in worker processes; None when a pool cannot be used (then parse serially).

    Workers are forked when this process has one thread, else spawned: forking a
    process that has threads can deadlock the child (see `_start_method`).
    """
    out: list[tuple[int, Parsed]] = []
    # Every task is made before the first is sent: once the pool runs, the threads that
    # hand tasks to the workers need the GIL this thread would hold meanwhile.
    tasks = [_task(entries[i : i + _CHUNK]) for i in range(0, len(entries), _CHUNK)]
    pool = _new_pool(n_workers)
    if pool is None:
        return None  # the serial path still works
    try:
        futures: list[Future[_Result]] = [pool.submit(_parse_chunk, task) for task in tasks]
        for n, future in enumerate(futures):
            start, stop = n * _CHUNK, min((n + 1) * _CHUNK, len(entries))
            out += _from_result(future.result(), entries[start:stop], indexes[start:stop])
            if progress is not None:
                progress(done + stop, total)
    except (OSError, RuntimeError, ImportError):
        pool.shutdown(wait=False, cancel_futures=True)
        return None  # e.g. a worker was killed: the serial path still works
    # Every result is in: the workers exit (tens of ms of teardown) while this process
    # goes on; the executor's own thread reaps them.
    pool.shutdown(wait=False)
    return out


def _new_pool(n_workers: int) -> ProcessPoolExecutor | None:
    """A pool of ``n_workers`` processes, forked or spawned (see `_start_method`); None
    when one cannot be started here (no /dev/shm, spawning refused...)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = _start_method() or "spawn"
    try:
        if method != "fork":
            _start_resource_tracker()
        return ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context(method))
    except (OSError, RuntimeError, ImportError, ValueError):
        return None


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker, which a spawned pool needs, when
    ``sys.stderr`` is not a real file (otherwise the pool starts it as usual).

    The tracker is started on first use with ``sys.stderr.fileno()`` among the
    descriptors it keeps; Textual replaces ``sys.stderr`` with an object whose fileno()
    is -1, and the start then fails ("bad value(s) in fds_to_keep"), so the app could
    never use a pool. A stand-in that forwards everything but has no fileno() is put in
    its place while the tracker starts (it keeps descriptors 0-2 anyway), so what other
    threads write meanwhile still goes where it went.
    """
    stderr = sys.stderr
    try:
        usable = stderr is None or stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = True  # the tracker leaves a stream without a descriptor out itself
    if usable:
        return
    from multiprocessing import resource_tracker

    sys.stderr = _WithoutFileno(stderr)
    try:
        resource_tracker.ensure_running()
    finally:
        if isinstance(sys.stderr, _WithoutFileno):
            sys.stderr = stderr


class _WithoutFileno:
    """A stream that forwards everything to another, but has no file descriptor."""

    def __init__(self, stream: object) -> None:
        self._stream = stream

    def fileno(self) -> int:
        raise io.UnsupportedOperation("fileno")

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


class ScanFeed:
    """Parses the files of a cold load in worker processes while the scan still runs.

    The loader hands the scan's growing file list to `found` after each folder; once
    more than `POOL_THRESHOLD` files are known, chunks of `_CHUNK` files go to the
    workers as they fill, so the workers parse while the scan walks on (a cold load's
    scan is ~10% of its time). `finish` parses what is left and returns the results.
    Where no pool is used (one worker, no safe start method, a small corpus, a pool
    that fails) nothing happens during the scan and `finish` parses as `parse_many`.
    """

    def __init__(self, workers: int | None) -> None:
        """``workers``: as `parse_many`'s (None: `default_workers()`, 1: no pool)."""
        self._workers = workers if workers is not None else default_workers()
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[_Result]] = []
        self._sent = 0
        self._failed = False

    def found(self, files: Sequence[FileEntry]) -> None:
        """The scan's files so far (a list that only grows, in scan order)."""
        if self._failed or self._workers < 2:
            return
        if self._pool is None:
            if len(files) <= POOL_THRESHOLD or _start_method() is None:
                return
            self._pool = self._start()
            if self._pool is None:
                return
        try:
            self._submit(files, len(files) - (len(files) - self._sent) % _CHUNK)
        except (OSError, RuntimeError):
            # The pool broke (a worker was killed): `finish` parses everything here.
            self._failed = True
            self.close()

    def finish(
        self, files: Sequence[FileEntry], progress: Progress | None
    ) -> list[tuple[int, Parsed]]:
        """Every file's result, as (position in ``files``, result) in scan order.

        Args:
            files: All the files the scan found (``found`` saw a beginning of them).
            progress: Called with (files parsed so far, all files) now and then.
        """
        self.found(files)
        indexes = range(len(files))
        if self._pool is None:  # never started, or broken
            return parse_many(list(files), list(indexes), 1, progress, 0, len(files))
        try:
            self._submit(files, len(files))
            out: list[tuple[int, Parsed]] = []
            for n, future in enumerate(self._futures):
                start, stop = n * _CHUNK, min((n + 1) * _CHUNK, len(files))
                out += _from_result(future.result(), files[start:stop], indexes[start:stop])
                if progress is not None:
                    progress(stop, len(files))
        except (OSError, RuntimeError, ImportError):
            # A worker died or could not start: parse everything here instead.
            self.close()
            return parse_many(list(files), list(indexes), 1, progress, 0, len(files))
        self.close()
        return out

    def close(self) -> None:
        """Let the workers go (cancelling what they have not started) without waiting
        for them to exit: the executor's own thread reaps them."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _start(self) -> ProcessPoolExecutor | None:
        pool = _new_pool(self._workers)
        self._failed = pool is None
        return pool

    def _submit(self, files: Sequence[FileEntry], upto: int) -> None:
        assert self._pool is not None
        while self._sent < upto:
            stop = min(self._sent + _CHUNK, upto)
            self._futures.append(self._pool.submit(_parse_chunk, _task(files[self._sent : stop])))
            self._sent = stop
