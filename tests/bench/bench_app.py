"""App benchmark: start to first painted list, filter repaint, post open, peak memory.

For each N (1k and 50k by default; ``POSTIL_BENCH_APP_SIZES=1000,5000`` to change) a
synthetic archive (``gen_archive``) is written to a temporary folder (removed afterwards),
with one extra ~700 KB post. Each measurement runs in a child process (its own start-up
and peak memory), the app headless at 120x40: Textual composes and renders every frame,
only the bytes to the terminal are skipped.

- empty: an empty Textual app (one Label) from process start to its first frame;
- start: ``postil`` from process start to the first frame showing the list, warm
  metadata cache (a first run fills it): the list of last time, from the cache; and to
  the frames after the index was built (filtering ready) and every file was checked
  against that list (the end of "checking for changed files…");
- cold start: the same with no metadata cache (removed before each run): every file is
  parsed, in worker processes above ``POOL_THRESHOLD`` files (spawned: the app loads in
  a thread), before the first list is shown;
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
- memory: peak RSS (VmHWM) of ``postil`` at the largest N with 10,000 annotations in the
  store, once the list, the query index and the facets are all built.

Targets (issue 5): first list within 2.5x the empty app at 50k warm, filter repaint under
20 ms, open under 50 ms median and 300 ms for the 700 KB post, memory under 150 MB.
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
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tests.bench.gen_archive import generate
from tests.bench.peak import peak_rss_mb

ROOT = Path(__file__).resolve().parents[2]
SIZES: tuple[int, ...] = (1_000, 50_000)
ANNOTATIONS = 10_000
BIG_POST_BYTES = 700_000
QUERIES = ("tag:economy-0", "date:2020", "river", "-tag:economy-0 date:2018..2021 is:unread", "")
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


def child_start(folder: str, store: str) -> None:
    """``postil FOLDER``: report the wall time of the first frame showing the list, and
    of the frames after the list was checked against the files and indexed."""
    from tui.app import make_app
    from tui.corpus.model import LoadResult
    from tui.screens.library import LibraryData, LibraryIndex, LibraryScreen

    imported = time.time()
    app = make_app([folder], store_path=store)
    seen: dict[str, Any] = {"imported": imported}
    set_data, set_index, set_checked = (
        LibraryScreen.set_data,
        LibraryScreen.set_index,
        LibraryScreen.set_checked,
    )

    def after_frame(name: str, screen: LibraryScreen) -> None:
        def painted() -> None:
            seen.setdefault(name, time.time())
            if name == "painted":
                seen.update(
                    load_s=app.load_seconds,
                    rows=len(screen.post_list.posts),
                    maxrss_mb=_maxrss_mb(),
                )
            if "checked" in seen and "indexed" in seen:
                _emit(seen)
                app.exit()

        app.call_after_refresh(painted)

    def hooked_set_data(self: LibraryScreen, data: LibraryData) -> None:
        set_data(self, data)
        after_frame("painted", self)

    def hooked_set_index(self: LibraryScreen, index: LibraryIndex) -> None:
        set_index(self, index)
        after_frame("indexed", self)

    def hooked_set_checked(self: LibraryScreen, corpus: LoadResult) -> None:
        set_checked(self, corpus)
        after_frame("checked", self)

    # Benchmark-only hooks in this child process: the app has no "first paint" event.
    LibraryScreen.set_data = hooked_set_data  # type: ignore[method-assign]
    LibraryScreen.set_index = hooked_set_index  # type: ignore[method-assign]
    LibraryScreen.set_checked = hooked_set_checked  # type: ignore[method-assign]
    app.run(headless=True, size=(120, 40))


def child_memory(folder: str, store: str) -> None:
    """``postil FOLDER`` until the index and the facets are built: the peak memory."""
    from tui.app import make_app
    from tui.screens.library import LibraryIndex, LibraryScreen

    app = make_app([folder], store_path=store)
    original = LibraryScreen.set_index

    def set_index(self: LibraryScreen, index: LibraryIndex) -> None:
        original(self, index)

        def settled() -> None:
            if any(worker.is_running for worker in app.workers):  # facets, marks, history
                app.set_timer(0.05, settled)
                return
            _emit({"painted": time.time(), "maxrss_mb": _maxrss_mb()})
            app.exit()

        app.call_after_refresh(settled)

    LibraryScreen.set_index = set_index  # type: ignore[method-assign]
    app.run(headless=True, size=(120, 40))


def child_interactive(folder: str, store: str, big: str) -> None:
    """Filter and open timings in one running app (headless Pilot)."""
    asyncio.run(_interactive(folder, store, big))


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


async def _interactive(folder: str, store: str, big: str) -> None:
    from textual import events

    from tui.app import make_app
    from tui.screens.reader import ReaderScreen

    app = make_app([folder], store_path=store)
    first_paint = _FirstPaint(app)
    list_frame = _ListFrame(app)
    result: dict[str, Any] = {"filter_ms": {}, "filter_sync_ms": {}}
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.is_loaded:
            await asyncio.sleep(0.01)
        await app.workers.wait_for_complete()
        await pilot.pause()
        library = app.library
        bar = library.filter_bar
        for query in QUERIES:
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
        await _settle(app, pilot)
        posts = [p for p in app.corpus.posts if p.path != big]
        sizes = sorted(posts, key=lambda p: p.size)
        middle = len(sizes) // 2
        sample = sizes[max(0, middle - 7) : middle + 8]
        big_post = next(p for p in app.corpus.posts if p.path == big)
        opened: list[float] = []
        for post in [*sample, big_post]:
            # The post under the cursor of the focused list, as a user would have it.
            library.post_list.cursor = library.shown.index(post)
            library.post_list.focus()
            await pilot.pause()
            await _next_frame(app)
            first_paint.arm()
            started = time.perf_counter()
            app.post_message(events.Key("enter", "\r"))
            painted = await first_paint.wait()
            opened.append((painted - started) * 1000)
            screen = app.screen
            assert isinstance(screen, ReaderScreen) and screen.post is post
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


def child(argv: list[str]) -> None:
    """Entry point of the child processes."""
    mode, *args = argv
    if mode == "empty":
        child_empty()
    elif mode == "start":
        child_start(*args)
    elif mode == "memory":
        child_memory(*args)
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


def _start_ms(env: dict[str, str], *args: str, cold: bool = False) -> tuple[float, dict[str, Any]]:
    """Median start-to-first-paint over RUNS children, and the median child's result;
    ``cold``: each child starts with no metadata cache."""
    times: list[float] = []
    results: list[dict[str, Any]] = []
    for _ in range(RUNS):
        if cold:
            for cache in Path(env["XDG_CACHE_HOME"]).glob("postil/corpus-*"):
                cache.unlink()
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
    path = folder / "big" / "2024-06-01-big-post.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "---\ntitle: A very long post\ndate: 2024-06-01T00:00:00Z\nauthor: Bench\n"
        "tags: [long]\n---\n<div>" + "".join(paragraphs) + "</div>\n",
        encoding="utf-8",
    )
    return path


def _annotation_store(path: Path, folder: Path, count: int) -> None:
    """A TinyDB store file with ``count`` annotations spread over the corpus's posts."""
    from tui.corpus.loader import load_corpus

    posts = load_corpus([folder]).posts
    rng = random.Random(3)
    docs: dict[str, Any] = {}
    for i in range(count):
        post = rng.choice(posts)
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
            "target": {"exact": "quote", "prefix": "", "suffix": "", "start": 0, "end": 5},
            "note": "a note" if i % 3 == 0 else "",
            "tags": [],
            "color": "yellow",
            "created": "2024-01-01T00:00:00Z",
            "updated": "2024-01-01T00:00:00Z",
            "schema": 1,
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"annotations": docs}), encoding="utf-8")


def _sizes() -> tuple[int, ...]:
    raw = os.environ.get("POSTIL_BENCH_APP_SIZES")
    return tuple(int(x) for x in raw.split(",")) if raw else SIZES


def main() -> None:
    """Run every measurement and print the figures."""
    # Here, not at the top: the children import this module, the empty app's included.
    from tui.corpus.pool import POOL_THRESHOLD

    sizes = _sizes()
    with tempfile.TemporaryDirectory(prefix="postil-bench-app-") as tmp_name:
        tmp = Path(tmp_name)
        env = dict(os.environ)
        for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
            env[var] = str(tmp / var.lower())
        env.pop("POSTIL_CORPUS", None)
        env["PYTHONPATH"] = str(ROOT)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        _run_child(env, "empty")  # compiles and caches the bytecode
        empty_ms, empty = _start_ms(env, "empty")
        print(f"empty Textual app: first frame {empty_ms:.0f} ms, peak {empty['maxrss_mb']:.0f} MB")
        for n in sizes:
            folder = tmp / f"corpus-{n}"
            started = time.perf_counter()
            generate(folder, n)
            big = _big_post(folder)
            print(f"\nN={n:,}: archive written in {time.perf_counter() - started:.1f} s")
            store = tmp / f"store-{n}.json"
            env["POSTIL_STORE"] = str(store)
            _run_child(env, "start", str(folder), str(store))  # fills the metadata cache
            start_ms, result = _start_ms(env, "start", str(folder), str(store))
            print(
                f"  start to first painted list (warm cache): {start_ms:.0f} ms"
                f" = {start_ms / empty_ms:.2f}x the empty app; {result['rows']:,} rows;"
                f" peak {result['maxrss_mb']:.0f} MB"
            )
            print(
                f"    of which: interpreter and imports {result['import_ms']:.0f} ms,"
                f" the list from the cache {result['load_s'] * 1000:.0f} ms after the load"
                f" began, the rest (Textual start-up, first frame) "
                f"{start_ms - result['import_ms'] - result['load_s'] * 1000:.0f} ms"
            )
            print(
                f"    then: filtering ready (index) {result['indexed_ms']:.0f} ms, every file"
                f" checked (status line) {result['checked_ms']:.0f} ms after the start"
            )
            cold_ms, cold = _start_ms(env, "start", str(folder), str(store), cold=True)
            print(
                f"  start to the whole list, cold (no metadata cache: every file parsed,"
                f" in worker processes above {POOL_THRESHOLD:,} files): {cold_ms:.0f} ms;"
                f" filtering ready {cold['indexed_ms']:.0f} ms; peak {cold['maxrss_mb']:.0f} MB"
            )
            if n != max(sizes):
                continue
            inter, _ = _run_child(env, "interactive", str(folder), str(store), str(big))
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
            annotated = tmp / f"store-{n}-annotated.json"
            _annotation_store(annotated, folder, ANNOTATIONS)
            env["POSTIL_STORE"] = str(annotated)
            mem, _ = _run_child(env, "memory", str(folder), str(annotated))
            print(
                f"  peak memory with {ANNOTATIONS:,} annotations: {mem['maxrss_mb']:.0f} MB"
                f" (empty app {empty['maxrss_mb']:.0f} MB)"
            )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
    else:
        main()
