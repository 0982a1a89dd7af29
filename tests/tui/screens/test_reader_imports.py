"""Pilot tests of issue 13's flows: a highlight after its neighbour was corrected, an
imported Hypothesis annotation in its post, and the list of unplaced annotations."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.anchor import make_target
from annotations.import_formats import read_records
from annotations.importing import import_records
from annotations.model import PostSnapshot
from annotations.store import AnnotationStore
from tests.conftest import ROOT
from tests.tui.conftest import FIXED_POSTS
from tests.tui.screens.test_reader_support import ScreenApp, finder, reader_app, settle
from tui.corpus.model import Post
from tui.drafts import DraftStore
from tui.post_texts import PostTexts
from tui.screens.annotations_screen import AnnotationsScreen
from tui.screens.reader import ReaderScreen
from tui.screens.unplaced_screen import UnplacedScreen

QUOTE = "Lights move on the water."
CORRECTED = (
    FIXED_POSTS["2023-10-26-river.md"].partition("<div>")[0]
    + "<div><p>Correction: an earlier version of this essay placed the bridge upstream.</p>\n"
    + "<p>The river is dark at night. Lights move on the water. A few people, the neighbours\n"
    + "said, talked quietly on the bridge.</p>\n"
    + "<p>Later the rain comes. It washes the streets clean.</p></div>\n"
)
"""The river post, corrected: a new first paragraph, the sentence after the first two
reworded."""


def _import_hypothesis(store: AnnotationStore, corpus: list[Post]) -> None:
    raw = (ROOT / "tests" / "fixtures" / "imports" / "hypothesis.json").read_bytes()
    texts = PostTexts({post.id: post.path for post in corpus})
    summary = import_records(read_records(raw, "hypothesis"), corpus, store, texts)
    assert (summary.anchored, summary.unplaced) == (2, 1)


async def test_a_highlight_survives_a_correction_of_its_neighbour(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    """A new first paragraph, and the sentence after the highlight reworded."""
    text = (
        "The river is dark at night. Lights move on the water. Nobody speaks on the bridge."
        "\n\nLater the rain comes. It washes the streets clean."
    )
    quote = "The river is dark at night. Lights move on the water."
    target = make_target(text, 0, len(quote))
    ann = store.create(PostSnapshot.from_post(river), target)
    Path(river.path).write_text(CORRECTED, encoding="utf-8")
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReaderScreen) and screen.document is not None
        new_text = screen.document.text
        [highlight] = screen.view.highlights
        assert new_text[highlight.start : highlight.end] == quote
        assert screen.placed.orphans == []
        assert not screen.query_one("#reader-orphans").display
    saved = store.get(ann.id)  # found verbatim: offsets and context saved
    assert saved is not None and saved.target == make_target(
        new_text, highlight.start, highlight.end
    )


async def test_an_imported_hypothesis_annotation_is_shown_in_its_post(
    river: Post, corpus: list[Post], store: AnnotationStore, drafts: DraftStore
) -> None:
    _import_hypothesis(store, corpus)
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ReaderScreen) and screen.document is not None
        [highlight] = screen.view.highlights
        assert screen.document.text[highlight.start : highlight.end] == QUOTE
        assert highlight.has_note
        await pilot.press("right_square_bracket")
        await pilot.pause()
        bar = str(screen.query_one("#reader-note").render())
        assert "✎ The quiet *before* the rain." in bar and "#night #river" in bar


@pytest.fixture
def imported(store: AnnotationStore, corpus: list[Post]) -> AnnotationStore:
    _import_hypothesis(store, corpus)
    return store


async def test_the_unplaced_list(
    imported: AnnotationStore, corpus: list[Post], drafts: DraftStore
) -> None:
    app = ScreenApp(lambda: AnnotationsScreen(imported, finder(corpus)), drafts)
    async with app.run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AnnotationsScreen)
        status = str(screen.query_one("#annotations-status").render())
        assert "4 of 4 annotations · 1 orphan · 1 unplaced (u lists them)" in status
        index = [a.target.exact for a in screen.annotation_list.shown].index(
            "Read the same page twice, a week apart."
        )
        assert "unplaced: no post matches https://blog.example.net/2023/06/slow-reading/" in (
            screen.annotation_list.entry_text(index)
        )

        await pilot.press("slash", *"quote:LIGHTS", "enter")
        await pilot.pause()
        assert [a.target.exact for a in screen.annotation_list.shown] == [QUOTE]
        await pilot.press("slash", "ctrl+a", "ctrl+k", *"is:unplaced", "enter")
        await pilot.pause()
        assert [a.target.exact for a in screen.annotation_list.shown] == [
            "Read the same page twice, a week apart."
        ]

        await pilot.press("u")
        await pilot.pause()
        unplaced = app.screen
        assert isinstance(unplaced, UnplacedScreen)
        assert "1 imported annotation from 1 page match no post" in str(
            unplaced.query_one("#unplaced-title").render()
        )
        entry = unplaced.annotation_list.entry_text(0)
        assert "“Read the same page twice, a week apart.”" in entry
        assert "✎ Try this with the archive." in entry and "Slow reading, again" in entry
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
