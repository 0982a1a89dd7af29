"""Work in worker processes: the results are those of working here, in order, whatever
happens to the pool."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.corpus import workers
from tui.corpus.workers import run_chunks


def square_all(chunk: list[int]) -> list[int]:
    return [n * n for n in chunk]


def pid_of(chunk: list[int]) -> int:
    return os.getpid()


def explode(chunk: list[int]) -> list[int]:
    if os.getpid() != MAIN_PID:
        os._exit(1)  # a worker killed mid-task
    return square_all(chunk)


MAIN_PID = os.getpid()

CHUNKS = [list(range(i, i + 5)) for i in range(0, 50, 5)]


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_results_come_in_order_from_workers(monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    monkeypatch.setattr(workers, "_start_method", lambda: method)
    assert list(run_chunks(square_all, CHUNKS, workers=2)) == [square_all(c) for c in CHUNKS]
    pids = set(run_chunks(pid_of, CHUNKS, workers=2))
    assert os.getpid() not in pids


def test_one_worker_or_few_chunks_work_here() -> None:
    assert set(run_chunks(pid_of, CHUNKS, workers=1)) == {os.getpid()}
    assert set(run_chunks(pid_of, CHUNKS[:1], workers=2)) == {os.getpid()}


def test_a_killed_worker_leaves_the_rest_to_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workers, "_start_method", lambda: "fork")
    assert list(run_chunks(explode, CHUNKS, workers=2)) == [square_all(c) for c in CHUNKS]


def test_chunks_are_taken_as_they_are_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """A generator of chunks (a database read a page at a time) is not drained at once:
    when the first result comes, at most ``ahead`` chunks were taken."""
    monkeypatch.setattr(workers, "_start_method", lambda: "fork")
    taken: list[int] = []

    def source() -> Iterator[list[int]]:
        for index, chunk in enumerate(CHUNKS):
            taken.append(index)
            yield chunk

    results = run_chunks(square_all, source(), workers=2, ahead=6)
    assert next(results) == square_all(CHUNKS[0])
    assert len(taken) == 6
    assert list(results) == [square_all(c) for c in CHUNKS[1:]]


def test_a_killed_worker_leaves_the_rest_of_a_generator_to_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workers, "_start_method", lambda: "fork")
    results = run_chunks(explode, iter(CHUNKS), workers=2, ahead=3)
    assert list(results) == [square_all(c) for c in CHUNKS]


def test_no_safe_way_to_start_workers_works_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "_start_method", lambda: None)
    assert set(run_chunks(pid_of, CHUNKS, workers=2)) == {os.getpid()}


@pytest.mark.parametrize(("cpus", "expected"), [(1, 1), (2, 2), (3, 3), (64, workers.MAX_WORKERS)])
def test_default_workers_are_the_usable_cpus_up_to_a_limit(
    cpus: int, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
    assert workers.default_workers() == expected


def test_default_workers_without_affinity_count_the_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert workers.default_workers() == 1
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert workers.default_workers() == 2


APP_SCRIPT = """
import os, sys
from textual.app import App
from tui.corpus.workers import run_chunks
from tests.tui.corpus.test_workers import CHUNKS, pid_of


class Probe(App[set]):
    def on_mount(self) -> None:
        self.run_worker(self.work, thread=True)

    def work(self) -> None:
        pids = set(run_chunks(pid_of, CHUNKS, workers=2))
        self.call_from_thread(self.exit, pids)


if __name__ == "__main__":
    pids = Probe().run(headless=True)
    print("workers" if pids and os.getpid() not in pids else f"here: {pids}")
"""


def test_workers_start_in_a_textual_app(tmp_path: Path) -> None:
    """In the app, ``sys.stderr`` is Textual's capture (``fileno()`` is -1) and there are
    threads, so the pool is spawned: multiprocessing's resource tracker, which it needs,
    used to fail to start on that -1, and the work was all done in the app's process."""
    script = tmp_path / "probe.py"
    script.write_text(APP_SCRIPT, encoding="utf-8")
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.stdout.strip() == "workers", done.stdout + done.stderr
