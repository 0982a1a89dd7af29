"""Where many annotations are, found a chunk of posts at a time (in worker processes):
the same placements as placing them one by one here."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.anchor import make_target
from annotations.model import PostSnapshot, Target
from annotations.placing import Placer
from annotations.store import AnnotationStore
from tests.tui.conftest import FIXED_POSTS, write_posts
from tests.tui.screens.test_reader_support import load_posts, post_named
from tui import post_texts
from tui.corpus import workers
from tui.post_texts import PostTexts, placeable


@pytest.mark.parametrize("method", [None, "fork"])
def test_found_in_chunks_as_placed_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str | None
) -> None:
    corpus = load_posts(write_posts(tmp_path / "posts", FIXED_POSTS))
    store = AnnotationStore(tmp_path / "annotations.json")
    texts = PostTexts({post.id: post.path for post in corpus})
    for name in ("2023-10-26-river.md", "2022-05-01-markup.md"):
        snapshot = PostSnapshot.from_post(post_named(corpus, name))
        text = texts(snapshot)
        assert text
        store.create(snapshot, make_target(text, 0, 12))
        store.create(snapshot, make_target(text, len(text) - 9, len(text)))
        store.create(snapshot, Target("Not in this post at all, anywhere.", "", "", 3, 37))
    gone = PostSnapshot("0123456789ab", str(tmp_path / "gone.md"), "Gone", None, "", None)
    store.create(gone, Target("a quote", "", "", 0, 7))
    unplaced = PostSnapshot("ba9876543210", "", "Imported", "https://x.example/", "", None)
    store.create(unplaced, Target("imported", "", "", 0, 8))
    anns = store.all()

    monkeypatch.setattr(post_texts, "TEXTS_CHUNK", 1)  # a chunk a post
    monkeypatch.setattr(workers, "_start_method", lambda: method)
    chunks = texts.locate_chunks(placeable(anns), pool_from=1)
    found = list(chunks)
    assert chunks.total == 3  # the two posts and the gone one; the unplaced has none
    assert len(found) == 3 and all(found)  # the gone post's first, then a post a chunk
    merged = {ann_id: where for chunk in found for ann_id, where in chunk.items()}
    assert merged == texts.locate_all(placeable(anns))
    one_by_one = [Placer(texts).place(ann) for ann in anns]
    assert [Placer(texts, found=merged).place(ann) for ann in anns] == one_by_one
    statuses = sorted(placed.status for placed in one_by_one)
    assert statuses == ["anchored"] * 4 + ["orphan"] * 3 + ["unplaced"]
