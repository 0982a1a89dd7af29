"""The reader's first frame: it already shows the post, and nothing is left switched off."""

from __future__ import annotations

import gc
import re
from pathlib import Path
from typing import Any

import pytest
from textual._compositor import CompositorUpdate
from textual.app import App

from annotations.store import AnnotationStore
from tests.tui.conftest import write_posts
from tests.tui.screens.test_reader_support import load_posts, reader_app, settle
from tui.corpus.model import Post
from tui.drafts import DraftStore
from tui.screens.reader import ReaderScreen

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


async def test_first_reader_frame_shows_the_body(
    river: Post, store: AnnotationStore, drafts: DraftStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames: list[str] = []
    display = App._display

    def recording(self: App[Any], screen: Any, renderable: Any) -> None:
        if isinstance(screen, ReaderScreen) and isinstance(renderable, CompositorUpdate):
            frames.append(ANSI.sub("", renderable.render_segments(self.console)))
        display(self, screen, renderable)

    monkeypatch.setattr(App, "_display", recording)
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert frames
        # The very first frame of the reader: header and body together, no empty reader.
        assert "The river at night" in frames[0]
        assert "The river is dark at night." in frames[0]
        assert store.reading(river.id).is_read


async def test_collector_back_on_after_open(
    river: Post, store: AnnotationStore, drafts: DraftStore
) -> None:
    assert gc.isenabled()
    app = reader_app(river, store, drafts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert gc.isenabled()
        await pilot.press("escape")
        await settle(pilot)
    assert gc.isenabled()


async def test_collector_back_on_after_a_failed_load(
    tmp_path: Path, store: AnnotationStore, drafts: DraftStore
) -> None:
    folder = write_posts(tmp_path / "gone", {"gone.md": "---\ntitle: Gone\n---\n<p>Gone.</p>\n"})
    post = load_posts(folder)[0]
    Path(post.path).unlink()
    app = reader_app(post, store, drafts)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert gc.isenabled()
        notes = [str(n.message) for n in app._notifications]
        assert sum("could not be read" in n for n in notes) == 1  # reported once
