"""How the post view paints a laid-out line: highlights, search matches, the selection.

Each is a range of canonical offsets; a character is painted when its offset (from
``WrappedLine.offsets``) falls in a range, so painting is the same at every width. The
styles are the view's component classes, resolved once per style update.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from annotations.model import COLORS
from tui.reading.highlights import Highlights
from tui.reading.selection import Span, offset_range
from tui.render.layout import WrappedLine

GUTTER = 2
"""Cells left of the text for the note mark."""
NOTE_MARK = "✎ "
"""Drawn in the gutter on the first line of a highlight that has a note."""
ANSI_HIGHLIGHTS: dict[str, tuple[str, str]] = {
    "yellow": ("#aa5500", "#000000"),
    "green": ("#00aa00", "#000000"),
    "blue": ("#0000aa", "#ffffff"),
    "pink": ("#aa0000", "#ffffff"),
    "purple": ("#aa00aa", "#ffffff"),
}
"""(background, text) per highlight colour on 8/16-colour terminals (TERM=xterm, linux,
screen, vt100). Blended tints collapse there to one or two ANSI colours, some equal to
the page, so each name gets its own base ANSI colour instead (the Linux console has no
bright backgrounds). They are given as the exact RGB of Rich's standard palette, not as
ANSI names: Textual maps ANSI names through the theme's own palette to truecolor, and
Rich's downgrade of those lands on clashing colours (yellow became bright red)."""
LOW_COLOR_SYSTEMS = frozenset({"standard", "windows"})
"""Rich colour systems with only the 16 ANSI colours."""


@dataclass(frozen=True, slots=True)
class Marked:
    """What the view marks on its lines."""

    highlights: Highlights
    current: str | None
    """The id of the current highlight (bold, twice as opaque)."""
    matches: Sequence[Span]
    """Where a search found its words, in order."""
    current_match: int | None
    """The match shown apart."""
    selection: Span | None


class PostPainter:
    """Paints the lines of one view in its styles.

    Args:
        view: The post view whose styles and component classes are used.
    """

    def __init__(self, view: Widget) -> None:
        self._view = view
        self._styles: dict[tuple[str, bool], Style] = {}
        """Highlight styles by (colour, is current)."""
        self._base: dict[bool, Style] = {}
        """The view's style (False) and its gutter's (True)."""

    def clear(self) -> None:
        """Forget the styles: the theme or the CSS changed."""
        self._styles, self._base = {}, {}

    def base_style(self) -> Style:
        """The view's own Rich style, computed once per style update.

        ``rich_style`` walks the ancestors on every call; asking for it two or three
        times per line made up a large part of the reader's first frame.
        """
        style = self._base.get(False)
        if style is None:
            style = self._base[False] = self._view.rich_style
        return style

    def line(self, line: WrappedLine, index: int, marked: Marked) -> Strip:
        """Line ``index`` of the layout: the gutter, then the text with its marks."""
        view = self._view
        text = line.text.copy()
        text.end = ""
        text.stylize_before(self.base_style())
        lo, hi = offset_range(line.offsets)
        has_note = False
        for highlight in marked.highlights.overlapping(lo, hi):
            style = self.highlight_style(highlight.color, highlight.id == marked.current)
            _paint(text, line.offsets, highlight.start, highlight.end, style)
            has_note = has_note or (highlight.has_note and lo <= highlight.start <= hi)
        if marked.matches:
            self._paint_matches(text, line.offsets, lo, hi, marked)
        if marked.selection is not None:
            style = view.get_component_rich_style("post-view--selection", partial=True)
            _paint(text, line.offsets, *marked.selection, style)
        gutter = Segment(NOTE_MARK if has_note else " " * GUTTER, self._gutter_style())
        segments = [gutter, *text.render(view.app.console)]
        # Offsets for Textual's mouse selection: x counts characters, the text's first
        # character is x=0 (the gutter gets negative x, clamped when mapped).
        return Strip(segments).apply_offsets(-GUTTER, index)

    def _gutter_style(self) -> Style:
        """The gutter's Rich style (the view's style plus the gutter component's)."""
        style = self._base.get(True)
        if style is None:
            style = self.base_style() + self._view.get_component_rich_style(
                "post-view--gutter", partial=True
            )
            self._base[True] = style
        return style

    def _paint_matches(
        self, text: Text, offsets: tuple[int, ...], lo: int, hi: int, marked: Marked
    ) -> None:
        matches = marked.matches
        first = bisect_left(matches, (lo, -1))
        if first:
            first -= 1  # a match that starts before the line may reach into it
        for index in range(first, len(matches)):
            start, end = matches[index]
            if start > hi:
                break
            if end < lo:
                continue
            current = index == marked.current_match
            name = "post-view--match-current" if current else "post-view--match"
            style = self._view.get_component_rich_style(name, partial=True)
            _paint(text, offsets, start, end, style)

    def highlight_style(self, color: str, is_current: bool) -> Style:
        """The Rich style of a highlight: its colour blended over the view's background.

        Component styles keep a translucent background as it is; Rich needs a solid
        colour, so the blend is done here (cached until the next style update). The
        current highlight is twice as opaque and bold.
        """
        key = (_color(color), is_current)
        style = self._styles.get(key)
        if style is not None:
            return style
        view = self._view
        if view.app.console.color_system in LOW_COLOR_SYSTEMS:
            background_name, text_name = ANSI_HIGHLIGHTS[key[0]]
            style = Style(
                bgcolor=background_name, color=text_name, underline=True, bold=is_current or None
            )
        else:
            tint = view.get_component_styles(f"post-view--hl-{key[0]}").background
            if is_current:
                tint = tint.with_alpha(min(1.0, tint.a * 2))
            background = view.background_colors[1] + tint
            style = Style(
                bgcolor=background.rich_color,
                color=background.get_contrast_text(0.95).rich_color,
                underline=True,
                bold=is_current or None,
            )
        self._styles[key] = style
        return style


def _color(name: str) -> str:
    """A palette colour (an unknown stored name falls back to the default)."""
    return name if name in COLORS else COLORS[0]


def _paint(text: Text, offsets: tuple[int, ...], start: int, end: int, style: Style) -> None:
    """Style the runs of characters whose canonical offset lies in [start, end)."""
    run_start: int | None = None
    for index, offset in enumerate(offsets):
        inside = start <= offset < end
        if inside and run_start is None:
            run_start = index
        elif not inside and run_start is not None:
            text.stylize(style, run_start, index)
            run_start = None
    if run_start is not None:
        text.stylize(style, run_start, len(offsets))
