"""The indexing process the app runs beside it: stopping it leaves no process behind."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from tests.processes import process_stats
from tui.corpus.workers import default_workers
from tui.indexer import Indexer


def _corpus(folder: Path, count: int) -> Path:
    """``count`` posts of a few paragraphs each (enough text for workers to render)."""
    folder.mkdir()
    paragraph = "<p>" + "港口的早晨很安静，渔船慢慢回来了。The harbour wakes slowly. " * 20 + "</p>"
    for number in range(count):
        post = folder / f"2024-01-{number % 28 + 1:02d}-post-{number}.md"
        post.write_text(
            f"---\ntitle: Post {number}\ndate: 2024-01-{number % 28 + 1:02d}\n---\n"
            + paragraph * 6,
            encoding="utf-8",
        )
    return folder


def _group_alive(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs (a zombie, which only waits to be
    reaped by whoever adopted it, does not count)."""
    return any(stat.pgid == pgid and stat.state != "Z" for stat in process_stats())


@pytest.mark.skipif(default_workers() < 2, reason="the indexer renders in workers only on 2+ CPUs")
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_stopping_the_indexer_mid_text_ends_its_workers_too(tmp_path: Path) -> None:
    """The app quits while the text is being indexed: the indexing process and the
    worker processes it started all end, and the pipe of reports reaches its end (a
    worker left alive kept it open, and the app's exit waited for it for ever)."""
    indexer = Indexer([str(_corpus(tmp_path / "posts", 1500))])
    indexer.start()
    assert indexer.process is not None
    events = indexer.events(lambda: False)
    for event in events:
        if event.phase == "text" and 0 < event.done < event.total:
            break
    else:
        pytest.fail("the text was indexed before the test could stop it")
    indexer.stop()
    rest: list[object] = []
    drained = threading.Thread(target=lambda: rest.extend(events), daemon=True)
    drained.start()
    drained.join(timeout=10)
    deadline = time.monotonic() + 5
    while (alive := _group_alive(indexer.process.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive:  # do not leave them behind for the rest of the suite
        os.killpg(indexer.process.pid, 9)
    assert not alive, "a process of the indexer's group outlived stop()"
    assert not drained.is_alive(), "the reports' pipe stayed open after stop()"
    assert indexer.failure() is None  # stopped, not failed


def test_the_indexer_runs_this_postil_whatever_folder_it_starts_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started in a folder holding another project's ``tui`` package, the indexing
    process imported that one (``python -m`` looks in the working folder first) and
    failed: the app said the posts could not be loaded."""
    project = tmp_path / "project"
    (project / "tui").mkdir(parents=True)
    (project / "tui" / "__init__.py").write_text("raise ImportError('not postil')\n")
    monkeypatch.chdir(project)
    indexer = Indexer([str(_corpus(tmp_path / "posts", 3))])
    indexer.start()
    try:
        phases = [event.phase for event in indexer.events(lambda: False)]
    finally:
        indexer.stop()
    assert phases and phases[-1] == "done", phases
