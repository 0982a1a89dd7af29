"""Loading a corpus: scan, reuse the metadata cache, parse what changed (on both cores).

This is the corpus package's front door: `load_corpus` for a set of folders,
`resolve_post` to turn a user's POST argument into a post, `load_single` for one file.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from tui.corpus.cache import NOT_CACHED, MetadataCache
from tui.corpus.errors import FileProblem, PostNotFound
from tui.corpus.ids import dedupe_ids
from tui.corpus.model import LoadResult, Post, Problem, post_from_row
from tui.corpus.parse import Parsed, parse_file
from tui.corpus.scan import FileEntry, ScanResult, scan

if TYPE_CHECKING:
    from concurrent.futures import Future

Progress = Callable[[int, int], None]
"""progress(done, total): files handled so far out of all files found."""

POOL_THRESHOLD = 2000
"""Parse in worker processes only above this many files: a pool costs ~0.1-0.2 s to start."""

_CHUNK = 500
"""Files per worker task: large enough to amortise pickling, small for smooth progress."""

_PROGRESS_EVERY = 500


def load_corpus(
    paths: Sequence[str | Path],
    *,
    use_cache: bool = True,
    progress: Progress | None = None,
    workers: int | None = None,
) -> LoadResult:
    """Load every post below ``paths``.

    Args:
        paths: Corpus folders (or single files).
        use_cache: Read and update the metadata cache (False: parse everything, write
            nothing).
        progress: Called now and then with (done, total), from the calling thread.
        workers: Worker processes for a cold parse of more than `POOL_THRESHOLD` files;
            None uses the idle CPUs (by load average), 1 parses in this process.

    Returns:
        Posts newest first (undated last, then by path) with distinct ids, the problems
        met (sorted by path) and the absolute roots.

    Raises:
        MissingPath: A path does not exist (a `CorpusError` with a one-sentence message).
    """
    # Tens of thousands of small objects are made here and none of them is garbage:
    # the cyclic collector would walk them all again and again for nothing (measured:
    # a third of a warm load), so it rests while loading.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load(paths, use_cache, progress, workers)
    finally:
        if collecting:
            gc.enable()


def _load(
    paths: Sequence[str | Path], use_cache: bool, progress: Progress | None, workers: int | None
) -> LoadResult:
    found = scan(paths)
    total = len(found.files)
    cache = MetadataCache.load(found.roots) if use_cache else MetadataCache(found.roots)
    whole = cache.whole(found.files) if use_cache else None
    if whole is not None:
        # The usual second start: the same files as last time, posts already in order.
        posts, problems = whole
        if progress is not None:
            progress(total, total)
        return LoadResult(
            posts=dedupe_ids(posts), problems=_sorted_problems(problems, found), roots=found.roots
        )
    results: list[Parsed | None] = [None] * total
    todo: list[int] = []
    for index, entry in enumerate(found.files):
        hit = cache.get(entry) if use_cache else None
        if hit is None:
            todo.append(index)
        else:
            results[index] = hit
    done = total - len(todo)
    if progress is not None:
        progress(done, total)
    fresh = _parse_all([found.files[i] for i in todo], todo, workers, progress, done, total)
    for index, parsed in fresh:
        results[index] = parsed
    parsed_all = cast(list[Parsed], results)  # every index was a hit or parsed
    rows = [i for i, r in enumerate(parsed_all) if r.post is not None]
    unsorted = dedupe_ids([cast(Post, parsed_all[i].post) for i in rows])
    order = sort_order(unsorted)
    if use_cache and _worth_saving(cache, fresh):
        cache.save(found.files, parsed_all, [rows[k] for k in order])
    problems = [p for r in parsed_all for p in r.problems]
    return LoadResult(
        posts=[unsorted[k] for k in order],
        problems=_sorted_problems(problems, found),
        roots=found.roots,
    )


def _sorted_problems(problems: list[Problem], found: ScanResult) -> list[Problem]:
    problems.extend(found.problems)
    problems.sort(key=lambda p: p.path)
    return problems


def _worth_saving(cache: MetadataCache, fresh: list[tuple[int, Parsed]]) -> bool:
    """False when the cache already holds every row this load would write."""
    cacheable = [p for _, p in fresh if not any(x.kind in NOT_CACHED for x in p.problems)]
    return bool(cacheable) or cache.damaged or cache.hits != cache.size


def sort_order(posts: Sequence[Post]) -> list[int]:
    """The positions of ``posts`` newest first, undated last; ties by path.

    Args:
        posts: Posts in any order.

    Returns:
        Indexes into ``posts`` in display order.
    """
    paths = [post.path for post in posts]
    dates = [post.date for post in posts]
    by_path = sorted(range(len(posts)), key=paths.__getitem__)
    # Stable and reversed: newest first, ties stay in path order; undated last.
    dated = [i for i in by_path if dates[i] is not None]
    dated.sort(key=cast("list[datetime]", dates).__getitem__, reverse=True)
    return dated + [i for i in by_path if dates[i] is None]


def sort_posts(posts: Sequence[Post]) -> list[Post]:
    """Newest first, undated last; ties by path so the order is stable."""
    return [posts[i] for i in sort_order(posts)]


def _parse_all(
    entries: list[FileEntry],
    indexes: list[int],
    workers: int | None,
    progress: Progress | None,
    done: int,
    total: int,
) -> list[tuple[int, Parsed]]:
    """Parse ``entries`` serially or in a process pool; returns (index, result) pairs."""
    n_workers = workers if workers is not None else _idle_cpus()
    if n_workers > 1 and len(entries) > POOL_THRESHOLD and _start_method() is not None:
        pooled = _parse_pooled(entries, indexes, n_workers, progress, done, total)
        if pooled is not None:
            return pooled
    out: list[tuple[int, Parsed]] = []
    for k, (index, entry) in enumerate(zip(indexes, entries, strict=True), start=1):
        out.append((index, _parse_entry(entry)))
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


def _parse_entry(entry: FileEntry) -> Parsed:
    return parse_file(entry.path, entry.rel_path, entry.size, entry.mtime_ns)


_Row = tuple[tuple[Any, ...] | None, list[tuple[Any, ...]]]
"""A parse result as plain tuples: they cross the process boundary far faster than
dataclasses, whose pickling runs Python code per field."""


def _parse_chunk(entries: list[FileEntry]) -> list[_Row]:
    """Worker-process task: parse a chunk of files."""
    rows: list[_Row] = []
    for entry in entries:
        parsed = _parse_entry(entry)
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


def load_single(path: str | Path) -> Post:
    """Parse one post file on its own (for ``postil show FILE`` outside a corpus).

    Args:
        path: The file.

    Returns:
        The post; its rel_path is the file name.

    Raises:
        CorpusError: The file is missing, or cannot be read as a post (a `FileProblem`
            with the reason).
    """
    found = scan([path])
    if found.problems:
        problem = found.problems[0]
        raise FileProblem(f"'{problem.path}' cannot be read: {problem.reason}")
    if not found.files:
        raise FileProblem(f"'{path}' is not a regular file.")
    entry = found.files[0]
    parsed = _parse_entry(entry)
    if parsed.post is None:
        problem = parsed.problems[0]
        error = FileProblem(f"'{entry.path}' cannot be read: {problem.reason}")
        error.kind = problem.kind
        raise error
    return parsed.post


def resolve_post(ref: str, result: LoadResult) -> Post:
    """Find the post a user means: a path to a post file, a post id or a unique id prefix.

    A path that exists but is not part of the corpus is loaded on its own.

    Args:
        ref: The user's POST argument.
        result: The loaded corpus.

    Returns:
        The post.

    Raises:
        PostNotFound: No post (or more than one) matches ``ref``.
        CorpusError: ``ref`` is a file that cannot be read as a post.
    """
    if os.path.isfile(ref):
        wanted = os.path.realpath(ref)
        for post in result.posts:
            if post.path == ref or os.path.realpath(post.path) == wanted:
                return post
        return load_single(ref)
    key = ref.strip().lower()
    if key:
        exact = [p for p in result.posts if p.id == key]
        if exact:
            return exact[0]
        matches = [p for p in result.posts if p.id.startswith(key)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise PostNotFound(
                f"'{ref}' matches {len(matches)} posts; give more characters of the id."
            )
    raise PostNotFound(f"no post file or post id matches '{ref}'.")
