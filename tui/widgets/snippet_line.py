"""The passage of the post under the cursor where a text query matches, under the list."""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.message import Message
from textual.widget import Widget
from textual.worker import get_current_worker

from tui.corpus.model import Post
from tui.corpus.query import Query
from tui.listing import passage_of
from tui.render.cells import clean_cell

FIND_DELAY = 0.05
"""Seconds the cursor rests on a post before its passage is looked for."""
LINES = 2
"""Lines of the passage shown (its height in DEFAULT_CSS)."""


class SnippetLine(Widget):
    """Two lines of the highlighted post's text around its first match, matches marked.

    Shown only while the applied query has text terms. :meth:`find` looks the passage up
    (`tui.listing.passage_of`) in a worker, as the facet sidebar counts its facets.
    """

    DEFAULT_CSS = """
    SnippetLine {
        height: 2;
        width: 1fr;
        padding: 0 1;
        color: $text-muted;
        & > .snippet-line--match { text-style: bold; color: $warning; }
    }
    """

    COMPONENT_CLASSES = {"snippet-line--match"}

    @dataclass
    class Found(Message):
        """The passage of the post asked for last, found in a worker."""

        passage: str
        spans: list[tuple[int, int]]
        generation: int

    def __init__(self, *, id: str | None = None) -> None:
        """Start empty."""
        super().__init__(id=id, markup=False)
        self._text = ""
        self._spans: list[tuple[int, int]] = []
        self._generation = 0
        self._asked: tuple[Post, Query, int] | None = None
        """The post and query of the last `find`, and the width it was found for."""

    def render(self) -> Text:
        """The passage, matches in the match style (untrusted text: never markup)."""
        text = Text(self._text, no_wrap=False, overflow="ellipsis")
        style = self.get_component_rich_style("snippet-line--match")
        for start, end in self._spans:
            text.stylize(style, start, end)
        return text

    def show(self, passage: str, spans: list[tuple[int, int]]) -> None:
        """Show ``passage`` with ``spans`` (offsets into it) marked."""
        cleaned = clean_cell(passage)
        if (cleaned, spans) != (self._text, self._spans):
            self._text, self._spans = cleaned, spans
            self.refresh()

    def find(self, post: Post, query: Query) -> None:
        """Show where ``query`` matches ``post``'s text; empty until it is found (the last
        post's passage would say another post's words)."""
        self.show("", [])
        self._look(post, query)

    def _look(self, post: Post, query: Query) -> None:
        self._generation += 1
        # Not laid out yet when first shown: it spans the screen's width.
        width = self.content_size.width or self.app.size.width - self.styles.gutter.width
        self._asked = (post, query, width)
        self._find(post, query, max(width, 20), self._generation)

    def on_resize(self) -> None:
        """Find the passage again for the new width (the old one stays until then)."""
        if self.display and self._asked and self._asked[2] != self.content_size.width:
            self._look(*self._asked[:2])

    @work(thread=True, exclusive=True, group="snippet", exit_on_error=False, description="passage")
    def _find(self, post: Post, query: Query, width: int, generation: int) -> None:
        """Look a moment later, once the cursor rests (a newer look cancels this one)."""
        time.sleep(FIND_DELAY)
        if get_current_worker().is_cancelled:
            return
        passage, spans = passage_of(post, query, width, LINES)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Found(passage, spans, generation))

    @on(Found)
    def _found(self, event: Found) -> None:
        event.stop()
        if event.generation == self._generation:
            self.show(event.passage, event.spans)
