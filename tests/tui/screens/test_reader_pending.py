"""A new highlight is current before the store answers: keys typed at once act on it.

The store's ``create`` is held back by a gate here, so ``e`` (or ``t``, ``c``...) is
pressed while the highlight is still being written: the case a fast typist (or keys
arriving in one read over ssh) hits when the disk is slow.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from annotations.model import Annotation
from annotations.store import AnnotationStore, StoreError
from tests.tui.screens.test_reader_support import reader_app, settle
from tui.corpus.model import Post
from tui.drafts import DraftStore
from tui.screens.note_editor import NoteEditor
from tui.screens.reader import ReaderScreen


class Gate:
    """Holds ``store.create`` until opened; records the order of store writes."""

    def __init__(self, store: AnnotationStore, *, fail: bool = False) -> None:
        self.opened = threading.Event()
        self.writes: list[str] = []
        create, update = store.create, store.update

        def held_create(*args: Any, **kwargs: Any) -> Annotation:
            self.opened.wait(10)
            self.writes.append("create")
            if fail:
                raise StoreError("the disk is full")
            return create(*args, **kwargs)

        def recorded_update(*args: Any, **kwargs: Any) -> Annotation:
            self.writes.append("update " + ",".join(sorted(kwargs)))
            return update(*args, **kwargs)

        store.create = held_create  # type: ignore[method-assign]
        store.update = recorded_update  # type: ignore[method-assign]


@pytest.fixture
def gate(store: AnnotationStore) -> Iterator[Gate]:
    held = Gate(store)
    yield held
    held.opened.set()  # never leave a worker thread waiting


async def test_e_right_after_saving_a_note_edits_the_new_note(
    river: Post, store: AnnotationStore, drafts: DraftStore, gate: Gate
) -> None:
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        # n, type, ctrl+s, then e at once: the store has not answered yet.
        await pilot.press("v", "down", "n", *"calm water", "ctrl+s", "e")
        assert store.for_post(river.id) == [], "the create is still held"
        editor = app.screen
        assert isinstance(editor, NoteEditor)
        assert editor.text == "calm water"
        assert editor._quote == "Lights move on the water."  # the new highlight's
        await pilot.press("end", *" at dusk", "ctrl+s")
        assert "at dusk" in str(reader.query_one("#reader-note").render())
        gate.opened.set()
        await settle(pilot)
        [ann] = store.for_post(river.id)
        assert (ann.target.exact, ann.note) == ("Lights move on the water.", "calm water at dusk")
        assert gate.writes == ["create", "update note", "update note"], "written in order"
        assert reader.view.current == ann.id, "the stored highlight took the new one's place"
        assert [h.id for h in reader.view.highlights] == [ann.id]
        assert drafts.pending() == []
        assert app.changed, "the library hears about the new note"


async def test_h_then_colour_at_once_applies_to_the_new_highlight(
    river: Post, store: AnnotationStore, drafts: DraftStore, gate: Gate
) -> None:
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        await pilot.press("v", "h")
        current = reader.view.current
        assert current is not None, "current before the store answers"
        await pilot.press("c", "3")  # the colour dialog: 3 is blue
        await pilot.pause()
        assert [h.color for h in reader.view.highlights] == ["blue"]
        gate.opened.set()
        await settle(pilot)
        [ann] = store.for_post(river.id)
        assert (ann.target.exact, ann.color) == ("The river is dark at night.", "blue")
        assert reader.view.current == ann.id


async def test_a_highlight_that_cannot_be_saved_is_taken_back(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    gate = Gate(store, fail=True)
    gate.opened.set()
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        await pilot.press("v", "down", "n", *"kept", "ctrl+s")
        await settle(pilot)
        assert reader.view.highlights == []
        assert reader.view.current is None
        messages = [str(n.message) for n in app._notifications]
        assert any("not saved: the disk is full" in m for m in messages), messages
        assert any("kept as a draft" in m for m in messages), messages
        assert [d.text for d in drafts.pending()] == ["kept"], "the typed note is not lost"
    assert store.for_post(river.id) == []
