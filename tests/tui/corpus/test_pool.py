"""Parsing in worker processes: what the workers send back rebuilds the serial results."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tui.corpus import pool
from tui.corpus.parse import Parsed
from tui.corpus.pool import ScanFeed, parse_entry
from tui.corpus.scan import scan

FIXTURES = ROOT / "tests" / "fixtures"


def _serial(root: Path) -> list[tuple[int, Parsed]]:
    files = scan([root]).files
    return [(i, parse_entry(e)) for i, e in enumerate(files)]


def test_a_chunk_round_trip_equals_parsing_here() -> None:
    """Fields, ISO dates (and None), problems and failed files survive the wire format."""
    files = scan([FIXTURES]).files
    result = pool._parse_chunk(pool._task(files))
    rebuilt = pool._from_result(result, files, range(len(files)))
    assert rebuilt == _serial(FIXTURES)
    assert any(p.post is None for _, p in rebuilt) and any(p.problems for _, p in rebuilt)
    assert any(p.post is not None and p.post.date is None for _, p in rebuilt)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_scan_feed_parses_while_files_are_found(
    monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    monkeypatch.setattr(pool, "_start_method", lambda: method)
    monkeypatch.setattr(pool, "POOL_THRESHOLD", 2)
    monkeypatch.setattr(pool, "_CHUNK", 3)
    files = scan([FIXTURES]).files
    feed = ScanFeed(2)
    for n in range(len(files) + 1):  # the list grows folder by folder, here file by file
        feed.found(files[:n])
    assert feed._pool is not None and feed._sent == len(files) - len(files) % 3
    calls: list[tuple[int, int]] = []
    result = feed.finish(files, lambda d, t: calls.append((d, t)))
    assert result == _serial(FIXTURES)
    assert calls[-1] == (len(files), len(files))
    assert feed._pool is None


def test_scan_feed_without_a_pool_parses_here(monkeypatch: pytest.MonkeyPatch) -> None:
    files = scan([FIXTURES]).files
    for feed in (ScanFeed(1), ScanFeed(2)):  # one worker; too few files for a pool
        feed.found(files)
        assert feed._pool is None
        assert feed.finish(files, None) == _serial(FIXTURES)


def test_scan_feed_falls_back_when_a_worker_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pool, "_start_method", lambda: "fork")
    monkeypatch.setattr(pool, "POOL_THRESHOLD", 2)
    monkeypatch.setattr(pool, "_CHUNK", 3)
    root = tmp_path / "posts"
    shutil.copytree(FIXTURES / "posts", root)
    files = scan([root]).files
    monkeypatch.setattr(pool, "_parse_chunk", _explode)
    feed = ScanFeed(2)
    assert feed.finish(files, None) == _serial(root)
    assert feed._pool is None


def _explode(task: object) -> object:
    raise RuntimeError("worker failed")


def test_scan_feed_falls_back_when_the_pool_breaks_during_the_scan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pool, "_start_method", lambda: "fork")
    monkeypatch.setattr(pool, "POOL_THRESHOLD", 2)
    monkeypatch.setattr(pool, "_CHUNK", 3)
    files = scan([FIXTURES]).files
    feed = ScanFeed(2)
    feed.found(files[:4])
    assert feed._pool is not None

    def broken(*args: object) -> None:
        raise RuntimeError("cannot schedule new futures after shutdown")

    monkeypatch.setattr(feed._pool, "submit", broken)
    feed.found(files)  # never raises into the scan
    assert feed._pool is None
    assert feed.finish(files, None) == _serial(FIXTURES)


def test_a_chunk_parsed_in_this_process_leaves_the_collector_as_it_was() -> None:
    import gc

    files = scan([FIXTURES]).files[:2]
    assert gc.isenabled()
    pool._parse_chunk(pool._task(files))
    assert gc.isenabled()


@pytest.mark.parametrize(("cpus", "expected"), [(1, 1), (2, 2), (3, 3), (64, pool.MAX_WORKERS)])
def test_default_workers_are_the_usable_cpus_up_to_a_limit(
    cpus: int, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
    assert pool.default_workers() == expected


def test_default_workers_without_affinity_count_the_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert pool.default_workers() == 1
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert pool.default_workers() == 2


def test_default_workers_ignore_the_load_average(monkeypatch: pytest.MonkeyPatch) -> None:
    """A busy machine still gets its cores: measured, two workers beat one process even
    when another program keeps the second core busy."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (7.0, 7.0, 7.0))
    assert pool.default_workers() == 2


_TEXTUAL_STDERR = """
import sys, threading
sys.path.insert(0, {root!r})
from tui.corpus import pool
from tui.corpus.scan import scan

class Captured:  # what Textual puts in sys.stderr while an app runs
    def write(self, text): return len(text)
    def flush(self): pass
    def fileno(self): return -1

def main():
    files = scan([{fixtures!r}]).files
    sys.stderr = Captured()
    outcome = []
    def load():  # from a thread, as the app loads: the pool is spawned
        try:
            {how}
            outcome.append("ok" if started is not None else "no pool")
            if started is not None:
                got = pool._from_result(
                    started.submit(pool._parse_chunk, pool._task(files)).result(),
                    files, range(len(files)))
                outcome.append(got == [(i, pool.parse_entry(e)) for i, e in enumerate(files)])
                started.shutdown()
        except Exception as exc:
            outcome.append(type(exc).__name__ + ": " + str(exc))
    thread = threading.Thread(target=load)
    thread.start()
    thread.join()
    sys.stderr = sys.__stderr__
    print(outcome)

if __name__ == "__main__":
    main()
"""


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("started = pool._new_pool(2)", "['ok', True]"),
        # Without the tracker started first, as multiprocessing does it by itself:
        (
            "import concurrent.futures as f, multiprocessing as m; "
            "started = f.ProcessPoolExecutor(2, mp_context=m.get_context('spawn'))",
            "['ValueError: bad value(s) in fds_to_keep']",
        ),
    ],
)
def test_a_pool_starts_under_textuals_stderr(how: str, expected: str, tmp_path: Path) -> None:
    """Textual's sys.stderr has fileno() -1, which broke starting a spawned pool (the
    app's cold load failed whole): the pool now starts, and parses as this process."""
    script = tmp_path / "load.py"
    script.write_text(
        _TEXTUAL_STDERR.format(root=str(ROOT), fixtures=str(FIXTURES), how=how),
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    got = done.stdout.strip().splitlines()[-1]
    if "ValueError" in expected and got == "['ok', True]":
        pytest.skip("this Python starts the resource tracker without a real stderr")
    assert got == expected, done.stderr
