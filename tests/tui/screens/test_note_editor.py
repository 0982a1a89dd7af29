"""The note editor keeps typed text as a draft; a new run offers it back."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from textual.app import App

from annotations.store import AnnotationStore
from tests.conftest import ROOT
from tests.tui.conftest import FIXED_POSTS, write_posts
from tests.tui.screens.test_reader_support import load_posts, post_named, reader_app, settle
from tui.corpus.model import Post
from tui.drafts import Draft, DraftStore, draft_key
from tui.screens.confirm import ConfirmScreen
from tui.screens.note_editor import NoteEditor
from tui.screens.reader import ReaderScreen, offer_drafts


class OfferApp(App[None]):
    """Offers the pending drafts on start, as PostilApp does after loading."""

    CSS_PATH = [ROOT / "tui" / "reader.tcss"]

    def __init__(self, drafts: DraftStore, posts: Sequence[Post], store: AnnotationStore) -> None:
        super().__init__()
        self.drafts = drafts
        self._posts = posts
        self._store = store

    def on_mount(self) -> None:
        offer_drafts(self, self.drafts, self._posts, self._store)


async def test_typed_note_survives_a_crash_and_is_offered_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.screens.note_editor.DRAFT_DELAY", 0.05)
    corpus = load_posts(write_posts(tmp_path / "posts", FIXED_POSTS))
    river = post_named(corpus, "2023-10-26-river.md")
    store = AnnotationStore(tmp_path / "annotations.json")
    drafts_path = tmp_path / "drafts.json"
    app = reader_app(river, store, DraftStore(drafts_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("v", "n", *"half a thought")
        assert isinstance(app.screen, NoteEditor)
        await pilot.pause(0.2)  # the draft is written after a pause in typing
        await settle(pilot)
        [draft] = DraftStore(drafts_path).pending()
        assert draft.text == "half a thought"
        assert draft.quote == "The river is dark at night."
        # "Crash": the app goes away without the note being saved.
    assert [a.note for a in store.for_post(river.id)] == [""]

    app2 = OfferApp(DraftStore(drafts_path), corpus.posts, store)
    async with app2.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app2.screen, ConfirmScreen)
        assert "half a thought" not in app2.screen.question  # only its length is shown
        await pilot.press("enter")  # Restore is the default button
        await settle(pilot)
        editor = app2.screen
        assert isinstance(editor, NoteEditor)
        assert editor.text == "half a thought"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app2.screen, ReaderScreen)
    [ann] = store.for_post(river.id)
    assert ann.note == "half a thought"
    assert DraftStore(drafts_path).pending() == []


async def test_draft_of_unsaved_highlight_recreates_it(tmp_path: Path) -> None:
    corpus = load_posts(write_posts(tmp_path / "posts", FIXED_POSTS))
    river = post_named(corpus, "2023-10-26-river.md")
    store = AnnotationStore(tmp_path / "annotations.json")
    drafts = DraftStore(tmp_path / "drafts.json")
    quote = "Lights move on the water."
    drafts.save(
        draft_key(river.id, start=28, end=53),
        "lost note",
        post_id=river.id,
        start=28,
        end=53,
        quote=quote,
        title=river.title,
    )
    app = OfferApp(drafts, corpus.posts, store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, NoteEditor)
        await pilot.press("ctrl+s")
        await settle(pilot)
    [ann] = store.for_post(river.id)
    assert (ann.target.exact, ann.note) == (quote, "lost note")


async def test_discarding_the_offer_deletes_the_draft(tmp_path: Path) -> None:
    corpus = load_posts(write_posts(tmp_path / "posts", FIXED_POSTS))
    river = post_named(corpus, "2023-10-26-river.md")
    store = AnnotationStore(tmp_path / "annotations.json")
    drafts = DraftStore(tmp_path / "drafts.json")
    drafts.update(Draft(key="k", post_id=river.id, text="gone", start=0, end=5, quote="The r"))
    drafts.flush()
    app = OfferApp(drafts, corpus.posts, store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await settle(pilot)
    assert DraftStore(tmp_path / "drafts.json").pending() == []
    assert store.all() == []


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
