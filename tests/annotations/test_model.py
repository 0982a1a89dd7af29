"""The model round-trips through its document form and rejects malformed documents."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from annotations.model import (
    Annotation,
    AnnotationId,
    InvalidDocument,
    PostSnapshot,
    clean_tags,
)
from tests.annotations.helpers import snapshot, target


def _annotation() -> Annotation:
    return Annotation(
        id=AnnotationId("6c1f1b8e-5a7c-4d1e-9a55-1f0c7a0d2b11"),
        post=snapshot(),
        target=target(),
        note="一条笔记",
        tags=("a", "b"),
        color="green",
        created="2024-01-01T00:00:00.000Z",
        updated="2024-01-02T00:00:00.000Z",
    )


def test_round_trip() -> None:
    ann = _annotation()
    assert Annotation.from_doc(ann.to_doc()) == ann
    assert ann.has_note


def test_blank_note_is_not_a_note() -> None:
    doc = _annotation().to_doc()
    doc["note"] = "  \n"
    assert not Annotation.from_doc(doc).has_note


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        (("id",), None, "id"),
        (("note",), 3, "note"),
        (("tags",), "x", "tags"),
        (("tags",), [1], "tags"),
        (("target",), None, "target"),
        (("target", "start"), "1", "start"),
        (("target", "start"), True, "start"),
        (("target", "end"), -5, "offsets"),
        (("target", "exact"), "", "exact"),
        (("post",), [], "post"),
        (("post", "title"), None, "title"),
        (("schema",), 2, "schema"),
    ],
)
def test_malformed_documents_are_rejected_with_a_reason(
    path: tuple[str, ...], value: Any, words: str
) -> None:
    doc = copy.deepcopy(_annotation().to_doc())
    holder = doc
    for key in path[:-1]:
        holder = holder[key]
    if value is None:
        del holder[path[-1]]
    else:
        holder[path[-1]] = value
    with pytest.raises(InvalidDocument) as info:
        Annotation.from_doc(doc)
    message = str(info.value)
    assert words in message
    assert message.endswith(".") and "\n" not in message


def test_document_that_is_not_an_object() -> None:
    with pytest.raises(InvalidDocument, match="not an object"):
        Annotation.from_doc(["x"])


def test_snapshot_from_post_like() -> None:
    class FakePost:
        id = "abcabcabcabc"
        path = "/p.md"
        title = "T"
        source = None
        author = "A"
        date = datetime(2023, 10, 26, 22, 57, 12, tzinfo=UTC)
        tags = ("x",)

    snap = PostSnapshot.from_post(FakePost())
    assert snap.date == "2023-10-26T22:57:12.000Z"
    assert snap.tags == ("x",)


@pytest.mark.parametrize(
    ("typed", "tags"),
    [
        (["quiet", " night ", "", "Quiet"], ("quiet", "night")),
        (["#food", "#话题#", "##", " # 夏天 "], ("food", "话题", "夏天")),
        (["C#", "a  b", "#C#"], ("C#", "a b", "C")),
    ],
)
def test_tags_are_cleaned_as_the_user_means_them(typed: list[str], tags: tuple[str, ...]) -> None:
    """A ``#`` typed out of hashtag habit is not part of the tag (it showed ``##food``, and
    ``hl-tag:food`` did not find it)."""
    assert clean_tags(typed) == tags
