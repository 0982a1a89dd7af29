"""App benchmark: start to first painted list, filter repaint, post open, peak memory.

For each N (1k and 50k by default; ``POSTIL_BENCH_APP_SIZES=50000,500000`` to change) the
synthetic archive of bench_index (``archive_cache``: generated once, kept under a
temporary folder) is opened with a second folder holding one ~700 KB post. The index
lives in a cache folder kept beside the archives, so a later run at 500k finds it built
(its first build takes tens of minutes). Each measurement runs in a child process (its
own start-up and peak memory), the app headless at 120x40: Textual composes and renders
every frame, only the bytes to the terminal are skipped.

- empty: an empty Textual app (one Label) from process start to its first frame;
- cold start (up to ``COLD_MAX`` posts): ``postil`` with no index (removed before each
  run) to the first frame showing the whole list (the indexing process reads every file
  first) and to the frame after the fields were indexed (filtering ready);
- ``postil index``: the text of every post indexed (at once when nothing changed);
- start: ``postil`` from process start to the first frame showing the list, warm
  index: the list from the database; and to the frames after every file was checked
  (the end of "checking for changed files…") and the fields were indexed;
- filter: at the largest N, from ``FilterBar.apply`` (what Enter in the filter bar does:
  parse, history, the screen's refilter, set_posts) to the end of the first frame drawn
  after the list got its new rows (that frame's update encoded to terminal bytes, as for
  open); each query five times, typed into the bar first, after showing every post again
  (for the empty query: one year) and dropping the list's cached rows, so each run draws
  new rows, and 0.1 s after the last frame, as a key press
  comes (Textual draws at most 60 frames a second: a change within 1/60 s of a frame
  waits for the next one). The list's scrollbar keeps the lines it drew (by the segment
  each shows: track, thumb, thumb ends), as it does in use; they are not dropped, so
  only a query's first run draws a thumb shape not seen before (~2-4 ms more);
- open: from the Enter key event posted to the app (the post list under the cursor) to
  the end of the first frame whose PostView lines show the body (the first
  ``render_line`` with laid-out text, then that frame's update, encoded to terminal
  bytes as a real terminal would get them), for ~15 posts of median size and for the
  700 KB post; each post opened once, unread, so marking it read is part of the work;
- annotations: with those 10,000 annotations (one in ten an orphan: its quote is in no
  post), from ``a`` posted to the app to the annotations screen's list, and to every
  quote checked (its status line done), with a ``down`` key posted every 0.2 s meanwhile
  (from the key to the cursor's move);
- memory: peak RSS (VmHWM) of ``postil`` with 10,000 annotations in the store, once
  the list is checked, a filter and the text queries answered with their facets.

Targets (issues 5 and 12): first list within 2.5x the empty app at 50k warm (3x at
500k), filter repaint under 20 ms at 50k (50 ms at 500k; text queries too), open under
50 ms median and 300 ms for the 700 KB post, memory under 150 MB at 50k (200 MB at 500k).
Figures are printed, never asserted.

Children write and read compiled bytecode in a folder of their own (a warm start has its
``.pyc`` files, as an installed ``postil`` does), even when ``PYTHONDONTWRITEBYTECODE`` is
set; the empty app gets a discarded first run for the same reason.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tests.bench.archive_cache import cache_root, ensure_archive
from tests.bench.peak import peak_rss_mb

ROOT = Path(__file__).resolve().parents[2]
SIZES: tuple[int, ...] = (1_000, 50_000)
COLD_MAX = 50_000
"""Cold starts are measured up to this size (at 500k each would index every file)."""
ANNOTATIONS = 10_000
BIG_POST_BYTES = 700_000
FIELD_QUERIES = ("tag:economy-0", "date:2020", "-tag:economy-0 date:2018..2021 is:unread", "")
"""Queries of the fields (with the empty query: every post again)."""
RUNS = 3


# -- child side ----------------------------------------------------------------------------


def _maxrss_mb() -> float:
    """This child's own peak (VmHWM: ru_maxrss would carry the bench parent's over exec)."""
    return peak_rss_mb()


def _emit(result: dict[str, Any]) -> None:
    print("RESULT " + json.dumps(result), flush=True)


def child_empty() -> None:
    """An empty Textual app: report the wall time of its first frame."""
    from textual.app import App, ComposeResult
    from textual.widgets import Label

    class Empty(App[None]):
        def compose(self) -> ComposeResult:
            yield Label("empty")

        def on_mount(self) -> None:
            self.call_after_refresh(self.done)

        def done(self) -> None:
            _emit({"painted": time.time(), "maxrss_mb": _maxrss_mb()})
            self.exit()

    Empty().run(headless=True, size=(120, 40))


def _folders(joined: str) -> list[str]:
    """The corpus folders a child opens, given as one argument (``os.pathsep``-joined)."""
    return joined.split(os.pathsep)


def child_start(folders: str, store: str) -> None:
    """``postil FOLDER...``: report the wall time of the first frame showing the list, and
    of the frames after the files were checked and the fields indexed (filtering ready)."""
    from tui.app import make_app
    from tui.listing import IndexState
    from tui.screens.library import LibraryScreen
    from tui.widgets.post_list import PostList

    imported = time.time()
    app = make_app(_folders(folders), store_path=store)
    seen: dict[str, Any] = {"imported": imported}
    set_posts, set_state = PostList.set_posts, LibraryScreen.set_state

    def after_frame(name: str, rows: int) -> None:
        def painted() -> None:
            seen.setdefault(name, time.time())
            if name == "painted":
                seen.update(load_s=app.load_seconds, rows=rows, maxrss_mb=_maxrss_mb())
            if {"painted", "checked", "indexed"} <= seen.keys():
                _emit(seen)
                app.exit()

        app.call_after_refresh(painted)

    def hooked_set_posts(self: PostList, posts: Any, **kwargs: Any) -> None:
        set_posts(self, posts, **kwargs)
        if len(posts) and "painted" not in seen:
            after_frame("painted", len(posts))

    def hooked_set_state(self: LibraryScreen, state: IndexState, **kwargs: Any) -> None:
        set_state(self, state, **kwargs)
        if state.checked and "checked" not in seen:
            after_frame("checked", len(self.shown))
        if state.fields and "indexed" not in seen:
            after_frame("indexed", len(self.shown))

    # Benchmark-only hooks in this child process: the app has no "first paint" event.
    PostList.set_posts = hooked_set_posts  # type: ignore[method-assign]
    LibraryScreen.set_state = hooked_set_state  # type: ignore[method-assign]
    app.run(headless=True, size=(120, 40))


def child_memory(folders: str, store: str, queries: str) -> None:
    """``postil FOLDER...`` once the list is checked, the fields indexed, the marks read and
    a few queries (fields and text) answered with their facets: the peak memory."""
    from tui.app import make_app

    asyncio.run(_memory(make_app(_folders(folders), store_path=store), json.loads(queries)))


async def _memory(app: Any, queries: list[str]) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        while not (app.index_state.fields and app.index_state.checked):
            await asyncio.sleep(0.05)
        await _settle(app, pilot)
        for query in queries:
            app.library.filter_bar.apply(query)
            await _settle(app, pilot)
        result = {"painted": time.time(), "maxrss_mb": _maxrss_mb()}
    _emit(result)


def child_interactive(folders: str, store: str, big: str, queries: str) -> None:
    """Filter and open timings in one running app (headless Pilot)."""
    asyncio.run(_interactive(folders, store, big, json.loads(queries)))


async def _settle(app: Any, pilot: Any) -> None:
    """Wait for every worker (a cancelled one too) and the messages they posted."""
    from textual.worker import WorkerCancelled

    while True:
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            continue
        break
    await pilot.pause()


async def _next_frame(app: Any) -> None:
    """Wait for the next refresh of the screen."""
    event = asyncio.Event()
    app.call_after_refresh(event.set)
    await event.wait()


class _FirstPaint:
    """Benchmark-only hooks: when the reader's first frame with the body ends.

    ``PostView.render_line`` notes the first line drawn from laid-out text (the body,
    not a blank); the next ``App._display`` call hands that frame's update to the
    driver. Headless, the driver writes nothing, so the update is encoded here the way
    it would be for a terminal, and the time is taken after that.
    """

    def __init__(self, app: Any) -> None:
        from textual._compositor import CompositorUpdate
        from textual.app import App

        from tui.widgets.post_view import PostView

        self.armed = False
        self.drawn = False
        self.painted: float | None = None
        render_line = PostView.render_line
        display = App._display
        bench = self

        def hooked_render_line(view: PostView, y: int) -> Any:
            strip = render_line(view, y)
            if bench.armed and view._layout is not None and view._layout.line_count > 0:
                bench.drawn = True
            return strip

        def hooked_display(self: Any, screen: Any, renderable: Any) -> None:
            display(self, screen, renderable)
            if bench.armed and bench.drawn and bench.painted is None:
                if isinstance(renderable, CompositorUpdate):
                    renderable.render_segments(app.console)
                bench.painted = time.perf_counter()

        PostView.render_line = hooked_render_line  # type: ignore[method-assign, assignment]
        App._display = hooked_display  # type: ignore[method-assign]

    def arm(self) -> None:
        self.armed, self.drawn, self.painted = True, False, None

    async def wait(self) -> float:
        while self.painted is None:
            await asyncio.sleep(0.0005)
        self.armed = False
        return self.painted


class _ListFrame:
    """Benchmark-only hooks: when the first frame after the list got new rows ends.

    ``PostList.set_posts`` notes when the rows changed; the next ``App._display`` call
    hands that frame's update to the driver, which is encoded here as for a terminal.
    """

    def __init__(self, app: Any) -> None:
        from textual._compositor import CompositorUpdate
        from textual.app import App

        from tui.widgets.post_list import PostList

        self.set_at: float | None = None
        self.painted: float | None = None
        set_posts = PostList.set_posts
        display = App._display
        bench = self

        def hooked_set_posts(self: PostList, *args: Any, **kwargs: Any) -> None:
            set_posts(self, *args, **kwargs)
            bench.set_at = time.perf_counter()
            bench.painted = None

        def hooked_display(self: Any, screen: Any, renderable: Any) -> None:
            display(self, screen, renderable)
            if bench.set_at is not None and bench.painted is None:
                if isinstance(renderable, CompositorUpdate):
                    renderable.render_segments(app.console)
                bench.painted = time.perf_counter()

        PostList.set_posts = hooked_set_posts  # type: ignore[method-assign]
        App._display = hooked_display  # type: ignore[method-assign]

    def arm(self) -> None:
        self.set_at = self.painted = None

    async def wait(self) -> tuple[float, float]:
        """(rows set, frame painted) perf_counter times."""
        while self.set_at is None or self.painted is None:
            await asyncio.sleep(0.0005)
        return self.set_at, self.painted


async def _interactive(folders: str, store: str, big: str, queries: list[str]) -> None:
    from textual import events

    from tests.corpus_posts import corpus_posts
    from tui.app import make_app
    from tui.screens.reader import ReaderScreen

    app = make_app(_folders(folders), store_path=store)
    first_paint = _FirstPaint(app)
    list_frame = _ListFrame(app)
    result: dict[str, Any] = {"filter_ms": {}, "filter_sync_ms": {}}
    async with app.run_test(size=(120, 40)) as pilot:
        while not (app.is_loaded and app.index_state.text_complete):
            await asyncio.sleep(0.01)
        await _settle(app, pilot)
        library = app.library
        bar = library.filter_bar
        for query in queries:
            times, sync = [], []
            for _ in range(5):
                # Start from another list (every post, or for the empty query one tag),
                # with no cached rows, and let the screen settle (facets, history).
                bar.apply("date:2019" if not query else "")
                await _settle(app, pilot)
                bar.input.value = query  # as typed, before Enter
                await _settle(app, pilot)
                await _next_frame(app)
                library.post_list._row_cache.clear()
                # A pause as before a key press: Textual draws at most 60 frames a
                # second, so a change within 1/60 s of the last frame waits for the next.
                await asyncio.sleep(0.1)
                list_frame.arm()
                started = time.perf_counter()
                bar.apply(query)  # what Enter in the filter bar does
                rows_set, painted = await list_frame.wait()
                sync.append((rows_set - started) * 1000)
                times.append((painted - started) * 1000)
            result["filter_ms"][query or "(all)"] = statistics.median(times)
            result["filter_sync_ms"][query or "(all)"] = statistics.median(sync)
            result.setdefault("filter_rows", {})[query or "(all)"] = len(library.shown)
        bar.apply("")
        await _settle(app, pilot)
        everything = corpus_posts(_folders(folders))
        posts = [p for p in everything if p.path != big]
        sizes = sorted(posts, key=lambda p: p.size)
        middle = len(sizes) // 2
        sample = sizes[max(0, middle - 7) : middle + 8]
        big_post = next(p for p in everything if p.path == big)
        opened: list[float] = []
        for post in [*sample, big_post]:
            # The post under the cursor of the focused list, as a user would have it.
            library.post_list.cursor = everything.index(post)
            library.post_list.focus()
            await pilot.pause()
            await _next_frame(app)
            first_paint.arm()
            started = time.perf_counter()
            app.post_message(events.Key("enter", "\r"))
            painted = await first_paint.wait()
            opened.append((painted - started) * 1000)
            screen = app.screen
            assert isinstance(screen, ReaderScreen) and screen.post.id == post.id
            assert screen.document is not None
            # Let the reader finish (highlights, read mark) before going back.
            await app.workers.wait_for_complete()
            await pilot.pause()
            app.pop_screen()
            await pilot.pause()
        result["open_median_ms"] = statistics.median(opened[:-1])
        result["open_median_size_kb"] = sizes[middle].size / 1024
        result["open_big_ms"] = opened[-1]
        result["open_big_size_kb"] = big_post.size / 1024
    _emit(result)


def child_annotations(folders: str, store: str) -> None:
    """The annotations screen: from ``a`` to its list, and to every quote checked."""
    from tui.app import make_app

    asyncio.run(_annotations(make_app(_folders(folders), store_path=Path(store))))


async def _annotations(app: Any) -> None:
    from textual import events

    from tui.screens.annotations_screen import AnnotationsScreen

    async with app.run_test(size=(120, 40)) as pilot:
        while not (app.index_state.fields and app.index_state.checked):
            await asyncio.sleep(0.05)
        await _settle(app, pilot)
        started = time.perf_counter()
        app.post_message(events.Key("a", "a"))
        while not (isinstance(app.screen, AnnotationsScreen) and app.screen.annotations):
            await asyncio.sleep(0.005)
        listed = time.perf_counter() - started
        screen = app.screen
        keys: list[float] = []
        while not screen._checked:
            before = screen.annotation_list.cursor
            pressed = time.perf_counter()
            app.post_message(events.Key("down", None))
            while screen.annotation_list.cursor == before and not screen._checked:
                await asyncio.sleep(0.001)
            keys.append((time.perf_counter() - pressed) * 1000)
            await asyncio.sleep(0.2)
        checked = time.perf_counter() - started
        orphans = len(screen.orphans)
    _emit(
        {
            "listed_ms": listed * 1000,
            "checked_s": checked,
            "orphans": orphans,
            "key_median_ms": statistics.median(keys) if keys else 0.0,
            "key_max_ms": max(keys, default=0.0),
            "maxrss_mb": _maxrss_mb(),
        }
    )


def child(argv: list[str]) -> None:
    """Entry point of the child processes."""
    mode, *args = argv
    if mode == "empty":
        child_empty()
    elif mode == "start":
        child_start(*args)
    elif mode == "memory":
        child_memory(*args)
    elif mode == "annotations":
        child_annotations(*args)
    else:
        child_interactive(*args)


# -- parent side ---------------------------------------------------------------------------


def _run_child(env: dict[str, str], *args: str) -> tuple[dict[str, Any], float]:
    """Run a child; return its result and the wall time it was spawned at."""
    spawned = time.time()
    proc = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_app", "--child", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    for line in proc.stdout.splitlines()[::-1]:
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :]), spawned
    raise RuntimeError(f"child {args[0]} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def _start_ms(
    env: dict[str, str], *args: str, cold_index: Path | None = None
) -> tuple[float, dict[str, Any]]:
    """Median start-to-first-paint over RUNS children, and the median child's result;
    with ``cold_index`` (the corpus's index folder) each child starts without it (the
    other sizes' indexes are kept)."""
    times: list[float] = []
    results: list[dict[str, Any]] = []
    for _ in range(RUNS):
        if cold_index is not None:
            shutil.rmtree(cold_index, ignore_errors=True)
        result, spawned = _run_child(env, *args)
        times.append((result["painted"] - spawned) * 1000)
        if "imported" in result:
            result["import_ms"] = (result["imported"] - spawned) * 1000
        for name in ("indexed", "checked"):
            if name in result:
                result[f"{name}_ms"] = (result[name] - spawned) * 1000
        results.append(result)
    median = statistics.median(times)
    return median, results[times.index(median)]


def _big_post(folder: Path) -> Path:
    """A post of ~700 KB (long Latin and CJK paragraphs), like the largest real ones."""
    rng = random.Random(7)
    words = "river harbour archive policy market memory village railway garden".split()
    paragraphs = []
    size = 0
    while size < BIG_POST_BYTES:
        if rng.random() < 0.5:
            text = " ".join(rng.choice(words) for _ in range(120)) + "."
        else:
            text = (
                "".join(
                    rng.choice("港口的早晨很安静渔船慢慢回来了海鸥在天上飞") for _ in range(200)
                )
                + "。"
            )
        paragraphs.append(f"<p>{text}</p>")
        size += len(paragraphs[-1].encode("utf-8"))
    path = folder / "2024-06-01-big-post.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "---\ntitle: A very long post\ndate: 2024-06-01T00:00:00Z\nauthor: Bench\n"
        "tags: [long]\n---\n<div>" + "".join(paragraphs) + "</div>\n",
        encoding="utf-8",
    )
    return path


def _annotation_store(path: Path, folders: list[Path], count: int) -> None:
    """A TinyDB store file with ``count`` annotations spread over the corpus's posts, each
    a real passage of its post but one in ten, whose quote is in no post (an orphan, the
    costly case for placing: it is searched for approximately)."""
    from annotations.anchor import make_target
    from tests.corpus_posts import corpus_posts
    from tui.corpus.workers import run_chunks

    posts = corpus_posts(folders)
    rng = random.Random(3)
    chosen = [rng.choice(posts) for _ in range(count)]
    paths = sorted({post.path for post in chosen})
    chunks = [paths[at : at + 50] for at in range(0, len(paths), 50)]
    texts = dict(zip(paths, (t for ts in run_chunks(_texts_of, chunks) for t in ts), strict=True))
    docs: dict[str, Any] = {}
    for i, post in enumerate(chosen):
        text = texts[post.path]
        target = {"exact": "quote", "prefix": "", "suffix": "", "start": 0, "end": 5}
        if text and i % 10:
            size = rng.randint(8, 30)
            start = rng.randrange(0, max(1, len(text) - size))
            target = make_target(text, start, min(len(text), start + size)).to_doc()
        docs[str(i + 1)] = {
            "id": str(uuid.UUID(int=rng.getrandbits(128))),
            "post": {
                "id": post.id,
                "path": post.path,
                "title": post.title,
                "source": post.source,
                "author": post.author,
                "date": post.date.isoformat() if post.date else None,
                "tags": list(post.tags),
            },
            "target": target,
            "note": "a note" if i % 3 == 0 else "",
            "tags": [],
            "color": "yellow",
            "created": "2024-01-01T00:00:00Z",
            "updated": "2024-01-01T00:00:00Z",
            "schema": 1,
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"annotations": docs}), encoding="utf-8")


def _texts_of(paths: list[str]) -> list[str]:
    """Worker task: the canonical texts of post files."""
    from tui.render.document import canonical_text

    return [canonical_text(path) for path in paths]


def _sizes() -> tuple[int, ...]:
    raw = os.environ.get("POSTIL_BENCH_APP_SIZES")
    return tuple(int(x) for x in raw.split(",")) if raw else SIZES


def text_queries(folder: Path) -> list[str]:
    """Text queries the archive answers: a one-, a two- and a four-character Chinese word
    and an English word taken from a post's text, and a phrase of two of its words."""
    from tui.render.document import canonical_text

    text = canonical_text(str(next(folder.rglob("*.md"))))
    run = max((part for part in _cjk_runs(text)), key=len)
    words = [w for w in text.split() if w.isascii() and w.isalpha() and len(w) > 4]
    phrase_words = next(
        (a, b)
        for a, b in zip(text.split(), text.split()[1:], strict=False)
        if a.isascii() and a.isalpha() and b.isascii() and b.isalpha()
    )
    return [run[0], run[1:3], run[3:7], words[0].lower(), '"' + " ".join(phrase_words) + '"']


def _cjk_runs(text: str) -> list[str]:
    import re

    return re.findall("[\u4e00-\u9fff]{8,}", text)


def main() -> None:
    """Run every measurement and print the figures."""
    sizes = _sizes()
    with tempfile.TemporaryDirectory(prefix="postil-bench-app-") as tmp_name:
        tmp = Path(tmp_name)
        env = dict(os.environ)
        for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
            env[var] = str(tmp / var.lower())
        # The index is kept between runs, beside the archives (see the module's docstring).
        env["XDG_CACHE_HOME"] = str(cache_root() / "app-cache")
        env.pop("POSTIL_CORPUS", None)
        env["PYTHONPATH"] = str(ROOT)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        os.environ.update(  # this process reads the corpus too (the annotations' posts)
            {k: env[k] for k in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}
        )
        big_folder = cache_root() / "app-big-post"
        big = _big_post(big_folder)
        _run_child(env, "empty")  # compiles and caches the bytecode
        empty_ms, empty = _start_ms(env, "empty")
        print(f"empty Textual app: first frame {empty_ms:.0f} ms, peak {empty['maxrss_mb']:.0f} MB")
        from tui.corpus.index.db import index_folder
        from tui.corpus.scan import resolve_roots

        for n in sizes:
            archive = ensure_archive(n, 0)
            folders = [archive.posts, big_folder]
            joined = os.pathsep.join(map(str, folders))
            print(f"\nN={n:,}: {archive.posts} and {big.name}; load average {_load()}")
            store = tmp / f"store-{n}.json"
            env["POSTIL_STORE"] = str(store)
            if n <= COLD_MAX:
                cold_ms, cold = _start_ms(
                    env,
                    "start",
                    joined,
                    str(store),
                    cold_index=index_folder(resolve_roots(folders)),
                )
                print(
                    f"  start to the whole list, cold (no index: every file read by the"
                    f" indexing process first): {cold_ms:.0f} ms; filtering ready"
                    f" {cold['indexed_ms']:.0f} ms; peak {cold['maxrss_mb']:.0f} MB"
                )
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "tui", "index", *map(str, folders)],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
            print(
                f"  postil index (the text of every post not yet indexed):"
                f" {time.perf_counter() - started:.1f} s"
            )
            start_ms, result = _start_ms(env, "start", joined, str(store))
            print(
                f"  start to first painted list (warm index): {start_ms:.0f} ms"
                f" = {start_ms / empty_ms:.2f}x the empty app; {result['rows']:,} rows;"
                f" peak {result['maxrss_mb']:.0f} MB"
            )
            print(
                f"    of which: interpreter and imports {result['import_ms']:.0f} ms,"
                f" the list from the index {result['load_s'] * 1000:.0f} ms after opening"
                f" began, the rest (Textual start-up, first frame) "
                f"{start_ms - result['import_ms'] - result['load_s'] * 1000:.0f} ms"
            )
            print(
                f"    then: every file checked {result['checked_ms']:.0f} ms, filtering"
                f" ready {result['indexed_ms']:.0f} ms after the start"
            )
            queries = [*FIELD_QUERIES, *text_queries(archive.posts)]
            annotated = tmp / f"store-{n}-annotated.json"
            _annotation_store(annotated, folders, ANNOTATIONS)
            env["POSTIL_STORE"] = str(annotated)
            mem, _ = _run_child(env, "memory", joined, str(annotated), json.dumps(queries))
            print(
                f"  peak memory with {ANNOTATIONS:,} annotations, after the list, a filter and"
                f" text queries: {mem['maxrss_mb']:.0f} MB (empty app {empty['maxrss_mb']:.0f} MB)"
            )
            marks, _ = _run_child(env, "annotations", joined, str(annotated))
            print(
                f"  annotations screen, {ANNOTATIONS:,} annotations ({marks['orphans']:,} of"
                f" them orphans): the list {marks['listed_ms']:.0f} ms after `a`, every quote"
                f" checked {marks['checked_s']:.1f} s; a key meanwhile: median"
                f" {marks['key_median_ms']:.0f} ms, max {marks['key_max_ms']:.0f} ms;"
                f" peak {marks['maxrss_mb']:.0f} MB"
            )
            env["POSTIL_STORE"] = str(store)
            inter, _ = _run_child(
                env, "interactive", joined, str(store), str(big), json.dumps(queries)
            )
            for query, ms in inter["filter_ms"].items():
                sync = inter["filter_sync_ms"][query]
                rows = inter["filter_rows"][query]
                print(
                    f"  filter {query!r}: {sync:.1f} ms to the new rows, {ms:.1f} ms to the"
                    f" end of the frame showing them ({rows:,} rows)"
                )
            print(
                f"  open post: median {inter['open_median_ms']:.1f} ms"
                f" ({inter['open_median_size_kb']:.1f} KB file);"
                f" {inter['open_big_size_kb']:.0f} KB post {inter['open_big_ms']:.0f} ms"
            )
            print(f"  load average at the end: {_load()}")
    print(f"\narchives and the app's index are kept in {cache_root()} (rm -rf to delete)")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
    else:
        main()
