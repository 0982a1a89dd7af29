"""The app's read side of the index: what it counts and lists follows what the indexing
process writes, from whichever thread asks."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.tui.conftest import FIXED_POSTS, write_posts
from tui.corpus.index import CorpusIndex
from tui.corpus.index.library import Library


def test_the_count_and_the_list_follow_the_index(tmp_path: Path) -> None:
    folder = write_posts(tmp_path / "posts", FIXED_POSTS)
    writer = CorpusIndex([folder])
    writer.sync(workers=1)
    library = Library([str(folder)])
    assert library.count() == len(FIXED_POSTS)
    assert library.count() == len(FIXED_POSTS)  # asked again: the same, unchanged
    (folder / "2030-01-01-new.md").write_text(
        "---\ntitle: Written later\ndate: 2030-01-01\n---\nx\n", encoding="utf-8"
    )
    writer.sync(workers=1)  # the indexing process (another connection) writes
    assert library.count() == len(FIXED_POSTS) + 1
    assert library.everything()[0].title == "Written later"


def test_threads_read_side_by_side(tmp_path: Path) -> None:
    """Workers each borrow a connection (a search in a thread of its own, many at once)."""
    folder = write_posts(tmp_path / "posts", FIXED_POSTS)
    CorpusIndex([folder]).sync(workers=1)
    library = Library([str(folder)])
    expected = [post.title for post in library.everything()]
    seen: list[list[str]] = []

    def read() -> None:
        for _ in range(20):
            seen.append([post.title for post in library.everything()])

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 80 and all(titles == expected for titles in seen)
