"""A large archive's walk in parts, side by side in worker processes: a sync gives the
index the whole walk gives, and a tree where two parts would meet the same file or
folder (a link, a hard link) is walked whole."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tui.corpus import scan
from tui.corpus.index import CorpusIndex
from tui.corpus.index import sync as sync_module

POST = "---\ntitle: {title}\ndate: 2021-0{month}-01\nfrom: {source}\n---\n<p>{title}</p>\n"


def write(path: Path, title: str, month: int = 1, source: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = POST.format(title=title, month=month, source=source or f"https://x.example/{title}")
    path.write_text(text, encoding="utf-8")


def make_tree(root: Path) -> None:
    """Files right in the root between its folders by name, nested folders, a hidden
    folder, a file that is not a post, a folder named like a post, a mirrored source, an
    unparsable post and links to nothing (problems of the walk)."""
    for name in ("a.md", "m.md", "z.md"):
        write(root / name, f"root {name}")
    write(root / "b" / "one.md", "b one")
    write(root / "b" / "two.md", "b two", source="https://x.example/same")
    write(root / "n" / "deep" / "three.md", "n deep three", 2)
    write(root / "n" / "four.md", "n four", 3, source="https://x.example/same")
    write(root / "x.md" / "five.md", "inside a folder named like a post", 4)
    write(root / "y" / "six.md", "y six", 5)
    write(root / ".git" / "seven.md", "hidden")
    (root / "y" / "picture.png").write_bytes(b"\x89PNG")
    (root / "n" / "broken.md").write_bytes(b"---\ntitle: [unclosed\n---\n")
    os.symlink(root / "nowhere.md", root / "n" / "dangling.md")
    os.symlink(root / "b" / "nowhere.md", root / "y" / "dangling.md")


def state(folder: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, split: bool) -> Any:
    """Sync ``folder`` into the index in ``cache``, split in parts or whole; the rows in
    key order, the folders' signatures and the walk's problems."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setattr(sync_module, "WALK_SPLIT_FROM", 0 if split else 10**9)
    monkeypatch.setattr(sync_module, "default_workers", lambda: 2)  # on one core too
    index = CorpusIndex([folder])
    try:
        report = index.sync(workers=1)
        rows = index.db.conn.execute(
            "SELECT key, path, id, base_id, title, size, mtime_ns, ino, grp FROM files ORDER BY key"
        ).fetchall()
        groups = index.db.conn.execute("SELECT grp, signature FROM groups ORDER BY grp").fetchall()
        problems = [(p.path, p.kind, p.reason) for p in report.walk_problems]
        return rows, groups, problems, (report.added, report.changed, report.removed)
    finally:
        index.close()


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the walks in parts that were used and the whole walks."""
    counts = {"parts": 0, "whole": 0}
    agree, whole = scan.parts_agree, scan.walk

    def counted_agree(parts: Any) -> bool:
        agreed = agree(parts)
        counts["parts"] += agreed
        return agreed

    def counted_walk(*args: Any) -> Any:
        counts["whole"] += 1
        return whole(*args)

    monkeypatch.setattr(sync_module, "parts_agree", counted_agree)
    monkeypatch.setattr(sync_module, "walk", counted_walk)
    return counts


def both(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    return (
        state(folder, tmp_path / "whole", monkeypatch, split=False),
        state(folder, tmp_path / "parts", monkeypatch, split=True),
    )


def test_split_root_cuts_the_folders_in_walk_order(tmp_path: Path) -> None:
    make_tree(tmp_path)
    root = str(tmp_path)
    assert scan.split_root(root, 2) == [
        [f"{root}/b", f"{root}/n"],
        [f"{root}/x.md", f"{root}/y"],
    ]
    assert scan.split_root(root, 5) is None  # four folders (the hidden one is skipped)
    os.symlink(tmp_path / "b", tmp_path / "c")
    assert scan.split_root(root, 2) is None  # a link among them: walked whole


def test_a_sync_in_parts_gives_the_index_of_the_whole_walk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, walks: dict[str, int]
) -> None:
    folder = tmp_path / "posts"
    make_tree(folder)
    first_whole, first_parts = both(folder, tmp_path, monkeypatch)
    assert first_parts == first_whole  # a first sync is walked whole (nothing recorded)
    assert len(first_whole[2]) == 2  # the links to nothing, in walk order
    # Edited, added, removed, moved to another folder, added right in the root.
    write(folder / "b" / "one.md", "b one, edited", 6)
    write(folder / "n" / "deep" / "eight.md", "n deep eight", 7)
    (folder / "y" / "six.md").unlink()
    (folder / "b" / "two.md").rename(folder / "y" / "two.md")
    write(folder / "c.md", "root c.md", 8)
    walks.update(parts=0, whole=0)
    second_whole, second_parts = both(folder, tmp_path, monkeypatch)
    assert walks == {"parts": 1, "whole": 1}
    assert second_parts == second_whole
    assert second_whole[3] == (2, 1, 1)  # two added (one a move), one edited, one removed
    walks.update(parts=0, whole=0)
    third_whole, third_parts = both(folder, tmp_path, monkeypatch)
    assert walks == {"parts": 1, "whole": 1}
    assert third_parts == third_whole and third_whole[3] == (0, 0, 0)


@pytest.mark.parametrize(
    "link", ["hard link across folders", "hard link to the root", "folder link"]
)
def test_parts_that_meet_the_same_file_or_folder_are_walked_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, walks: dict[str, int], link: str
) -> None:
    folder = tmp_path / "posts"
    make_tree(folder)
    both(folder, tmp_path, monkeypatch)
    if link == "hard link across folders":
        os.link(folder / "b" / "one.md", folder / "y" / "again.md")
    elif link == "hard link to the root":
        os.link(folder / "a.md", folder / "y" / "again.md")
    else:
        os.symlink(folder / "b", folder / "y" / "b-again")
    walks.update(parts=0, whole=0)
    whole, parts = both(folder, tmp_path, monkeypatch)
    assert walks == {"parts": 0, "whole": 2}  # tried in parts, then walked whole
    assert parts == whole
