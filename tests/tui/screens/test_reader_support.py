"""Helpers for the reader-side tests: a bare app that shows one screen, and waits.

The reader and annotations screens are tested in this small App rather than the whole
PostilApp, so their tests do not depend on the library screen; one test per flow also
runs through ``make_test_app`` where the real app is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.screen import Screen

from annotations.store import AnnotationStore
from tests.conftest import ROOT
from tests.corpus_posts import corpus_posts
from tui.corpus.model import Post
from tui.drafts import DraftStore
from tui.messages import AnnotationsChanged, ReadingChanged
from tui.widgets.ordered_keys import OrderedKeysApp


class ScreenApp(OrderedKeysApp[None]):
    """An app whose only job is to show one screen (built by ``factory``)."""

    CSS_PATH = [ROOT / "tui" / "reader.tcss"]

    def __init__(self, factory: Callable[[], Screen[None]], drafts: DraftStore) -> None:
        super().__init__()
        self._factory = factory
        self.drafts = drafts
        self.changed: list[str] = []
        """Post ids of the AnnotationsChanged messages received."""
        self.reading_changed: list[str] = []
        """Post ids of the ReadingChanged messages received."""

    def on_mount(self) -> None:
        self.push_screen(self._factory())

    def on_annotations_changed(self, event: AnnotationsChanged) -> None:
        self.changed.append(event.post_id)

    def on_reading_changed(self, event: ReadingChanged) -> None:
        self.reading_changed.append(event.post_id)


def load_posts(folder: Path) -> list[Post]:
    """The posts of a corpus folder, newest first."""
    return corpus_posts([folder])


def post_named(corpus: list[Post], file_name: str) -> Post:
    """The post whose file is ``file_name``."""
    return next(p for p in corpus if Path(p.path).name == file_name)


def finder(corpus: list[Post]) -> Callable[[str], Post | None]:
    """Look a post up by id, as the app's library does."""
    by_id: dict[str, Post] = {post.id: post for post in corpus}

    def find(post_id: str) -> Post | None:
        return by_id.get(post_id)

    return find


def reader_app(
    post: Post, store: AnnotationStore, drafts: DraftStore, **kwargs: object
) -> ScreenApp:
    """An app showing ``ReaderScreen(post, store, **kwargs)``."""
    from tui.screens.reader import ReaderScreen

    return ScreenApp(lambda: ReaderScreen(post, store, **kwargs), drafts)  # type: ignore[arg-type]


async def settle(pilot: Pilot[Any], rounds: int = 2, pause: float | None = None) -> None:
    """Wait for workers and the messages they post, until none is left (workers may
    start workers: the app's loading starts the indexing process, whose report starts a
    search)."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(pause)
    while any(not worker.is_finished for worker in pilot.app.workers):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(pause)


async def run_command(pilot: Pilot[Any], text: str) -> None:
    """Type ``text`` into the command palette and run its first match (the palette
    searches in a worker: it is given half a second before Enter)."""
    await pilot.press("ctrl+p", *text)
    await pilot.pause(0.5)
    await pilot.press("enter")
