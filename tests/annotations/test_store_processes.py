"""Real processes writing at once, and writers killed with SIGKILL mid-stream."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from annotations.store import AnnotationStore
from tests.annotations.helpers import snapshot, target
from tests.conftest import ROOT

WRITER = """
import sys
from annotations.store import AnnotationStore
from tests.annotations.helpers import snapshot, target
store = AnnotationStore(sys.argv[1])
tag = sys.argv[2]
for i in range(int(sys.argv[3])):
    ann = store.create(snapshot(), target(), note=f"{tag}-{i}")
print("done", flush=True)
"""


@pytest.mark.slow
def test_two_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "annotations.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), tag, "300"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("a", "b")
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == "done"
    store = AnnotationStore(path)
    notes = {ann.note for ann in store.all()}
    assert notes == {f"{tag}-{i}" for tag in "ab" for i in range(300)}
    assert not store.problems
    doc_ids = orjson.loads(path.read_bytes())["annotations"].keys()
    assert len(doc_ids) == 600


SMALL_JOURNAL = 3_000
"""The killed writer's journal limit: a fold every few writes, so kills land in folds too."""


def _writer_child(path: Path, pipe_w: int) -> None:
    """Runs in a forked child: write forever, reporting each write once it returned."""
    try:
        store = AnnotationStore(path, journal_limit=SMALL_JOURNAL)
        i = 0
        while True:
            ann = store.create(snapshot(), target(), note=f"n{i}")
            os.write(pipe_w, f"{ann.id} n{i}\n".encode())
            if i % 2 == 0:
                store.update(ann.id, note=f"n{i}-edited")
                os.write(pipe_w, f"{ann.id} n{i}-edited\n".encode())
            if i % 3 == 0:
                store.set_reading(f"p{i}", position=i, is_read=True)
            i += 1
    finally:
        os._exit(0)


@pytest.mark.slow
def test_sigkill_at_random_moments_never_loses_a_returned_write(tmp_path: Path) -> None:
    path = tmp_path / "annotations.json"
    rng = random.Random(20231026)
    reported: dict[str, str] = {}
    deadline = time.monotonic() + 15
    iterations = 0
    while iterations < 60 and time.monotonic() < deadline:
        iterations += 1
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(read_fd)
            _writer_child(path, write_fd)
        os.close(write_fd)
        time.sleep(rng.uniform(0.005, 0.08))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        with os.fdopen(read_fd, "rb") as pipe:
            lines = pipe.read().split(b"\n")
        # The last line may be a partial write cut by the kill: keep whole lines only.
        for line in lines[:-1]:
            ann_id, note = line.decode().split(" ")
            reported[ann_id] = note
        if path.exists():
            orjson.loads(path.read_bytes())  # always parses
        store = AnnotationStore(path)
        assert not store.read_only, store.read_only_reason
        notes: dict[str, str] = {ann.id: ann.note for ann in store.all()}
        missing = set(reported) - set(notes)
        assert not missing, f"iteration {iterations}: lost {len(missing)} returned writes"
        for ann_id, note in reported.items():
            # An edit that had not returned may be there too, never an older note.
            assert notes[ann_id] in (note, note if note.endswith("-edited") else f"{note}-edited")
        assert not store.problems
        if iterations % 2:
            store.close()  # folds the journal, as a postil exiting would
        else:  # leaves the journal (and any torn tail) to the next writer
            store._storage.close()
    assert iterations >= 10
    assert len(reported) > 20
    # Temp files of killed writers are swept by the next writer.
    AnnotationStore(path).set_reading("last", is_read=True)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
