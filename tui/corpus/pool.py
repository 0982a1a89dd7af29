"""Parsing many post files: in this process, or in worker processes on spare cores.

`parse_many` is what a cold load calls for every file the metadata cache cannot answer.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tui.corpus.model import Problem, post_from_row
from tui.corpus.parse import Parsed, parse_file
from tui.corpus.scan import FileEntry

if TYPE_CHECKING:
    from concurrent.futures import Future

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
        workers: Worker processes; None uses the idle CPUs, 1 parses here.
        progress: Called with (done + files parsed so far, total) now and then.
        done: Files already handled before these.
        total: All files of the load.

    Returns:
        (index, result) pairs, one per entry.
    """
    n_workers = workers if workers is not None else _idle_cpus()
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


def _idle_cpus() -> int:
    """CPUs not busy with other work (by the 1-minute load average).

    Measured on a 2-core machine: a pool is slower than one process when the other core
    is busy (start-up and transfer cost, no spare core to gain), so it is used only
    when there is a core to spare.
    """
    cpus = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:
        return 1
    return max(1, int(cpus - busy + 0.5))


def parse_entry(entry: FileEntry) -> Parsed:
    """Parse one scanned file."""
    return parse_file(entry.path, entry.rel_path, entry.size, entry.mtime_ns)


_Row = tuple[tuple[Any, ...] | None, list[tuple[Any, ...]]]
"""A parse result as plain tuples: they cross the process boundary far faster than
dataclasses, whose pickling runs Python code per field."""


def _parse_chunk(entries: list[FileEntry]) -> list[_Row]:
    """Worker-process task: parse a chunk of files."""
    rows: list[_Row] = []
    for entry in entries:
        parsed = parse_entry(entry)
        post = None if parsed.post is None else tuple(parsed.post)
        rows.append((post, [(p.path, p.kind, p.reason, p.recovered) for p in parsed.problems]))
    return rows


def _from_row(row: _Row) -> Parsed:
    post, problems = row
    return Parsed(None if post is None else post_from_row(post), [Problem(*p) for p in problems])


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
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunks = [entries[i : i + _CHUNK] for i in range(0, len(entries), _CHUNK)]
    out: list[tuple[int, Parsed]] = []
    try:
        with ProcessPoolExecutor(
            n_workers, mp_context=multiprocessing.get_context(_start_method() or "spawn")
        ) as pool:
            futures: list[Future[list[_Row]]] = [pool.submit(_parse_chunk, c) for c in chunks]
            for n, future in enumerate(futures):
                start = n * _CHUNK
                for k, row in enumerate(future.result()):
                    out.append((indexes[start + k], _from_row(row)))
                if progress is not None:
                    progress(done + min(start + _CHUNK, len(entries)), total)
    except (OSError, RuntimeError, ImportError):
        return None  # e.g. no /dev/shm, or spawning refused: the serial path still works
    return out
