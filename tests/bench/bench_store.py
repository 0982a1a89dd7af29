"""Store latency and memory: durable add/update with 0, 1k and 10k annotations.

Every write is the full durable path: lock, the check that the in-memory copy is still
the files' content, then an fsynced append to the journal beside the store file (or,
before the journal existed, a whole-file rewrite: temp file, fsync, rename, folder
fsync). Each stream of writes is long enough to pass the store's default journal limit,
so the compactions (folding the journal into the store file) it triggers happen inside
the measured stream and show in p95/max. Then: the cost of one compaction at each size,
lookups, re-reading another process's write, and the resident memory an opened
10k-annotation store costs (measured in a fresh child process). For comparison,
TinyDB's default JSONStorage insert at 10k.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import orjson

from annotations.durable import atomic_write_bytes
from annotations.model import Annotation, AnnotationId, PostSnapshot, Target, utc_now_iso
from annotations.store import AnnotationStore

ROOT = Path(__file__).resolve().parents[2]
SIZES = (0, 1_000, 10_000)
STREAM = 1_200
"""Writes per measured stream: ~1.1 MB of records at ~950 bytes each, over 1 MiB."""
POSTS = 2_000


def _annotation(i: int) -> Annotation:
    post = f"{i % POSTS:012x}"
    now = utc_now_iso()
    return Annotation(
        id=AnnotationId(str(uuid.uuid4())),
        post=PostSnapshot(
            id=post,
            path=f"/home/reader/archive/_posts/2023/2023-10-26-post-{post}.md",
            title=f"第{i}篇：一个关于城市与记忆的长标题 A long title",
            source=f"https://news.example.com/a/n{i}.htm",
            author="记者 张三",
            date="2023-10-26T22:57:12.000Z",
            tags=("新闻", "城市", "记忆"),
        ),
        target=Target(
            exact="夜里下了一场雨，清晨的街道湿漉漉的，行人撑着伞匆匆走过。" * 2,
            prefix="前一段的结尾，这里是三十二个字符的上文上下文内容示例。",
            suffix="后一段的开头，这里是三十二个字符的下文上下文内容示例。",
            start=1000 + i,
            end=1056 + i,
        ),
        note="这是一条笔记：值得记住的一句话。" if i % 3 else "",
        tags=("重要",) if i % 5 == 0 else (),
        color="yellow",
        created=now,
        updated=now,
    )


def _populate(path: Path, n: int) -> None:
    table = {str(i + 1): _annotation(i).to_doc() for i in range(n)}
    path.write_bytes(orjson.dumps({"annotations": table}))


def _ms(samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return (
        f"median {statistics.median(samples) * 1000:6.2f} ms  p95 {p95 * 1000:6.2f} ms"
        f"  max {samples[-1] * 1000:6.2f} ms"
    )


def _time(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _journal_size(path: Path) -> int:
    try:
        return path.with_name(path.name + ".journal").stat().st_size
    except FileNotFoundError:
        return 0


class _Folds:
    """Counts compactions (the journal emptied) or, before the journal, file rewrites."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._state = self._now()

    def _now(self) -> tuple[int | None, int]:
        try:
            ino: int | None = self.path.stat().st_ino
        except FileNotFoundError:
            ino = None
        return ino, _journal_size(self.path)

    def after(self, fn: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            result = fn()
            (ino, size), (old_ino, old_size) = self._now(), self._state
            if size < old_size or (not size and ino != old_ino):
                self.count += 1
            self._state = (ino, size)
            return result

        return run


def _bench_size(folder: Path, n: int) -> None:
    path = folder / f"store-{n}.json"
    _populate(path, n)
    t0 = time.perf_counter()
    store = AnnotationStore(path)
    opened = time.perf_counter() - t0
    size_mb = path.stat().st_size / 1e6 if path.exists() else 0.0
    print(f"{n} annotations ({size_mb:.1f} MB): open {opened * 1000:.1f} ms")
    post = _annotation(0).post
    target = _annotation(0).target
    created: list[Annotation] = []
    folds = _Folds(path)
    add = folds.after(lambda: created.append(store.create(post, target, note="新的笔记")))
    adds = _time(add, STREAM)
    print(f"  add (durable)       {_ms(adds)}  ({STREAM} writes, {folds.count} folds)")
    folds.count = 0
    ids = iter([a.id for a in created] * 2)
    updates = _time(folds.after(lambda: store.update(next(ids), note="改过的笔记")), STREAM)
    print(f"  update (durable)    {_ms(updates)}  ({STREAM} writes, {folds.count} folds)")
    reading = iter(range(10**6))
    marks = _time(lambda: store.set_reading(f"p{next(reading)}", is_read=True), 300)
    print(f"  set_reading         {_ms(marks)}  (300 writes)")
    compact = getattr(store, "compact", None)
    if compact is not None:
        size = n + STREAM

        def one_fold() -> None:
            store.set_reading("fold", position=int(time.monotonic_ns() % 10**9))
            t0 = time.perf_counter()
            compact()
            folds_took.append(time.perf_counter() - t0)

        folds_took: list[float] = []
        for _ in range(5):
            one_fold()
        print(f"  compaction (~{size} annotations) {_ms(folds_took)}")
    some = created[0].id
    print(f"  get                 {_ms(_time(lambda: store.get(some), 200))}")
    print(f"  for_post (first)    {_ms(_time(lambda: store.for_post(post.id), 1))}")
    print(f"  for_post (cached)   {_ms(_time(lambda: store.for_post(post.id), 200))}")
    store.create(post, target)
    print(f"  for_post after a write {_ms(_time(lambda: store.for_post(post.id), 1))}")
    print(f"  all (first)         {_ms(_time(store.all, 1))}")
    print(f"  all (cached)        {_ms(_time(store.all, 20))}")
    print(f"  post_counts (first) {_ms(_time(store.post_counts, 1))}")
    print(f"  post_counts (cached) {_ms(_time(store.post_counts, 20))}")
    store.update(some, note="again")
    print(f"  post_counts after a write {_ms(_time(store.post_counts, 1))}")
    raw = path.read_bytes()
    floor = _time(lambda: atomic_write_bytes(folder / "floor.json", raw), 10)
    print(f"  I/O floor: temp+write+fsync+rename+dir fsync of the store file  {_ms(floor)}")
    other = AnnotationStore(path)
    other.create(post, target)
    reload = _time(store.all, 1)
    print(f"  all after another store wrote (re-read) {_ms(reload)}")
    print(f"  journal left: {_journal_size(path) / 1e3:.0f} kB")
    store.close()
    other.close()


_MEMORY_CHILD = """
import gc, sys
def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
from annotations.store import AnnotationStore
gc.collect()
base = rss()
store = AnnotationStore(sys.argv[1])
anns = store.all()
store.for_post(anns[0].post.id)
store.post_counts()
gc.collect()
opened = rss()
store.set_reading("p1", position=3)
store.update(anns[0].id, note="changed")
gc.collect()
written = rss()
print(f"{opened - base:.1f} {written - base:.1f}")
"""


def _bench_memory(folder: Path) -> None:
    path = folder / "memory.json"
    _populate(path, 10_000)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    opened, written = result.stdout.split()
    print(
        f"RSS of an opened 10k-annotation store (all, for_post, post_counts): +{opened} MB;"
        f" after two writes: +{written} MB"
    )


def _bench_tinydb_default(folder: Path) -> None:
    try:
        from tinydb import TinyDB
    except ImportError:  # pragma: no cover
        return
    path = folder / "tinydb-default.json"
    _populate(path, 10_000)
    db = TinyDB(path)
    table = db.table("annotations")
    doc = _annotation(1).to_doc()
    inserts = _time(lambda: table.insert(doc), 5)
    print(f"TinyDB default JSONStorage at 10k: insert {_ms(inserts)} (no fsync, in place)")
    db.close()


def main() -> None:
    """Run the store benchmark and print the figures."""
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="postil-bench-") as tmp:
        folder = Path(tmp)
        for n in SIZES:
            _bench_size(folder, n)
        _bench_memory(folder)
        _bench_tinydb_default(folder)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
