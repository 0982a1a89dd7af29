"""Corpus loading benchmark: cold, warm, naive and raw-read, as times and ratios.

For each N (1k, 10k, 50k by default; ``POSTIL_BENCH_SIZES=1000,5000`` to change) a
synthetic archive is generated in a temporary folder (removed afterwards, never in git),
then each measurement runs in its own child process so its peak memory (VmHWM) is
its own:

- raw: read every post file's bytes (the floor for anything that opens every file);
- stat: walk and stat() every post file, nothing else: the floor of a warm load, which
  must check every file's size and mtime against the cache;
- naive: ``frontmatter.load`` on every file, what a user would write;
- cold-1: ``load_corpus`` with an empty metadata cache, one process (the cache is written
  by a detached process once the result is there: not in the figure, ~0.5 s of CPU at
  50k; the next measurement waits for it);
- cold-2: the same with 2 worker processes (what a cold load does by default on 2 CPUs);
- warm: ``load_corpus`` again, from the cache (the scan runs in a forked child meanwhile:
  its CPU time is printed apart, and its memory is its own);
- filter: building a ``PostIndex`` and running ``tag:X date:2023 -author:Y word``.

The files are in the page cache for every measurement (they were just written and the
raw read runs first), so the figures compare CPU work, not the disk. Targets (issue 2):
cold >= 5x faster than naive, warm <= 0.5x raw, filter < 20 ms, peak memory < 300 MB.
Figures are printed, never asserted.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench.gen_archive import generate
from tests.bench.peak import peak_rss_mb

ROOT = Path(__file__).resolve().parents[2]
SIZES: tuple[int, ...] = (1_000, 10_000, 50_000)


def _files(folder: str) -> list[str]:
    out: list[str] = []
    for here, dirs, names in os.walk(folder):
        dirs.sort()
        out += [os.path.join(here, n) for n in sorted(names) if n.endswith(".md")]
    return out


def _stat_all(folder: str) -> int:
    """Walk ``folder`` and stat every post file (what validating a cache needs)."""
    count = 0
    stack = [folder]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                if entry.is_dir():
                    stack.append(entry.path)
                elif entry.name.endswith(".md"):
                    entry.stat()
                    count += 1
    return count


def _cpu(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _measure(kind: str, folder: str) -> dict[str, Any]:
    """Run one measurement in this (child) process.

    ``seconds`` is the wall time of the work itself; ``import_s`` the imports before it
    (paid once per process); ``cpu_s`` this process's CPU time for the work, which is
    less disturbed than wall time when other programs share the cores.
    """
    started = time.perf_counter()
    extra: dict[str, Any] = {}
    if kind == "naive":
        import frontmatter
    elif kind not in ("raw", "stat"):
        from tui.corpus.loader import load_corpus
    imported = time.perf_counter()
    cpu0 = _cpu()
    children0 = _cpu(resource.RUSAGE_CHILDREN)
    work0 = time.perf_counter()
    if kind == "raw":
        total = 0
        for path in _files(folder):
            with open(path, "rb") as f:
                total += len(f.read())
        extra["bytes"] = total
    elif kind == "stat":
        extra["files"] = _stat_all(folder)
    elif kind == "naive":
        posts = [frontmatter.load(path) for path in _files(folder)]
        extra["posts"] = len(posts)
    else:
        workers = {"cold-1": 1, "cold-2": 2}.get(kind)
        result = load_corpus([folder], workers=workers)
        extra["posts"] = len(result.posts)
        extra["problems"] = len(result.problems)
        if kind == "filter":
            extra.update(_filter(result.posts))
    seconds = time.perf_counter() - work0
    peak_mb = peak_rss_mb()
    return {
        "kind": kind,
        "seconds": seconds,
        "cpu_s": _cpu() - cpu0,
        "children_cpu_s": _cpu(resource.RUSAGE_CHILDREN) - children0,
        "import_s": imported - started,
        "peak_mb": peak_mb,
        **extra,
    }


def _filter(posts: list[Any]) -> dict[str, Any]:
    """Time the query helper's filter over all posts (skipped if it is not there)."""
    try:
        from tui.corpus.query import PostIndex, parse_query
    except ImportError:
        return {"filter_ms": None}
    tag = posts[0].tags[0]
    author = posts[1].author
    query = parse_query(f'tag:"{tag}" date:2023 -author:"{author}" 的')
    t0 = time.perf_counter()
    index = PostIndex(posts)
    t1 = time.perf_counter()
    runs = []
    for _ in range(5):
        s = time.perf_counter()
        hits = index.filter(query)
        runs.append(time.perf_counter() - s)
    return {"index_ms": (t1 - t0) * 1000, "filter_ms": min(runs) * 1000, "hits": len(hits)}


def _child(kind: str, folder: str, cache: str) -> dict[str, Any]:
    env = {**os.environ, "XDG_CACHE_HOME": cache, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_load", "--measure", kind, folder],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _wait_for_cache(cache_home: Path) -> None:
    """Wait until the detached process a cold load leaves has written the cache."""
    deadline = time.monotonic() + 120
    while not list(cache_home.glob("postil/corpus-*.cache")):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no metadata cache was written under {cache_home}")
        time.sleep(0.05)


def bench_size(n: int, base: Path) -> dict[str, dict[str, Any]]:
    """Generate an archive of ``n`` posts and run every measurement on it."""
    folder = base / f"archive-{n}"
    started = time.perf_counter()
    generate(folder, n)
    print(f"N={n}: generated in {time.perf_counter() - started:.1f} s", flush=True)
    runs: dict[str, dict[str, Any]] = {}
    _child("raw", str(folder), str(base / "unused"))  # warm the page cache first
    for kind, cache in (
        ("raw", "unused"),
        ("stat", "unused"),
        ("naive", "unused"),
        ("cold-2", f"cache-2-{n}"),
        ("cold-1", f"cache-{n}"),
        ("warm", f"cache-{n}"),
        ("filter", f"cache-{n}"),
    ):
        runs[kind] = _child(kind, str(folder), str(base / cache))
        if kind.startswith("cold"):
            _wait_for_cache(base / cache)
        r = runs[kind]
        print(
            f"  {kind:7} {r['seconds']:7.3f} s wall  {r['cpu_s']:7.3f} s cpu"
            f" (+{r['children_cpu_s']:.3f} s in child processes)"
            f"  (+{r['import_s']:.2f} s imports)  peak {r['peak_mb']:6.1f} MB",
            flush=True,
        )
    shutil.rmtree(folder, ignore_errors=True)
    return runs


def report(n: int, runs: dict[str, dict[str, Any]]) -> None:
    """Print the ratios the issue's targets are stated in (work only, imports apart)."""

    def ratio(a: str, b: str, key: str) -> float:
        return float(runs[a][key]) / max(float(runs[b][key]), 1e-9)

    print(
        f"  N={n}: naive/cold = {ratio('naive', 'cold-1', 'seconds'):.1f}x wall, "
        f"{ratio('naive', 'cold-1', 'cpu_s'):.1f}x cpu on one core; "
        f"{ratio('naive', 'cold-2', 'seconds'):.1f}x wall with 2 workers (target >= 5x)"
    )
    print(
        f"  N={n}: warm/raw   = {ratio('warm', 'raw', 'seconds'):.2f} wall, "
        f"{ratio('warm', 'raw', 'cpu_s'):.2f} cpu (target <= 0.5); "
        f"the stat() floor alone is {ratio('stat', 'raw', 'seconds'):.2f} wall, "
        f"{ratio('stat', 'raw', 'cpu_s'):.2f} cpu"
    )
    f = runs["filter"]
    if f.get("filter_ms") is not None:
        print(
            f"  N={n}: filter {f['filter_ms']:.1f} ms (index build {f['index_ms']:.0f} ms, "
            f"{f['hits']} hits; target < 20 ms)"
        )
    mine = ("cold-1", "cold-2", "warm", "filter")
    peak = max(float(runs[k]["peak_mb"]) for k in mine)
    print(
        f"  N={n}: peak memory: postil {peak:.0f} MB, naive {runs['naive']['peak_mb']:.0f} MB "
        f"(target < 300 MB)",
        flush=True,
    )


def main() -> None:
    """Run the benchmark for every size and print the figures."""
    sizes = SIZES
    if os.environ.get("POSTIL_BENCH_SIZES"):
        sizes = tuple(int(s) for s in os.environ["POSTIL_BENCH_SIZES"].split(","))
    with tempfile.TemporaryDirectory(prefix="postil-bench-") as tmp:
        for n in sizes:
            report(n, bench_size(n, Path(tmp)))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(_measure(sys.argv[2], sys.argv[3])))
    else:
        main()
