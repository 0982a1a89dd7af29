"""A line-API widget's lines in their final form, built without Textual's styles cache.

Textual's ``Widget.render_lines`` passes each line from ``render_line`` through the
widget's styles (border, padding, tint, opacity), pads it to the content width and
applies the app's line filters (system colours to true colours), making three more
strips per line. For a widget with none of those styles the same line can be built in
one go: its segments in styles already filtered (Textual's filters map each segment's
style on its own), the same pad, one strip. :func:`line_frame` says when that is so and
what the lines share; the post list draws its rows this way.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.filter import ANSIToTruecolor, DimFilter, LineFilter, Monochrome, NoColor
from textual.strip import Strip
from textual.style import Style as TextualStyle
from textual.widget import Widget

_PER_SEGMENT_FILTERS = (ANSIToTruecolor, DimFilter, Monochrome, NoColor)
"""Line filters that map each segment by its style and the background alone."""


@dataclass(frozen=True, slots=True)
class LineFrame:
    """What every line of one ``render_lines`` call shares."""

    width: int
    """The widget's width (each line's cell length)."""
    content_width: int
    """The content's width: rows are padded to it."""
    row_width: int
    """The rows' width (the content less the scrollbar)."""
    pad: Style
    """The style of the padding after a row (the content's background)."""
    pad_segment: Segment | None
    """That padding, filtered (None when the rows fill the content)."""
    background: Color
    """The background the line filters are given."""
    filters: tuple[LineFilter, ...]
    """The app's line filters (e.g. system colours to true colours)."""
    per_segment: bool
    """Whether every filter maps each segment by its style alone (Textual's do)."""

    def final_line(self, segments: list[Segment]) -> Strip:
        """A line as Textual's styles cache makes it: padded, filtered, one strip."""
        if self.row_width < self.content_width:
            segments.append(Segment(" " * (self.content_width - self.row_width), self.pad))
        for line_filter in self.filters:  # Strip.apply_filter without its strips
            segments = line_filter.apply(segments, self.background)
        return Strip(segments, self.width)

    def filtered(self, style: Style) -> Style:
        """``style`` as the line filters leave it (for segments built already filtered)."""
        segments = [Segment(" ", style)]
        for line_filter in self.filters:
            segments = line_filter.apply(segments, self.background)
        return segments[0].style or style


def line_frame(widget: Widget) -> LineFrame | None:
    """The shared state of ``widget``'s lines, or None when its styles need Textual's path."""
    styles = widget.styles
    if (
        widget.BLANK
        or any(styles.gutter)
        or any(edge for edge, _ in styles.outline)
        or styles.tint.a
        or styles.text_opacity != 1.0
        or widget.opacity != 1.0
        or (styles.has_rule("hatch") and styles.hatch != "none")
    ):
        return None
    base_background, background = widget.background_colors
    content_width = widget.content_region.width
    row_width = widget.scrollable_content_region.width or widget.size.width
    filters = tuple(widget.get_line_filters())
    # Strip.adjust_cell_length's pad, with the styles cache's inner style.
    pad = TextualStyle(background=base_background + background).rich_style
    pad_segment = None
    if row_width < content_width:
        pad_segment = Segment(" " * (content_width - row_width), pad)
        for line_filter in filters:
            pad_segment = line_filter.apply([pad_segment], background)[0]
    return LineFrame(
        width=widget.region.width,
        content_width=content_width,
        row_width=row_width,
        pad=pad,
        pad_segment=pad_segment,
        background=background,
        filters=filters,
        per_segment=all(type(f) in _PER_SEGMENT_FILTERS for f in filters),
    )
