"""The one placing policy: find, what is saved after a move, quote lookup, unplaced."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.anchor import make_target
from annotations.model import Annotation, AnnotationId, PostSnapshot, Target
from annotations.placing import Placer, find_quote, is_unplaced, locate, settled_target
from annotations.store import AnnotationExists, AnnotationStore

TEXT = (
    "The council met on Monday.\n\n"
    "The minutes show three votes against it. A fishing cooperative then offered to pay"
    " for the copper. The bell will be recast.\n\nWork starts in April."
)
QUOTE = "A fishing cooperative then offered to pay for the copper."
POST = PostSnapshot("0123456789ab", "/corpus/bell.md", "The bell", "https://x.example/b", "", None)


def _target(text: str = TEXT, quote: str = QUOTE) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


@pytest.fixture
def store(tmp_path: Path) -> AnnotationStore:
    return AnnotationStore(tmp_path / "annotations.json")


def test_a_verbatim_move_saves_new_offsets_and_context(store: AnnotationStore) -> None:
    ann = store.create(POST, make_target(TEXT, *_target()))
    edited = "Correction: the vote count was wrong in an earlier version.\n\n" + TEXT.replace(
        "three votes against it.", "three votes against it, and one abstention."
    )
    placed = Placer(lambda _: edited, store).place(ann)
    assert placed.status == "moved" and placed.span == _target(edited)
    stored = store.get(ann.id)
    assert stored is not None and stored.target == make_target(edited, *_target(edited))
    # Saved once: the next placing finds it at its stored place and writes nothing.
    again = Placer(lambda _: edited, store).place(stored)
    assert again.status == "anchored" and store.get(ann.id) == stored


def test_an_approximate_find_is_shown_but_nothing_is_saved(store: AnnotationStore) -> None:
    ann = store.create(POST, make_target(TEXT, *_target()))
    edited = TEXT.replace("then offered", "then  offered,")
    placed = Placer(lambda _: edited, store).place(ann)
    assert placed.is_placed and placed.status == "moved"
    assert store.get(ann.id) == ann  # the user's quote and original context kept


def test_settled_target_rule() -> None:
    target = make_target(TEXT, *_target())
    anchor, saved = locate(TEXT, target)
    assert anchor.status == "anchored" and saved is None  # nothing changed: nothing saved
    assert settled_target(TEXT, target, anchor) is None


def test_orphan_and_missing_text(store: AnnotationStore) -> None:
    ann = store.create(POST, make_target(TEXT, *_target()))
    assert Placer(lambda _: TEXT.replace(QUOTE, ""), store).place(ann).status == "orphan"
    assert Placer(lambda _: None, store).place(ann).status == "orphan"
    assert store.get(ann.id) == ann


def test_unplaced_annotations_are_never_searched() -> None:
    unplaced = PostSnapshot("u1", "", "A page never mirrored", "https://web.example/p", "", None)
    ann = _annotation(make_target(TEXT, *_target()), post=unplaced)
    asked: list[str] = []

    def texts(post: PostSnapshot) -> str:
        asked.append(post.id)
        return TEXT

    assert is_unplaced(ann)
    placed = Placer(texts).place(ann)
    assert placed.status == "unplaced" and placed.span is None and asked == []
    assert placed.as_json() == {"status": "unplaced", "start": None, "end": None}


def test_a_read_only_store_is_not_written(tmp_path: Path) -> None:
    path = tmp_path / "annotations.json"
    store = AnnotationStore(path)
    ann = store.create(POST, make_target(TEXT, *_target()))
    store.close()
    path.write_text("{broken", encoding="utf-8")
    broken = AnnotationStore(path)
    assert broken.read_only
    placed = Placer(lambda _: "New first line.\n\n" + TEXT, broken).place(ann)
    assert placed.status == "moved" and path.read_text(encoding="utf-8") == "{broken"


def test_find_quote_verbatim_then_with_whitespace_ignored() -> None:
    found = find_quote(TEXT, "The bell will be recast.")
    assert found is not None and TEXT[found.start : found.end] == "The bell will be recast."
    across = find_quote(TEXT, "recast.  Work starts")  # a paragraph break in the text
    assert across is not None and TEXT[across.start : across.end] == "recast.\n\nWork starts"
    several = find_quote(TEXT, "the")  # "then", "the copper": the first is taken
    assert several is not None and (several.start, several.count) == (TEXT.index("the"), 2)
    assert find_quote("原告起诉以后", "诉 以后") is not None
    assert find_quote(TEXT, "not in the text") is None


def test_create_takes_the_callers_id(store: AnnotationStore) -> None:
    target = make_target(TEXT, *_target())
    ann = store.create(POST, target, ann_id="5f2b8a9e-0000-4000-8000-000000000001")
    assert ann.id == "5f2b8a9e-0000-4000-8000-000000000001" and store.get(ann.id) == ann
    with pytest.raises(AnnotationExists):
        store.create(POST, target, ann_id=ann.id)
    assert len(store.all()) == 1
    kept = store.create(POST, target, created="2020-01-02T03:04:05.000Z")
    assert kept.created == kept.updated == "2020-01-02T03:04:05.000Z"


def _annotation(target: Target, post: PostSnapshot = POST) -> Annotation:
    return Annotation(AnnotationId("a1"), post, target, "", (), "yellow", "t", "t")
