"""Where the mouse points in the post view, as canonical offsets.

Textual gives a click as a (character, line) point in the view's content (from the
offsets the painter puts on each line's segments) and a drag as a
:class:`~textual.selection.Selection` of two such points. The view keeps its highlights
and its selection as canonical offsets, which the lines of its
:class:`~tui.render.layout.Layout` give character by character; what a drag covers is
:func:`tui.reading.selection.dragged`.
"""

from __future__ import annotations

from textual.geometry import Offset
from textual.selection import Selection

from tui.reading.selection import Span, dragged
from tui.render.layout import Layout


def offset_under(layout: Layout, point: Offset) -> int | None:
    """The canonical offset of the character at ``point`` (character, layout line).

    None where there is no character of the text: the gutter, decoration, past the end
    of a line, below the last line laid out.
    """
    if not 0 <= point.y < layout.line_count:
        return None
    offsets = layout.line(point.y).offsets
    if 0 <= point.x < len(offsets) and offsets[point.x] >= 0:
        return offsets[point.x]
    return None


def dragged_span(layout: Layout, length: int, selection: Selection) -> Span | None:
    """The canonical offsets [start, end) a mouse drag covers, or None when it covers none.

    Args:
        layout: The view's layout.
        length: The length of the text.
        selection: Textual's selection in the view (an open start or end: the text's).
    """
    start, end = selection.start, selection.end
    return dragged(
        lambda index: layout.line(index).offsets,
        layout.line_count,
        None if start is None else (start.x, start.y),
        None if end is None else (end.x, end.y),
        length,
    )
