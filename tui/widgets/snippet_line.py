"""The passage of the post under the cursor where a text query matches, under the list."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from tui.render.cells import clean_cell


class SnippetLine(Widget):
    """Two lines of the highlighted post's text around its first match, matches marked.

    Shown only while the applied query has text terms; the library computes the passage
    (`tui.corpus.snippets`) in a worker and hands it over with :meth:`show`.
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

    def __init__(self, *, id: str | None = None) -> None:
        """Start empty."""
        super().__init__(id=id, markup=False)
        self._text = ""
        self._spans: list[tuple[int, int]] = []

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
