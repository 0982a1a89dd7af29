"""make_post builds the same frozen Post as Post(...), only faster."""

from __future__ import annotations

import dataclasses
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


def test_same_post_as_the_dataclass() -> None:
    assert records.make_post is not Post  # the fast builder is in use
    fast = records.make_post(**FIELDS)
    slow = Post(**FIELDS)  # type: ignore[arg-type]
    assert type(fast) is Post
    assert fast == slow and hash(fast) == hash(slow)
    assert records.make_post(*FIELDS.values()) == slow
    assert dataclasses.replace(fast, title="U").title == "U"


def test_still_frozen() -> None:
    post = records.make_post(**FIELDS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        post.title = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del post.title


def test_builder_knows_every_field() -> None:
    assert records._builder_matches()
