"""The note editor keeps typed text as a draft; the next run offers it back."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.store import AnnotationStore
from tests.tui.conftest import FIXED_POSTS, MakeTestApp, write_posts
from tests.tui.screens.test_reader_support import load_posts, post_named, reader_app, settle
from tests.tui.widgets.test_ordered_keys import arrive_together
from tui.drafts import DraftStore, draft_key
from tui.screens.confirm import ConfirmScreen
from tui.screens.note_editor import NoteEditor
from tui.screens.reader import ReaderScreen
from tui.widgets.ordered_keys import UNASKED_READ_S


async def test_typed_note_survives_a_crash_and_is_offered_back(
    make_test_app: MakeTestApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.screens.note_editor.DRAFT_DELAY", 0.05)
    folder = write_posts(tmp_path / "posts", FIXED_POSTS)
    store_path = tmp_path / "store.json"
    app = make_test_app(paths=[folder], store=store_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # the newest post: "The river at night"
        await settle(pilot)
        await pilot.press("v", "n", *"half a thought")
        assert isinstance(app.screen, NoteEditor)
        await pilot.pause(0.2)  # the draft is written after a pause in typing
        await settle(pilot)
        [draft] = DraftStore().pending()
        assert (draft.text, draft.quote) == ("half a thought", "The river is dark at night.")
        # "Crash": the app goes away without the note being saved.
    assert [a.note for a in AnnotationStore(store_path).all()] == [""]

    app = make_test_app(paths=[folder], store=store_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.pause(UNASKED_READ_S)  # read before answered (see UnaskedDialog)
        await pilot.press("enter")  # Restore is the default button
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, NoteEditor)
        assert editor.text == "half a thought"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
    assert [a.note for a in AnnotationStore(store_path).all()] == ["half a thought"]
    assert DraftStore().pending() == []


async def test_draft_of_unsaved_highlight_recreates_it(tmp_path: Path) -> None:
    corpus = load_posts(write_posts(tmp_path / "posts", FIXED_POSTS))
    river = post_named(corpus, "2023-10-26-river.md")
    store = AnnotationStore(tmp_path / "annotations.json")
    drafts = DraftStore(tmp_path / "drafts.json")
    quote = "Lights move on the water."
    draft = drafts.save(
        draft_key(river.id, start=28, end=53),
        "lost note",
        post_id=river.id,
        start=28,
        end=53,
        quote=quote,
        title=river.title,
    )
    app = reader_app(river, store, drafts, resume_draft=draft)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, NoteEditor)
        assert app.screen.text == "lost note"
        await pilot.press("ctrl+s")
        await settle(pilot)
    [ann] = store.for_post(river.id)
    assert (ann.target.exact, ann.note) == (quote, "lost note")
    assert DraftStore(tmp_path / "drafts.json").pending() == []


async def test_escape_on_a_restored_draft_asks_first(tmp_path: Path) -> None:
    corpus = load_posts(write_posts(tmp_path / "posts", FIXED_POSTS))
    river = post_named(corpus, "2023-10-26-river.md")
    store = AnnotationStore(tmp_path / "annotations.json")
    drafts = DraftStore(tmp_path / "drafts.json")
    draft = drafts.save(
        draft_key(river.id, start=0, end=27),
        "keep me",
        post_id=river.id,
        start=0,
        end=27,
        quote="The river is dark at night.",
    )
    app = reader_app(river, store, drafts, resume_draft=draft)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert isinstance(app.screen, NoteEditor)
        assert app.screen.text == "keep me"


async def test_flush_pending_writes_the_draft_at_once(tmp_path: Path) -> None:
    corpus = load_posts(write_posts(tmp_path / "posts", FIXED_POSTS))
    river = post_named(corpus, "2023-10-26-river.md")
    store = AnnotationStore(tmp_path / "annotations.json")
    drafts_path = tmp_path / "drafts.json"
    app = reader_app(river, store, DraftStore(drafts_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("v", "n", *"x y")
        editor = app.screen
        assert isinstance(editor, NoteEditor)
        editor.flush_pending()  # what tui.lifecycle calls on SIGHUP/SIGTERM
        assert [d.text for d in DraftStore(drafts_path).pending()] == ["x y"]


async def test_a_note_typed_in_one_read_is_saved_as_typed(
    make_test_app: MakeTestApp, tmp_path: Path
) -> None:
    """Over a slow link the keys come together: backspace and the arrows act where typed."""
    folder = write_posts(tmp_path / "posts", FIXED_POSTS)
    store_path = tmp_path / "store.json"
    app = make_test_app(paths=[folder], store=store_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # the newest post: "The river at night"
        await settle(pilot)
        await pilot.press("v", "n")
        editor = app.screen
        assert isinstance(editor, NoteEditor)
        await arrive_together(pilot, *"dark", "backspace", "backspace", "left", "e")
        assert editor.text == "dea"
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert [a.note for a in AnnotationStore(store_path).all()] == ["dea"]
