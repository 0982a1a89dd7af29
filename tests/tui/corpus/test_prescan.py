"""The scan in a forked child: the same result as scanning here, and a safe fallback."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tui.corpus import prescan
from tui.corpus.prescan import start_scan
from tui.corpus.scan import MissingPath, RawScan, scan


@pytest.fixture
def fork_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fork even if an earlier test left an idle thread behind (an executor's, an app's):
    the child here only scans and writes to a pipe."""
    monkeypatch.setattr(prescan, "_can_fork", lambda: True)


def needs_fork(test: Callable[..., None]) -> Callable[..., None]:
    """A test of the forked child: Linux only, and forking whatever threads are left."""
    linux = pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="the scan is forked on Linux only"
    )
    marked: Callable[..., None] = linux(pytest.mark.usefixtures("fork_allowed")(test))
    return marked


def _corpus(root: Path) -> Path:
    """Posts in nested folders, a link loop, a broken link and a name that is not UTF-8."""
    for rel in ("a.md", "sub/b.markdown", "sub/deeper/c.html", "其他/中文.md"):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\ntitle: t\n---\nbody\n", encoding="utf-8")
    (root / "sub" / "loop").symlink_to(root)
    (root / "gone.md").symlink_to(root / "nowhere.md")
    (root / os.fsdecode(b"latin-\xe9.md")).write_text("---\ntitle: x\n---\n", encoding="utf-8")
    return root


@needs_fork
def test_forked_scan_equals_the_scan_here(tmp_path: Path) -> None:
    root = _corpus(tmp_path / "c")
    pending = start_scan([root])
    assert pending.child == "fork"
    assert isinstance(pending.result(), prescan.PackedScan)  # the child's, not a fallback
    forked = pending.files()
    here = scan([root])
    assert forked == here
    assert len(here.files) == 5 and {p.kind for p in here.problems} == {"loop", "unreadable"}
    assert forked.columns() == here.columns()
    assert [f.rel_path for f in forked.files] == [f.rel_path for f in here.files]


@needs_fork
def test_a_failing_child_falls_back_to_scanning_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _corpus(tmp_path / "c")

    def broken(found: object) -> bytes:
        raise RuntimeError("the child fails")

    monkeypatch.setattr(prescan, "_pack", broken)  # inherited by the forked child
    pending = start_scan([root])
    assert pending.child == "fork"
    assert pending.files() == scan([root])


@needs_fork
def test_a_damaged_payload_falls_back_to_scanning_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _corpus(tmp_path / "c")
    monkeypatch.setattr(prescan, "_pack", lambda found: [b"not a pickle"])
    assert start_scan([root]).files() == scan([root])


@needs_fork
def test_columns_cut_short_after_the_head_fall_back_to_scanning_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _corpus(tmp_path / "c")
    real = prescan._pack

    def cut(found: RawScan) -> list[bytes]:
        head, paths, *_ = real(found)
        return [head, paths[:10]]  # the head whole, the columns not

    monkeypatch.setattr(prescan, "_pack", cut)
    pending = start_scan([root])
    pid = pending._pid
    packed = pending.result()
    assert isinstance(packed, prescan.PackedScan) and packed.count == 5
    assert pending.files() == scan([root])
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped once its columns were read


@needs_fork
def test_the_head_alone_is_read_and_the_child_then_stopped(tmp_path: Path) -> None:
    """Only the head is read (the columns wait in the pipe); `abandon` stops the child."""
    root = tmp_path / "many"
    root.mkdir()
    for n in range(3000):  # columns larger than the pipe: the child waits to write them
        (root / f"{n:05d}-a-rather-long-post-file-name-to-fill-the-pipe.md").write_bytes(b"x")
    pending = start_scan([root])
    pid = pending._pid
    packed = pending.result()
    assert isinstance(packed, prescan.PackedScan) and packed.count == 3000
    assert pending.child == "fork"  # still there, its columns unread
    pending.abandon()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    with pytest.raises(ValueError, match="gone"):
        packed.unpack()  # too late: the columns went with the child
    assert pending.files() == scan([root])  # (the scan runs here instead)


@needs_fork
def test_a_killed_child_falls_back_and_is_reaped(tmp_path: Path) -> None:
    root = _corpus(tmp_path / "c")
    pending = start_scan([root])
    pid = pending._pid
    os.kill(pid, 9)
    assert pending.files() == scan([root])
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: no zombie left


@needs_fork
def test_an_abandoned_scan_is_reaped(tmp_path: Path) -> None:
    pending = start_scan([_corpus(tmp_path / "c")])
    pid = pending._pid
    pending.abandon()
    pending.abandon()  # twice is harmless
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def test_with_other_threads_running_the_scan_is_spawned(tmp_path: Path) -> None:
    root = _corpus(tmp_path / "c")
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        pending = start_scan([root])
        assert pending.child == "spawn"
        # The child's own result (not the fallback scan here) arrived and unpacks.
        assert isinstance(pending.result(), prescan.PackedScan)
        assert pending.files() == scan([root])
    finally:
        release.set()
        thread.join()


def test_missing_root_is_reported_before_any_fork(tmp_path: Path) -> None:
    with pytest.raises(MissingPath, match="no file or folder named"):
        start_scan([tmp_path / "nope"])


@needs_fork
def test_a_payload_larger_than_the_pipe_arrives_whole(tmp_path: Path) -> None:
    root = tmp_path / "many"
    root.mkdir()
    for n in range(2000):
        (root / f"{n:05d}-a-rather-long-post-file-name-to-fill-the-pipe.md").write_bytes(b"x")
    pending = start_scan([root])
    assert pending.child == "fork"
    found = pending.files()
    assert found == scan([root]) and len(found.files) == 2000


def test_a_spawned_child_that_fails_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _corpus(tmp_path / "c")
    pending = prescan.PendingScan([str(root)])
    monkeypatch.setattr(sys, "executable", "/bin/false")  # exits 1, writes nothing
    pending._spawn()
    assert pending.child == "spawn"
    assert pending.files() == scan([root])
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    pending = prescan.PendingScan([str(root)])
    pending._spawn()
    assert pending.child is None  # could not start: the scan runs here
    assert pending.files() == scan([root])


def test_an_abandoned_spawned_child_is_reaped(tmp_path: Path) -> None:
    pending = prescan.PendingScan([str(_corpus(tmp_path / "c"))])
    pending._spawn()
    proc = pending._proc
    assert proc is not None
    pending.abandon()
    assert proc.returncode is not None


def test_the_spawned_module_writes_the_packed_scan(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    root = _corpus(tmp_path / "c")
    assert prescan.main([str(root)]) == 0
    assert prescan._unpack(capsysbinary.readouterr().out).unpack() == scan([root])
    assert prescan.main([str(tmp_path / "gone")]) == 1


@needs_fork
def test_the_fingerprint_tells_unchanged_files_without_unpacking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.corpus.cache import MetadataCache
    from tui.corpus.loader import load_corpus

    root = tmp_path / "c"
    for n in range(3):
        (root / f"sub{n}").mkdir(parents=True)
        (root / f"sub{n}" / f"p{n}.md").write_text(f"---\ntitle: Post {n}\n---\nbody\n")
    cold = load_corpus([root])
    packed = start_scan([root]).result()
    assert isinstance(packed, prescan.PackedScan) and packed.count == 3
    cache = MetadataCache.load([str(root)])
    assert cache.whole_packed(packed.fingerprint) is not None

    def no_unpacking(self: prescan.PackedScan) -> None:
        raise AssertionError("unpacked")

    monkeypatch.setattr(prescan.PackedScan, "unpack", no_unpacking)
    assert load_corpus([root]) == cold  # the child's files were never unpacked
    monkeypatch.undo()

    edited = root / "sub1" / "p1.md"
    edited.write_text("---\ntitle: Post one, edited\n---\nbody\n")
    changed = start_scan([root]).result()
    assert isinstance(changed, prescan.PackedScan)
    assert changed.fingerprint != packed.fingerprint
    assert MetadataCache.load([str(root)]).whole_packed(changed.fingerprint) is None
    assert "Post one, edited" in {p.title for p in load_corpus([root]).posts}
