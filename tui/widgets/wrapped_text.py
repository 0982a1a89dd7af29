"""WrappedText: lines of untrusted text broken by the reader's own rule, never as markup.

Textual's wrapping breaks Chinese anywhere, so a line may start with ！ or ” or end with
“; the post's text never does (`tui.render.wrap`). Text shown around it (the header's
title, a highlight's note) is broken the same way, at the width the widget has.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget

from tui.render.wrap import wrap

Line = tuple[str, str]
"""A line to show: its text (one line: no tabs or line breaks) and its style."""


def wrapped_content(lines: Sequence[Line], width: int) -> Content:
    """``lines`` broken to ``width`` cells by `tui.render.wrap`, each part in its style."""
    broken: list[Content] = []
    for text, style in lines:
        broken += [Content.styled(text[start:end], style) for start, end in wrap(text, width)]
    return Content("\n").join(broken)


class WrappedText(Widget):
    """Lines of text, each broken by `tui.render.wrap` to the widget's width (its height
    is as many rows as that takes; CSS may cap it)."""

    DEFAULT_CSS = """
    WrappedText {
        width: 1fr;
        height: auto;
    }
    """

    def __init__(
        self, lines: Sequence[Line] = (), *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes, markup=False)
        self._lines: Sequence[Line] = lines

    def set_lines(self, lines: Sequence[Line]) -> None:
        """Show ``lines`` instead."""
        if lines != self._lines:
            self._lines = lines
            self.refresh(layout=True)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """The widest line unbroken (for a width of ``auto``)."""
        return max((cell_len(text) for text, _ in self._lines), default=0)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As many rows as the lines take at ``width``."""
        return sum(len(wrap(text, width)) for text, _ in self._lines) if width else 0

    def render(self) -> Content:
        """The lines, broken to the width the widget has."""
        return wrapped_content(self._lines, self.content_size.width)
