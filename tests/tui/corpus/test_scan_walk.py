"""The scan's folder-at-a-time walk gives what a plain walk, one name at a time, gives.

`reference_scan` below is the walk as it was before it worked a folder at a time (the
spec, written for clarity): hypothesis builds trees with links, hard links, loops,
fifos, hidden folders, folders named like posts and names that are not UTF-8, and
`scan`, its ``on_folder`` calls and the walk under it must all agree with it.
"""

from __future__ import annotations

import errno
import os
import stat as st
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as some

from tests.tui.corpus.scanning import FileEntry, ScanResult, scan
from tui.corpus.model import Problem
from tui.corpus.scan import POST_SUFFIXES

posix_only = pytest.mark.skipif(os.name != "posix", reason="links, fifos and byte names")


def reference_scan(
    roots: list[str], on_folder: Callable[[list[FileEntry]], None] | None = None
) -> ScanResult:
    """Sorted depth-first walk, one entry at a time (``roots`` absolute and existing)."""
    result = ScanResult(roots=list(roots))
    seen_files: set[tuple[int, int]] = set()
    seen_dirs: set[tuple[int, int]] = set()

    def problem(path: str, exc: OSError, what: str = "file") -> None:
        if exc.errno == errno.ELOOP:
            result.problems.append(Problem(path, "loop", "this symbolic link is a loop."))
        elif exc.errno == errno.ENOENT and os.path.islink(path):
            reason = f"this symbolic link points to '{os.readlink(path)}', which does not exist."
            result.problems.append(Problem(path, "unreadable", reason))
        elif isinstance(exc, PermissionError):
            reason = f"permission denied: the {what} cannot be read."
            result.problems.append(Problem(path, "unreadable", reason))
        else:
            reason = f"the {what} cannot be read ({exc.strerror or exc})."
            result.problems.append(Problem(path, "unreadable", reason))

    def add(path: str, start: int, info: os.stat_result) -> None:
        key = (info.st_dev, info.st_ino)
        if key not in seen_files:
            seen_files.add(key)
            result.files.append(FileEntry(path, start, info.st_size, info.st_mtime_ns))

    def enter(path: str, info: os.stat_result, ancestors: list[tuple[int, int]]) -> None:
        key = (info.st_dev, info.st_ino)
        if key in ancestors:
            target = os.path.realpath(path)
            reason = f"this link leads back to '{target}', a folder above it."
            result.problems.append(Problem(path, "loop", reason))
        elif key not in seen_dirs:
            seen_dirs.add(key)
            walk(path, [*ancestors, key])

    def walk(folder: str, ancestors: list[tuple[int, int]]) -> None:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda entry: entry.name)
        except OSError as exc:
            problem(folder, exc, "folder")
            return
        for entry in entries:
            path = os.path.join(folder, entry.name)
            if entry.name.lower().endswith(POST_SUFFIXES):
                try:
                    info = entry.stat()
                except OSError as exc:
                    problem(path, exc)
                    continue
                if st.S_ISREG(info.st_mode):
                    add(path, start, info)
                elif st.S_ISDIR(info.st_mode) and not entry.name.startswith("."):
                    enter(path, info, ancestors)
                continue
            try:
                is_dir = entry.is_dir()
            except OSError as exc:
                problem(path, exc)
                continue
            if is_dir and not entry.name.startswith("."):
                try:
                    info = entry.stat()
                except OSError as exc:
                    problem(path, exc, "folder")
                    continue
                enter(path, info, ancestors)
        if on_folder is not None:
            on_folder(result.files)

    for root in roots:
        try:
            info = os.stat(root)
        except OSError as exc:
            problem(root, exc)
            continue
        if st.S_ISDIR(info.st_mode):
            if (info.st_dev, info.st_ino) not in seen_dirs:
                seen_dirs.add((info.st_dev, info.st_ino))
                start = len(os.path.join(root, ""))
                walk(root, [(info.st_dev, info.st_ino)])
        elif st.S_ISREG(info.st_mode):
            add(root, len(root) - len(os.path.basename(root)), info)
    return result


NAMES = [
    b"a.md",
    b"B.MD",
    b"c.Markdown",
    b"d.html",
    b"e.HTM",
    b"notes.txt",
    b"a.md.txt",  # ".md" inside, not at the end
    b"img.jpg",
    b".hidden.md",
    b".git",
    b"sub",
    b"2020",
    b"A",
    b"zz",
    b"dir.md",
    "中文.md".encode(),
    "\u0800.md".encode(),  # sorts after b"\x80.md" as bytes, before it as text
    b"\x80.md",  # not UTF-8: a surrogate escape as text
    b"\x80",
    b"caf\xe9.md",  # Latin-1
    "x.mar\u212adown".encode(),  # the Kelvin sign lowers to "k": a post name as text
    b"\xe2\x84\xaa",  # the Kelvin sign alone, a folder name
]
"""Names the trees are built of (as bytes: some are not UTF-8)."""

KINDS = ("file", "folder", "hard link", "link", "broken link", "self link", "fifo")

steps = some.lists(
    some.tuples(
        some.sampled_from(KINDS),
        some.integers(0, 20),  # the folder
        some.integers(0, len(NAMES) - 1),  # the name
        some.integers(0, 40),  # the target (links)
        some.binary(max_size=3),  # the content (files)
    ),
    max_size=30,
)


def build(root: bytes, plan: list[tuple[str, int, int, int, bytes]]) -> list[bytes]:
    """Make the tree ``plan`` describes below ``root``; the paths made, in order."""
    folders = [root]
    made: list[bytes] = [root]
    for kind, where, name, target, content in plan:
        parent = folders[where % len(folders)]
        path = os.path.join(parent, NAMES[name])
        if os.path.lexists(path):
            continue
        aim = made[target % len(made)]
        if kind == "file":
            Path(os.fsdecode(path)).write_bytes(content)
        elif kind == "folder":
            os.mkdir(path)
            folders.append(path)
        elif kind == "hard link":
            if not os.path.isfile(aim) or os.path.islink(aim):
                continue
            os.link(aim, path)
        elif kind == "link":
            os.symlink(aim, path)
        elif kind == "broken link":
            os.symlink(os.path.join(root, b"nowhere.md"), path)
        elif kind == "self link":
            os.symlink(path, path)
        else:
            os.mkfifo(path)
        made.append(path)
    return made


def same_scans(roots: list[str]) -> None:
    reference_calls: list[int] = []
    calls: list[int] = []
    expected = reference_scan(roots, lambda files: reference_calls.append(len(files)))
    found = scan(roots, on_folder=lambda files: calls.append(len(files)))
    assert found == expected
    assert calls == reference_calls
    assert scan(roots) == expected


@posix_only
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=steps, extra_root=some.integers(0, 40))
def test_the_walk_equals_the_reference(
    plan: list[tuple[str, int, int, int, bytes]], extra_root: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(os.fsencode(tmp), b"corpus")
        os.mkdir(root)
        made = build(root, plan)
        same_scans([os.fsdecode(root)])
        # A second root: a folder below the first, a file, a link (found again or not).
        second = made[extra_root % len(made)]
        if os.path.exists(second):
            same_scans([os.fsdecode(root), os.fsdecode(second)])
            same_scans([os.fsdecode(second), os.fsdecode(root)])


@posix_only
def test_names_that_sort_otherwise_as_bytes(tmp_path: Path) -> None:
    """Not UTF-8 (a byte that decodes to a surrogate) next to names that are."""
    root = os.fsencode(tmp_path)
    for name in (b"\x80.md", "\u0800.md".encode(), b"\x80", "\u0800".encode(), b"b.md"):
        if name.endswith(b".md"):
            Path(os.fsdecode(os.path.join(root, name))).write_text("x")
        else:
            os.mkdir(os.path.join(root, name))
            Path(os.fsdecode(os.path.join(root, name, b"in.md"))).write_text("y")
    rels = [f.rel_path for f in scan([tmp_path]).files]
    high = os.fsdecode(b"\x80")  # "\udc80": after U+0800 as text, before it as bytes
    assert rels == ["b.md", "\u0800/in.md", "\u0800.md", f"{high}/in.md", f"{high}.md"]
    same_scans([str(tmp_path)])


@posix_only
def test_a_folder_name_that_sorts_otherwise_as_bytes(tmp_path: Path) -> None:
    """The post names are UTF-8, a folder's name is not: the order is still the text's."""
    (tmp_path / "\u0800.md").write_text("x")
    folder = os.path.join(os.fsencode(tmp_path), b"\x80")
    os.mkdir(folder)
    Path(os.fsdecode(os.path.join(folder, b"in.md"))).write_text("y")
    rels = [f.rel_path for f in scan([tmp_path]).files]
    assert rels == ["\u0800.md", os.fsdecode(b"\x80") + "/in.md"]
    same_scans([str(tmp_path)])


@posix_only
def test_a_file_on_another_device_in_a_folder(tmp_path: Path) -> None:
    """A link to a file on another file system: listed with its own device's numbers."""
    other_root = "/dev/shm"
    if not os.path.isdir(other_root) or os.stat(other_root).st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second file system to link to")
    with tempfile.TemporaryDirectory(dir=other_root) as other:
        for n in range(3):
            (tmp_path / f"{n}.md").write_text(str(n))
        (Path(other) / "far.md").write_text("far")
        (tmp_path / "1b.md").symlink_to(Path(other) / "far.md")
        (tmp_path / "1c.md").symlink_to(Path(other) / "far.md")  # the same file again
        same_scans([str(tmp_path)])
        assert [f.rel_path for f in scan([tmp_path]).files] == ["0.md", "1.md", "1b.md", "2.md"]


@posix_only
def test_many_files_in_runs_between_folders(tmp_path: Path) -> None:
    """Files before, between and after folders, listed in name order with them."""
    for name in ("a", "m", "z"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "in.md").write_text(name)
    for n in range(30):
        (tmp_path / f"{n:02d}.md").write_text("x" * n)
        (tmp_path / f"n{n:02d}.md").write_text("y" * n)
    (tmp_path / "m" / "hard.md").hardlink_to(tmp_path / "n05.md")  # found first in m/
    rels = [f.rel_path for f in scan([tmp_path]).files]
    assert rels[:30] == [f"{n:02d}.md" for n in range(30)]
    assert rels[30:33] == ["a/in.md", "m/hard.md", "m/in.md"]
    assert "n05.md" not in rels and rels[-1] == "z/in.md"
    same_scans([str(tmp_path)])


@pytest.mark.skipif(sys.platform != "linux", reason="Linux file names are bytes")
def test_a_folder_whose_listing_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "gone").mkdir()
    (tmp_path / "gone" / "a.md").write_text("x")
    (tmp_path / "b.md").write_text("x")
    real = os.listdir

    def listdir(path: bytes) -> list[bytes]:
        if os.fsdecode(path).endswith("gone"):
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        return real(path)

    monkeypatch.setattr("tui.corpus.scan.os.listdir", listdir)
    found = scan([tmp_path])
    assert [f.rel_path for f in found.files] == ["b.md"]
    [problem] = found.problems
    assert problem.path == str(tmp_path / "gone") and "cannot be read" in problem.reason
