"""Post: post_from_row builds the same immutable Post as Post(...), from a row of fields."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from datetime import UTC, datetime

import pytest

from tui.corpus.model import ROW_FIELDS, Post, PostId, post_from_row

FIELDS = dict(
    id=PostId("0123456789ab"),
    path="/a/b.md",
    rel_path="b.md",
    title="T",
    date=datetime(2020, 1, 2, tzinfo=UTC),
    author="A",
    tags=("x", "y"),
    categories=("c",),
    source="https://example.com/",
    extras=(("layout", "post"),),
    size=10,
    mtime_ns=20,
    encoding="utf-8",
)


def _row() -> tuple[object, ...]:
    """FIELDS as a stored row: rel_path becomes where it starts in path."""
    return tuple(3 if name == "rel_path" else value for name, value in FIELDS.items())


def test_same_post_as_the_constructor() -> None:
    fast = post_from_row(_row())
    slow = Post(**FIELDS)  # type: ignore[arg-type]
    assert type(fast) is Post
    assert fast == slow and hash(fast) == hash(slow)
    assert fast.title == "T" and fast.encoding == "utf-8" and fast.rel_path == "b.md"
    assert dataclasses.replace(fast, title="U").title == "U"
    assert type(dataclasses.replace(fast, title="U")) is Post


def test_row_order_is_the_field_order() -> None:
    assert tuple("rel_start" if k == "rel_path" else k for k in FIELDS) == ROW_FIELDS
    assert tuple(FIELDS) == tuple(f.name for f in dataclasses.fields(Post))


def test_rel_path_must_end_the_path() -> None:
    with pytest.raises(ValueError, match="does not end with"):
        Post(**{**FIELDS, "rel_path": "c.md"})  # type: ignore[arg-type]


def test_pickles_and_copies_as_itself() -> None:
    post = Post(**FIELDS)  # type: ignore[arg-type]
    assert pickle.loads(pickle.dumps(post)) == post
    assert copy.deepcopy(post) == post and copy.copy(post).rel_path == "b.md"


def test_immutable() -> None:
    post = Post(**FIELDS)  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        post.title = "changed"  # type: ignore[misc]
