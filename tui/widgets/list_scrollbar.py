"""The post list's vertical scrollbar, which redraws only the lines it has not drawn before.

Textual redraws a scrollbar through Rich and its styles cache line by line whenever the
thumb moves, which costs as much as drawing the list's rows.
"""

from __future__ import annotations

from math import ceil

from rich.segment import Segment, Segments
from textual.filter import LineFilter
from textual.geometry import Region
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip


def same_thumb(bar: ScrollBar, old: int, new: int) -> bool:
    """Whether ``bar`` draws the same with ``new`` rows as with ``old`` (e.g. a one-cell
    thumb at the top for 5,000 rows as for 50,000), by its own renderer's geometry."""
    height = bar.size.height
    if old == new:
        return True
    if height <= 0:
        return False

    def segments(rows: int) -> list[Segment]:
        # As ScrollBar._render_bar and ScrollBarRender.__rich_console__ call it.
        window = bar.window_size if bar.window_size < rows else 0
        bar_segments = bar.renderer.render_bar(
            size=height,
            virtual_size=ceil(rows),
            window_size=ceil(window),
            position=bar.position,
            thickness=bar.size.width,
            vertical=True,
        )
        return list(bar_segments.segments)

    return segments(old) == segments(new)


class ListScrollBar(ScrollBar):
    """A vertical scrollbar that keeps each line's final strip by what it draws.

    Every line of a bar is one segment (the track above or below the thumb, the thumb,
    or a thumb end), and its final strip depends only on that segment and the bar's
    styles: this asks the bar's renderer for the segments (cheap), reuses the strips
    already drawn for them, and lets Textual draw the whole bar only when a segment is
    new.
    """

    def __init__(self, *, thickness: int) -> None:
        super().__init__(vertical=True, name="vertical", thickness=thickness)
        self._lines: dict[Segment, Strip] = {}
        self._lines_key: tuple[object, ...] | None = None

    def notify_style_update(self) -> None:
        """Drop the kept lines: the theme or CSS changed."""
        super().notify_style_update()
        self._lines.clear()
        self._lines_key = None

    def render_lines(self, crop: Region) -> list[Strip]:
        """The bar's lines, from the kept strips when every segment was drawn before."""
        width, height = self.size
        segments = self._segments(width, height)
        if segments is None:
            return super().render_lines(crop)
        key = (width, height, self.visual_style, self.background_colors, self._filters())
        if key != self._lines_key:
            self._lines.clear()
            self._lines_key = key
        lines = self._lines
        try:
            strips = [lines[segment] for segment in segments]
        except KeyError:
            strips = super().render_lines(Region(0, 0, width, height))
            if len(lines) > 64:  # a few thumb sizes and ends; bound it all the same
                lines.clear()
            lines.update(zip(segments, strips, strict=True))
        strips = strips[crop.y : crop.bottom]
        if crop.column_span != (0, width):
            x1, x2 = crop.column_span
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips

    def _filters(self) -> tuple[LineFilter, ...]:
        return tuple(self.get_line_filters())

    def _segments(self, width: int, height: int) -> list[Segment] | None:
        """Each line's segment, as the renderer gives them to Rich (None: another shape)."""
        if width <= 0 or height <= 0 or self.BLANK:
            return None
        renderable = self.render()
        if not isinstance(renderable, ScrollBarRender):
            return None
        options = self.app.console_options.update(highlight=False, width=width, height=height)
        rendered = list(renderable.__rich_console__(self.app.console, options))
        if len(rendered) != 1 or not isinstance(rendered[0], Segments):
            return None
        bar = rendered[0]
        if not bar.new_lines or len(bar.segments) != height:
            return None
        if any(segment.cell_length != width for segment in bar.segments):
            return None
        return bar.segments
