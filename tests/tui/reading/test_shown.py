"""The open post's annotations as the reader shows them, ahead of the store."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from annotations.anchor import make_target
from annotations.store import AnnotationStore
from tui.corpus.model import Post, PostId
from tui.drafts import draft_key
from tui.reading.find import Matches
from tui.reading.shown import ShownAnnotations, draft_for, new_highlight, note_line

TEXT = "The river is dark at night. Lights move on the water.\n\nLater the rain comes."
POST = Post(
    PostId("0123456789ab"), "/corpus/river.md", "river.md", "River", None, "Ann", (), (), None
)


def _target(quote: str) -> tuple[int, int]:
    start = TEXT.index(quote)
    return start, start + len(quote)


def test_placing_splits_placed_and_orphans(tmp_path: Path) -> None:
    store = AnnotationStore(tmp_path / "annotations.json")
    here = new_highlight(POST, make_target(TEXT, *_target("Lights move on the water.")))
    gone = new_highlight(POST, make_target("Something else entirely, deleted since.", 0, 9))
    for ann in (here, gone):
        store.create(ann.post, ann.target, ann_id=ann.id)
    shown = ShownAnnotations.placed(TEXT, store.for_post(POST.id), store)
    assert list(shown.annotations) == [here.id]
    assert shown.spans[here.id] == _target("Lights move on the water.")
    assert [a.id for a in shown.orphans] == [gone.id]


def test_a_new_highlight_is_shown_and_edits_made_before_the_store_answers_are_kept() -> None:
    shown = ShownAnnotations()
    ann = new_highlight(POST, make_target(TEXT, *_target("Later the rain comes.")))
    shown.add(ann)
    assert shown.spans[ann.id] == _target("Later the rain comes.")
    assert shown.change(ann.id, note="wet", color="blue")
    stored = ann  # what the store answers for the create: the note not written yet
    assert shown.created(stored)
    assert (shown.annotations[ann.id].note, shown.annotations[ann.id].color) == ("wet", "blue")
    assert not shown.change("no such id", note="x")


def test_an_answer_for_a_deleted_highlight_is_dropped() -> None:
    shown = ShownAnnotations()
    ann = new_highlight(POST, make_target(TEXT, *_target("Later the rain comes.")))
    shown.add(ann)
    shown.remove(ann.id)
    assert not shown.created(ann) and not shown.saved(ann)
    assert shown.annotations == {} and shown.spans == {}


def test_later_placing_keeps_highlights_made_meanwhile() -> None:
    made = ShownAnnotations()
    ann = new_highlight(POST, make_target(TEXT, *_target("Later the rain comes.")))
    made.add(ann)
    placed = ShownAnnotations()
    placed.keep(made)
    assert placed.annotations == {ann.id: ann} and ann.id in placed.spans


def test_a_draft_finds_its_highlight_by_id_else_by_place() -> None:
    shown = ShownAnnotations()
    target = make_target(TEXT, *_target("Lights move on the water."))
    ann = new_highlight(POST, target)
    shown.add(ann)
    draft = draft_for(POST, ann, target)
    assert draft.key == draft_key(POST.id, ann.id, target.start, target.end)
    assert shown.for_draft(draft) is ann
    unsaved = draft_for(POST, None, target)  # typed before the highlight was stored
    assert unsaved.annotation_id is None and shown.for_draft(unsaved) is ann
    elsewhere = draft_for(POST, None, make_target(TEXT, *_target("Later the rain comes.")))
    assert shown.for_draft(elsewhere) is None


def test_the_line_under_the_post() -> None:
    matches = Matches()
    assert note_line((3, 4), None, matches)[0].startswith("1 character selected · h highlight")
    assert note_line(None, None, matches) == (
        "v select a sentence · ] [ highlights · / find · ? all keys",
        True,
    )
    assert note_line(None, None, matches, no_text=True)[0].startswith("this post has no text")
    matches.found([(0, 2), (5, 7)])
    assert note_line(None, None, matches)[0].startswith("match 1 of 2")
    ann = new_highlight(POST, make_target(TEXT, *_target("Later the rain comes.")))
    ann = dataclasses.replace(ann, note="wet\x1b[31m  streets", tags=("rain",), color="blue")
    assert note_line(None, ann, matches) == ("✎ wet[31m streets · #rain · blue", False)
    assert note_line(None, dataclasses.replace(ann, note="", tags=()), matches)[0] == (
        "highlight · blue"
    )


def test_highlights_and_the_orphans_notice() -> None:
    shown = ShownAnnotations()
    assert shown.orphan_notice() is None
    ann = new_highlight(POST, make_target(TEXT, *_target("Later the rain comes.")))
    shown.add(ann)
    shown.orphans.append(ann)
    [painted] = shown.highlights()
    assert (painted.id, painted.start, painted.end) == (ann.id, *_target("Later the rain comes."))
    assert shown.orphan_notice() == (
        "1 highlight could not be placed in this text: see the annotations screen."
    )
