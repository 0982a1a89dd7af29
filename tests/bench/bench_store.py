"""Store latency: durable add/update with 0, 1k and 10k annotations, and lookups.

Every write is the full durable path (lock, re-read check, orjson, temp file, fsync,
rename, folder fsync). For comparison, TinyDB's default JSONStorage insert at 10k.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import orjson

from annotations.durable import atomic_write_bytes
from annotations.model import Annotation, AnnotationId, PostSnapshot, Target, utc_now_iso
from annotations.store import AnnotationStore

SIZES = (0, 1_000, 10_000)
WRITES = 30
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
    adds = _time(lambda: created.append(store.create(post, target, note="新的笔记")), WRITES)
    print(f"  add (durable)       {_ms(adds)}")
    ids = iter([a.id for a in created] * 2)
    updates = _time(lambda: store.update(next(ids), note="改过的笔记"), WRITES)
    print(f"  update (durable)    {_ms(updates)}")
    reading = iter(range(10**6))
    marks = _time(lambda: store.set_reading(f"p{next(reading)}", is_read=True), 10)
    print(f"  set_reading         {_ms(marks)}")
    some = created[0].id
    print(f"  get                 {_ms(_time(lambda: store.get(some), 200))}")
    store.create(post, target)  # invalidates the derived indexes
    first = _time(lambda: store.for_post(post.id), 1)
    print(f"  for_post (rebuild)  {_ms(first)}")
    print(f"  for_post (cached)   {_ms(_time(lambda: store.for_post(post.id), 200))}")
    print(f"  all                 {_ms(_time(store.all, 20))}")
    print(f"  post_counts         {_ms(_time(store.post_counts, 20))}")
    raw = path.read_bytes()
    floor = _time(lambda: atomic_write_bytes(folder / "floor.json", raw), 10)
    print(f"  I/O floor: temp+write+fsync+rename+dir fsync of the same bytes  {_ms(floor)}")
    other = AnnotationStore(path)
    other.create(post, target)
    reload = _time(store.all, 1)
    print(f"  all after another process wrote (re-read) {_ms(reload)}")
    store.close()
    other.close()


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
    with tempfile.TemporaryDirectory(prefix="postil-bench-") as tmp:
        folder = Path(tmp)
        for n in SIZES:
            _bench_size(folder, n)
        _bench_tinydb_default(folder)


if __name__ == "__main__":
    main()
