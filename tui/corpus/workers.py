"""Running many small tasks (parsing, rendering) in worker processes on spare cores.

Parsing front matter and rendering bodies is Python through and through: threads would
share one core and, in the app, take the event loop's turn. `run_chunks` sends chunks of
work to a pool of processes when there is enough of it, and does it here otherwise (or
when no pool can be had), so the result never depends on whether a pool ran.
"""

from __future__ import annotations

import io
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 4
"""Worker processes at most (measured only on 2 cores here)."""


def default_workers() -> int:
    """Worker processes for a large job: the CPUs this process may run on, at most
    `MAX_WORKERS` (one means: work here)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS))


def run_chunks(
    function: Callable[[T], R],
    chunks: Sequence[T],
    *,
    workers: int | None = None,
    pool_from: int = 2,
) -> Iterator[R]:
    """``function(chunk)`` for every chunk, in order, in worker processes if worth it.

    ``function`` must be a module-level function (workers import it by name), and its
    chunks and results plain values. A pool that breaks (a killed worker) is given up and
    the chunks it had not answered are done here.

    Args:
        function: The work for one chunk.
        chunks: The chunks.
        workers: Processes to use; None: `default_workers()`; 1: none, work here.
        pool_from: Use a pool only for at least this many chunks.

    Yields:
        Each chunk's result, in the order of ``chunks``.
    """
    count = workers if workers is not None else default_workers()
    pool = _new_pool(count) if count > 1 and len(chunks) >= pool_from else None
    if pool is None:
        yield from map(function, chunks)
        return
    done = 0
    # Chunks sent before their results are asked for: enough to keep every worker busy,
    # few enough that results do not pile up while the caller digests them.
    ahead = count * 2
    try:
        futures: deque[Future[R]] = deque()
        sent = 0
        while done < len(chunks):
            while sent < len(chunks) and len(futures) < ahead:
                futures.append(pool.submit(function, chunks[sent]))
                sent += 1
            try:
                result = futures.popleft().result()
            except (OSError, RuntimeError, ImportError):  # a worker died: finish here
                break
            done += 1
            yield result
    finally:
        # The workers exit (tens of ms of teardown) while this process goes on.
        pool.shutdown(wait=False, cancel_futures=True)
    yield from map(function, chunks[done:])


def _start_method() -> str | None:
    """How to start worker processes here, or None when it is not safe.

    Forking is cheapest (no interpreter start, no imports: ~0.3 s less) but only safe
    while this process has a single thread; the app works in threads, so it spawns,
    which re-imports ``__main__`` and needs it to be importable.
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


def _new_pool(n_workers: int) -> ProcessPoolExecutor | None:
    """A pool of ``n_workers`` processes, forked or spawned (see `_start_method`); None
    when one cannot be started here (no /dev/shm, spawning refused...)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = _start_method()
    if method is None:
        return None
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
