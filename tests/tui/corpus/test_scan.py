"""Scanning corpus folders: suffixes, hidden folders, links, loops, duplicates."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.tui.corpus.scanning import scan
from tui.corpus.scan import MissingPath


def touch(path: Path, text: str = "---\ntitle: t\n---\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def rels(root: Path) -> list[str]:
    return [f.rel_path for f in scan([root]).files]


def test_suffixes_recursion_and_hidden_folders(tmp_path: Path) -> None:
    for name in ("a.md", "b.MARKDOWN", "c.html", "d.htm", "e.txt", "sub/f.md", ".git/g.md"):
        touch(tmp_path / name)
    touch(tmp_path / "sub/deeper/h.md")
    assert rels(tmp_path) == [
        "a.md",
        "b.MARKDOWN",
        "c.html",
        "d.htm",
        "sub/deeper/h.md",
        "sub/f.md",
    ]


def test_entry_fields(tmp_path: Path) -> None:
    path = touch(tmp_path / "a.md", "12345")
    [entry] = scan([tmp_path]).files
    assert entry.path == str(path) and os.path.isabs(entry.path)
    assert entry.size == 5 and entry.mtime_ns == path.stat().st_mtime_ns


def test_single_file_root_taken_whatever_its_suffix(tmp_path: Path) -> None:
    path = touch(tmp_path / "notes.txt")
    result = scan([path])
    assert [f.rel_path for f in result.files] == ["notes.txt"]
    assert result.roots == [str(path)]


def test_missing_root_raises(tmp_path: Path) -> None:
    with pytest.raises(MissingPath, match="no file or folder named"):
        scan([tmp_path / "nope"])


def test_symlink_loop_to_ancestor_is_reported(tmp_path: Path) -> None:
    touch(tmp_path / "sub/a.md")
    (tmp_path / "sub/back").symlink_to(tmp_path)
    result = scan([tmp_path])
    assert [f.rel_path for f in result.files] == ["sub/a.md"]
    [problem] = result.problems
    assert problem.kind == "loop" and problem.path == str(tmp_path / "sub/back")


def test_self_referencing_links_are_loops(tmp_path: Path) -> None:
    (tmp_path / "x.md").symlink_to(tmp_path / "y.md")
    (tmp_path / "y.md").symlink_to(tmp_path / "x.md")
    (tmp_path / "selfdir").symlink_to(tmp_path / "selfdir")
    result = scan([tmp_path])
    assert result.files == []
    assert sorted(p.kind for p in result.problems) == ["loop", "loop", "loop"]


def test_files_reached_twice_are_listed_once(tmp_path: Path) -> None:
    touch(tmp_path / "real/a.md")
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    (tmp_path / "b.md").symlink_to(tmp_path / "real/a.md")
    result = scan([tmp_path, tmp_path / "real"])
    assert [f.rel_path for f in result.files] == ["alias/a.md"]
    assert result.problems == []


def test_broken_link_is_reported(tmp_path: Path) -> None:
    (tmp_path / "gone.md").symlink_to(tmp_path / "missing.md")
    [problem] = scan([tmp_path]).problems
    assert problem.kind == "unreadable" and "does not exist" in problem.reason


def test_unreadable_folder_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(tmp_path / "locked/a.md")
    real_listdir, real_open = os.listdir, os.open

    def listdir(path: bytes) -> list[bytes]:
        if os.fsdecode(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", path)
        return real_listdir(path)

    def open_(path: str, flags: int, *args: int) -> int:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, *args)

    # Folders are opened (os.open, for the files' stat()) and listed (os.listdir).
    monkeypatch.setattr("tui.corpus.scan.os.listdir", listdir)
    monkeypatch.setattr("tui.corpus.scan.os.open", open_)
    result = scan([tmp_path])
    assert result.files == []
    [problem] = result.problems
    assert problem.kind == "unreadable" and "permission denied" in problem.reason
