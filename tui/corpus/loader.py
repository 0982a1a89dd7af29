"""Loading a corpus: scan, reuse the metadata cache, parse what changed (on both cores).

This is the corpus package's front door: `load_corpus` for a set of folders,
`resolve_post` to turn a user's POST argument into a post, `load_single` for one file.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import cast

from tui.corpus.cache import NOT_CACHED, MetadataCache, cache_exists
from tui.corpus.errors import FileProblem, PostNotFound
from tui.corpus.ids import dedupe_ids
from tui.corpus.model import LoadResult, Post, Problem
from tui.corpus.parse import Parsed
from tui.corpus.pool import Progress, ScanFeed, parse_entry, parse_many
from tui.corpus.prescan import PackedScan, run_detached, start_scan
from tui.corpus.scan import ScanResult, resolve_roots, scan

SAVE_DETACHED = True
"""Write the metadata cache in a detached process where that is possible (the tests
that read the cache file right after a load turn this off)."""


def load_corpus(
    paths: Sequence[str | Path],
    *,
    use_cache: bool = True,
    progress: Progress | None = None,
    workers: int | None = None,
    on_cached: Callable[[LoadResult], None] | None = None,
) -> LoadResult:
    """Load every post below ``paths``.

    Args:
        paths: Corpus folders (or single files).
        use_cache: Read and update the metadata cache (False: parse everything, write
            nothing).
        progress: Called now and then with (done, total), from the calling thread.
        workers: Worker processes for a cold parse of many files (see `parse_many`);
            None uses `pool.default_workers()`, 1 parses in this process.
        on_cached: Called, before any file is checked, with what the last load returned
            according to the metadata cache (its problems: those of the files only),
            to be shown while the files are checked. Not called without a usable cache.
            When nothing changed, the result returned later holds the very same list
            of posts (``result.posts is early.posts``).

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
        return _load(paths, use_cache, progress, workers, on_cached)
    finally:
        if collecting:
            gc.enable()


def _load(
    paths: Sequence[str | Path],
    use_cache: bool,
    progress: Progress | None,
    workers: int | None,
    on_cached: Callable[[LoadResult], None] | None,
) -> LoadResult:
    # The scan (a stat() of every file) and reading the cache do not depend on each
    # other: the scan runs in a child process meanwhile (see `prescan`), when there is
    # a cache to read.
    roots = resolve_roots(paths)
    if not (use_cache and cache_exists(roots)):
        # Every file will be parsed: the workers start on the first folders while the
        # scan walks on (see `ScanFeed`).
        return _cold(roots, use_cache, progress, workers)
    pending = start_scan(roots)
    try:
        cache = MetadataCache.load(pending.roots)
        early: LoadResult | None = None
        # Rebuilt now, while the child scans (or to be shown): when the files did not
        # change, `whole` below returns these very posts.
        last = cache.last_load() if pending.child is not None or on_cached else None
        if last is not None and on_cached is not None:
            problems = sorted(last[1], key=_PATH)
            early = LoadResult(dedupe_ids(last[0]), problems, pending.roots)
            on_cached(early)
        scanned = pending.result()
        if isinstance(scanned, PackedScan):
            # From a child: its files need not be unpacked when they did not change.
            whole = cache.whole_packed(scanned.fingerprint)
            if whole is not None:
                return _whole(
                    whole, early, scanned.problems, scanned.roots, scanned.count, progress
                )
        found = pending.files()
    finally:
        pending.abandon()
    total = len(found.files)
    whole = cache.whole(found.columns())
    if whole is not None:
        return _whole(whole, early, found.problems, found.roots, total, progress)
    results: list[Parsed | None] = [None] * total
    todo: list[int] = []
    for index, entry in enumerate(found.files):
        hit = cache.get(entry)
        if hit is None:
            todo.append(index)
        else:
            results[index] = hit
    done = total - len(todo)
    if progress is not None:
        progress(done, total)
    fresh = parse_many([found.files[i] for i in todo], todo, workers, progress, done, total)
    for index, parsed in fresh:
        results[index] = parsed
    parsed_all = cast(list[Parsed], results)  # every index was a hit or parsed
    return _result(found, cache, parsed_all, fresh)


def _cold(
    roots: list[str], use_cache: bool, progress: Progress | None, workers: int | None
) -> LoadResult:
    """Load with no cache to read: scan and parse at once."""
    feed = ScanFeed(workers)
    try:
        found = scan(roots, on_folder=feed.found)
        fresh = feed.finish(found.files, progress)
    finally:
        feed.close()
    cache = MetadataCache.load(found.roots) if use_cache else None
    return _result(found, cache, [parsed for _, parsed in fresh], fresh)


def _result(
    found: ScanResult,
    cache: MetadataCache | None,
    parsed_all: list[Parsed],
    fresh: list[tuple[int, Parsed]],
) -> LoadResult:
    """Order the posts, save the cache (unless None) and gather the problems."""
    rows = [i for i, r in enumerate(parsed_all) if r.post is not None]
    unsorted = dedupe_ids([cast(Post, parsed_all[i].post) for i in rows])
    order = sort_order(unsorted)
    if cache is not None and _worth_saving(cache, fresh):
        save = partial(cache.save, found.files, parsed_all, [rows[k] for k in order])
        # Writing the cache does not change the result: a detached process writes it
        # while this one goes on with the result (a thread cannot: it would hold the
        # GIL for as long as the write itself takes).
        if not (SAVE_DETACHED and run_detached(save)):
            save()
    problems = [p for r in parsed_all for p in r.problems]
    return LoadResult(
        posts=[unsorted[k] for k in order],
        problems=_sorted_problems(problems, found.problems),
        roots=found.roots,
    )


_PATH = attrgetter("path")


def _whole(
    whole: tuple[list[Post], list[Problem]],
    early: LoadResult | None,
    scan_problems: list[Problem],
    roots: list[str],
    total: int,
    progress: Progress | None,
) -> LoadResult:
    """The result of the usual second start: the same files as last time, in order."""
    posts, problems = whole
    if progress is not None:
        progress(total, total)
    return LoadResult(
        posts=early.posts if early is not None else dedupe_ids(posts),
        problems=_sorted_problems(list(problems), scan_problems),
        roots=roots,
    )


def _sorted_problems(problems: list[Problem], scan_problems: list[Problem]) -> list[Problem]:
    problems.extend(scan_problems)
    problems.sort(key=_PATH)
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
    parsed = parse_entry(entry)
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
