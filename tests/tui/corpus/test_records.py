"""post_from_row builds the same immutable Post as Post(...), from a row of fields."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tui.corpus import records
from tui.corpus.model import Post, PostId

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


def test_same_post_as_the_constructor() -> None:
    fast = records.post_from_row(tuple(FIELDS.values()))
    slow = Post(**FIELDS)  # type: ignore[arg-type]
    assert type(fast) is Post
    assert fast == slow and hash(fast) == hash(slow)
    assert fast.title == "T" and fast.encoding == "utf-8"
    assert fast._replace(title="U").title == "U"


def test_row_order_is_the_field_order() -> None:
    assert tuple(FIELDS) == Post._fields


def test_immutable() -> None:
    post = records.make_post(**FIELDS)
    with pytest.raises(AttributeError):
        post.title = "changed"  # type: ignore[misc]
