"""Running many small tasks (parsing, rendering) in worker processes on spare cores.

Parsing front matter and rendering bodies is Python through and through: threads would
share one core and, in the app, take the event loop's turn. `run_chunks` sends chunks of
work to a pool of processes when there is enough of it, and does it here otherwise (or
when no pool can be had), so the result never depends on whether a pool ran.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterable
from itertools import chain, islice
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
    chunks: Iterable[T],
    *,
    workers: int | None = None,
    pool_from: int = 2,
    ahead: int | None = None,
) -> Generator[R, None, None]:
    """``function(chunk)`` for every chunk, in order, in worker processes if worth it.

    ``function`` must be a module-level function (workers import it by name), and its
    chunks and results plain values. Chunks are taken from ``chunks`` only as they are
    sent, so it may be a generator reading them lazily. A pool that breaks (a killed
    worker) is given up and the chunks it had not answered are done here.

    Args:
        function: The work for one chunk.
        chunks: The chunks.
        workers: Processes to use; None: `default_workers()`; 1: none, work here.
        pool_from: Use a pool only for at least this many chunks.
        ahead: Chunks sent before their results are asked for; None: two a worker
            (enough to keep every worker busy while the caller digests a result). A
            caller that stops to do slow work (a commit) asks for more, so the workers
            go on meanwhile.

    Yields:
        Each chunk's result, in the order of ``chunks``.
    """
    count = workers if workers is not None else default_workers()
    source = iter(chunks)
    first = list(islice(source, pool_from))
    source = chain(first, source)
    pool = _new_pool(count) if count > 1 and len(first) >= pool_from else None
    if pool is None:
        yield from map(function, source)
        return
    most = max(ahead or 0, count * 2)
    sent: deque[tuple[T, Future[R]]] = deque()
    try:
        while True:
            for chunk in islice(source, most - len(sent)):
                sent.append((chunk, pool.submit(function, chunk)))
            if not sent:
                return
            try:
                result = sent[0][1].result()
            except (OSError, RuntimeError, ImportError):  # a worker died: finish here
                break
            sent.popleft()
            yield result
    finally:
        # Waits for the chunks being worked on (not sending more): a pool left to shut
        # down by itself can make the interpreter's exit print an error (EBADF).
        pool.shutdown(wait=True, cancel_futures=True)
    yield from map(function, chain((chunk for chunk, _ in sent), source))


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
    initializer = None
    try:
        if method == "spawn" and not _has_stderr_fd():
            _start_resource_tracker()
            initializer = _quiet_stderr  # the app's terminal is not for the workers
        return ProcessPoolExecutor(
            n_workers, mp_context=multiprocessing.get_context(method), initializer=initializer
        )
    except (OSError, RuntimeError, ImportError, ValueError):
        return None


def _has_stderr_fd() -> bool:
    """Whether ``sys.stderr`` is a file with a descriptor (in the app it is Textual's
    capture of what is printed, whose ``fileno()`` is -1)."""
    try:
        return sys.stderr is not None and sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        return False


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker, which a spawned pool needs, with
    /dev/null as its standard error: it hands ``sys.stderr.fileno()`` on, and a -1 (the
    app's capture) makes the start fail with ValueError, so no pool could start in the
    app. Anything printed to ``sys.stderr`` in that moment is lost."""
    from multiprocessing import resource_tracker

    saved = sys.stderr
    with open(os.devnull, "w") as null:
        sys.stderr = null
        try:
            resource_tracker.ensure_running()
        finally:
            sys.stderr = saved


def _quiet_stderr() -> None:
    """Worker start in the app: standard error to /dev/null (it is the app's terminal)."""
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)
