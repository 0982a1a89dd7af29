"""PostView: a line-API view of a rendered post, with highlights and a selection.

The view draws only the lines on screen from a lazy :class:`tui.render.Layout`: a 700 KB
post is wrapped only as far as the reader has scrolled (plus a margin), and re-wrapped
on resize keeping the reading position by canonical offset. Highlights and the selection
are ranges of canonical offsets; a character is painted when its offset (from
``WrappedLine.offsets``) falls in a range, so painting is the same at every width.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Offset, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

from annotations.model import COLORS
from tui.reading.selection import (
    Span,
    TextSpans,
    first_sentence,
    jump_index,
    moved,
    offset_at,
    offset_range,
    resized,
)

# The render package's __init__ does not re-export these (yet): import the modules.
from tui.render.layout import Layout
from tui.render.script import Script, convert

if TYPE_CHECKING:
    from tui.render import Document

GUTTER = 2
"""Cells left of the text for the note mark."""
NOTE_MARK = "✎ "
"""Drawn in the gutter on the first line of a highlight that has a note."""
MAX_TEXT_WIDTH = 100
"""Lines longer than this are hard to read; wider terminals get a margin on the right."""
LAYOUT_MARGIN = 50
"""Lines laid out beyond the bottom of the screen, so paging down never waits."""
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
class Highlight:
    """A placed annotation, as the view paints it."""

    id: str
    """The annotation id."""
    start: int
    """Canonical offset of its first character in the current text."""
    end: int
    """Canonical offset just past its last character."""
    color: str = COLORS[0]
    """A name from ``annotations.model.COLORS``."""
    has_note: bool = False
    """Whether the margin shows a note mark."""


class PostView(ScrollView, can_focus=True):
    """A scrollable, selectable view of one rendered post."""

    # Highlight colours are the user's chosen names, so they are named colours blended
    # over the theme's background (readable on light and dark themes); underline keeps
    # a highlight visible with NO_COLOR or 16 colours, bold marks the current one, and
    # the selection is reversed.
    DEFAULT_CSS = """
    PostView {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        height: 1fr;
        & > .post-view--gutter { color: $accent; }
        & > .post-view--hl-yellow { background: yellow 35%; text-style: underline; }
        & > .post-view--hl-green { background: green 45%; text-style: underline; }
        & > .post-view--hl-blue { background: dodgerblue 40%; text-style: underline; }
        & > .post-view--hl-pink { background: hotpink 40%; text-style: underline; }
        & > .post-view--hl-purple { background: mediumpurple 45%; text-style: underline; }
        & > .post-view--current { text-style: bold underline; }
        & > .post-view--selection { text-style: reverse; }
        & > .post-view--match { text-style: bold underline; color: $warning; }
        & > .post-view--match-current { text-style: bold reverse; color: $warning; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "down,j",
            "down",
            "Down",
            show=False,
            tooltip="Scroll down, or select the next sentence.",
        ),
        Binding(
            "up,k", "up", "Up", show=False, tooltip="Scroll up, or select the previous sentence."
        ),
        Binding(
            "space,pagedown", "page_down", "Page down", show=False, tooltip="Scroll one page down."
        ),
        Binding("b,pageup", "page_up", "Page up", show=False, tooltip="Scroll one page up."),
        Binding("g,home", "top", "Top", show=False, tooltip="Go to the start of the post."),
        Binding("G,end", "bottom", "Bottom", show=False, tooltip="Go to the end of the post."),
        Binding(
            "v",
            "select",
            "Select",
            tooltip="Select the first sentence at the top.",
            id="reader.select",
        ),
        Binding(
            "shift+down,J",
            "extend_sentence",
            "Extend",
            show=False,
            tooltip="Extend the selection by one sentence (J).",
        ),
        Binding(
            "shift+up,K",
            "shrink_sentence",
            "Shrink",
            show=False,
            tooltip="Shrink the selection by one sentence (K).",
        ),
        Binding(
            "shift+right,L",
            "extend_word",
            "Extend word",
            show=False,
            tooltip="Extend the selection by one word (L).",
        ),
        Binding(
            "shift+left,H",
            "shrink_word",
            "Shrink word",
            show=False,
            tooltip="Shrink the selection by one word (H).",
        ),
        Binding(
            "right_square_bracket",
            "next_highlight",
            "Next",
            tooltip="Jump to the next highlight.",
            id="reader.next",
        ),
        Binding(
            "left_square_bracket",
            "previous_highlight",
            "Previous",
            show=False,
            tooltip="Jump to the previous highlight.",
        ),
        Binding(
            "escape", "cancel_selection", "Cancel", show=False, tooltip="Cancel the selection."
        ),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "post-view--gutter",
        "post-view--current",
        "post-view--selection",
        "post-view--match",
        "post-view--match-current",
        *(f"post-view--hl-{color}" for color in COLORS),
    }

    selection: reactive[Span | None] = reactive(None, repaint=False)
    """The selected range of canonical offsets, or None."""
    script: reactive[Script | None] = reactive(None, init=False)
    """Chinese shown in simplified or traditional characters; None: as the file has it.
    Offsets, highlights and the selection are unchanged (a converted block keeps its
    length)."""
    current: reactive[str | None] = reactive(None, repaint=False)
    """The id of the current highlight (the one ``e``/``t``/``c``/``d`` act on)."""

    @dataclass
    class SelectionChanged(Message):
        """The selection started, moved, changed size or ended."""

        post_view: PostView
        selection: Span | None

        @property
        def control(self) -> PostView:
            """The view the selection belongs to."""
            return self.post_view

    @dataclass
    class CurrentChanged(Message):
        """Another highlight became current (``]``/``[`` or a click)."""

        post_view: PostView
        annotation_id: str | None

        @property
        def control(self) -> PostView:
            """The view whose current highlight changed."""
            return self.post_view

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.document: Document | None = None
        """The post shown, or None while it loads."""
        self._layout: Layout | None = None
        self._highlights: list[Highlight] = []
        self._starts: list[int] = []
        self._spans = TextSpans()
        """The text's sentences and words, for the selection keys."""
        self._pending_position = 0
        self._mouse_selection = False
        self._line_cache: LRUCache[int, Strip] = LRUCache(512)
        self._style_cache: dict[tuple[str, bool], Style] = {}
        self._base_styles: dict[bool, Style] = {}
        """The view's style (False) and its gutter's (True), until the next style update."""
        self._matches: list[Span] = []
        """Where a search found its words, in order (see `set_matches`)."""
        self._current_match: int | None = None

    # -- handlers ----------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        """Re-wrap for the new width, keeping the line at the top by its canonical offset."""
        if self.document is None:
            return
        width = self._text_width()
        if self._layout is not None and getattr(self._layout, "width", width) == width:
            self._ensure_lines()
            return
        position = self.position if self._layout is not None else self._pending_position
        self._relayout(position)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Lay out more lines as the reader scrolls down."""
        super().watch_scroll_y(old_value, new_value)
        self._ensure_lines()

    def watch_selection(self, old: Span | None, new: Span | None) -> None:
        """Repaint and tell the screen (its footer shows h/n/y only with a selection)."""
        self._invalidate()
        self.post_message(self.SelectionChanged(self, new))

    def watch_script(self, old: Script | None, new: Script | None) -> None:
        """Lay the post out again in the new script, keeping the line at the top."""
        if self.document is not None and self._layout is not None:
            self._relayout(self.position)

    def watch_current(self, old: str | None, new: str | None) -> None:
        """Repaint and tell the screen which highlight is current."""
        self._invalidate()
        self.post_message(self.CurrentChanged(self, new))

    def notify_style_update(self) -> None:
        """Styles (theme) changed: cached lines carry the old colours."""
        super().notify_style_update()
        self._line_cache.clear()
        self._style_cache = {}
        self._base_styles = {}

    def on_click(self, event: events.Click) -> None:
        """A click on a highlight makes it current."""
        offset = self._canonical_at(event.screen_offset)
        if offset is None:
            return
        for highlight in self._highlights:
            if highlight.start <= offset < highlight.end:
                self.current = highlight.id
                return

    # -- Textual selection (mouse drag) ----------------------------------------------------

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The text under a mouse selection as shown (used by Textual's copy)."""
        span = self._span_from_selection(selection)
        if span is None or self.document is None:
            return None
        return convert(self.document.text[span[0] : span[1]], self.script), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        """Turn a mouse drag into the view's own selection of canonical offsets."""
        if selection is None:
            if self._mouse_selection:
                self._mouse_selection = False
                self.selection = None
            return
        span = self._span_from_selection(selection)
        if span is not None and span[0] < span[1]:
            self._mouse_selection = True
            self.selection = span

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Selection keys apply only while selecting; escape falls through to the screen."""
        if action in {
            "extend_sentence",
            "shrink_sentence",
            "extend_word",
            "shrink_word",
            "cancel_selection",
        }:
            return self.selection is not None
        return True

    def action_down(self) -> None:
        """Select the next sentence while selecting, else scroll one line."""
        if self.selection is not None:
            self.move_selection(1)
        else:
            self.scroll_relative(y=1, animate=False)

    def action_up(self) -> None:
        """Select the previous sentence while selecting, else scroll one line."""
        if self.selection is not None:
            self.move_selection(-1)
        else:
            self.scroll_relative(y=-1, animate=False)

    def action_page_down(self) -> None:
        """Scroll one page down."""
        self._ensure_lines(self.scroll_offset.y + 2 * self.size.height)
        self.scroll_relative(y=max(1, self.scrollable_content_region.height - 1), animate=False)

    def action_page_up(self) -> None:
        """Scroll one page up."""
        self.scroll_relative(y=-max(1, self.scrollable_content_region.height - 1), animate=False)

    def action_top(self) -> None:
        """Go to the start of the post."""
        self.scroll_to(y=0, animate=False, immediate=True)

    def action_bottom(self) -> None:
        """Go to the end of the post (lays it all out)."""
        if self._layout is None:
            return
        self._layout.ensure(2**31)
        self._update_virtual_size()
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)

    def action_select(self) -> None:
        """Start a selection on the first sentence visible at the top."""
        self.start_selection()

    def action_extend_sentence(self) -> None:
        """Extend the selection by one sentence."""
        self.resize_selection(self._spans.sentences, 1)

    def action_shrink_sentence(self) -> None:
        """Shrink the selection by one sentence."""
        self.resize_selection(self._spans.sentences, -1)

    def action_extend_word(self) -> None:
        """Extend the selection by one word (one character of CJK)."""
        self.resize_selection(self._spans.words, 1)

    def action_shrink_word(self) -> None:
        """Shrink the selection by one word (one character of CJK)."""
        self.resize_selection(self._spans.words, -1)

    def action_next_highlight(self) -> None:
        """Make the next highlight current and scroll to it."""
        self.jump_highlight(1)

    def action_previous_highlight(self) -> None:
        """Make the previous highlight current and scroll to it."""
        self.jump_highlight(-1)

    def action_cancel_selection(self) -> None:
        """Cancel the selection."""
        self.clear_selection()

    # -- public API ------------------------------------------------------------------------

    @property
    def position(self) -> int:
        """The canonical offset of the first character at the top of the view."""
        if self._layout is None:
            return self._pending_position
        top = int(self.scroll_offset.y)
        for index in range(top, min(top + 50, self._layout.line_count)):
            for offset in self._layout.line(index).offsets:
                if offset >= 0:
                    return offset
        return self._pending_position if top == 0 else self._last_offset()

    @property
    def highlights(self) -> list[Highlight]:
        """The placed highlights, in text order."""
        return list(self._highlights)

    @property
    def selected_text(self) -> str:
        """The text of the selection ("" when nothing is selected)."""
        if self.selection is None or self.document is None:
            return ""
        start, end = self.selection
        return self.document.text[start:end]

    def set_document(self, document: Document, *, position: int = 0) -> None:
        """Show ``document``, scrolled so canonical offset ``position`` is at the top."""
        self.document = document
        self._spans = TextSpans(lambda: document.text)
        self._pending_position = max(0, position)
        self.selection = None
        if self.size.width > 0:
            self._relayout(self._pending_position)

    def set_spans(self, sentences: list[Span], words: list[Span]) -> None:
        """Sentence and word spans computed elsewhere (a thread), so ``v`` never waits."""
        self._spans.set(sentences, words)

    def set_highlights(self, highlights: list[Highlight]) -> None:
        """Replace the painted highlights (the current one is kept if it still exists)."""
        self._highlights = sorted(highlights, key=lambda h: (h.start, h.end))
        self._starts = [h.start for h in self._highlights]
        if self.current is not None and all(h.id != self.current for h in self._highlights):
            self.current = None
        self._invalidate()

    def set_current(self, annotation_id: str | None, *, scroll: bool = True) -> None:
        """Make ``annotation_id`` the current highlight, scrolling it into view."""
        self.current = annotation_id
        highlight = self._highlight(annotation_id)
        if highlight is not None and scroll:
            self.scroll_to_offset(highlight.start)

    def scroll_to_offset(self, offset: int, *, top: bool = False) -> None:
        """Scroll so canonical ``offset`` is visible (at the top when ``top``)."""
        if self._layout is None:
            self._pending_position = offset
            return
        line = self._layout.line_for_offset(offset)
        self._ensure_lines(line + self.size.height + LAYOUT_MARGIN)
        height = max(1, self.scrollable_content_region.height)
        y = int(self.scroll_offset.y)
        if top or line < y:
            self.scroll_to(y=line, animate=False, immediate=True, force=True)
        elif line >= y + height:
            self.scroll_to(y=line - height + 1, animate=False, immediate=True, force=True)

    def start_selection(self) -> bool:
        """Select the first sentence visible at the top; False when there is no text."""
        if self.document is None or not self.document.text:
            return False
        spans = self._spans.sentences
        if not spans:
            return False
        self._mouse_selection = False
        self.screen.clear_selection()
        self.selection = first_sentence(spans, self.position, self._is_visible)
        self._reveal_selection()
        return True

    def move_selection(self, direction: int) -> None:
        """Select the next (``1``) or previous (``-1``) sentence."""
        if self.selection is None:
            return
        span = moved(self._spans.sentences, self.selection, direction)
        if span is not None:
            self.selection = span
            self._reveal_selection()

    def resize_selection(self, spans: list[Span], direction: int) -> None:
        """Grow the selection to the end of the next span, or drop its last span."""
        if self.selection is None or not spans or self.document is None:
            return
        span = resized(spans, self.selection, direction, self.document.text)
        if span is not None:
            self.selection = span
            self._reveal_selection()

    def clear_selection(self) -> None:
        """End the selection (keyboard or mouse)."""
        self._mouse_selection = False
        if self.is_attached:
            self.screen.clear_selection()
        self.selection = None

    def jump_highlight(self, direction: int) -> Highlight | None:
        """Make the next/previous highlight (from the current one, else the top) current."""
        if not self._highlights:
            return None
        ids = [h.id for h in self._highlights]
        current = ids.index(self.current) if self.current in ids else None
        top = self.position if current is None else 0
        index = jump_index(self._starts, current, top, direction)
        if index is None:
            self.app.bell()
            return None
        highlight = self._highlights[index]
        self.set_current(highlight.id)
        return highlight

    # -- rendering -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        """Draw screen line ``y``: gutter, then the wrapped line with its spans painted."""
        width = self.scrollable_content_region.width
        if self._layout is None and self.document is not None and width > 0:
            # A document set before the first layout (the reader's first frame): wrap it
            # now that the width is known, so this very frame shows the post instead of
            # waiting for the Resize event, which arrives after the frame is drawn.
            self._relayout(self._pending_position)
            width = self.scrollable_content_region.width
        index = int(self.scroll_offset.y) + y
        base = self._base_style()
        if self._layout is None or index >= self._layout.line_count:
            return Strip.blank(width, base)
        strip = self._line_cache.get(index)
        if strip is None:
            strip = self._render_index(index)
            self._line_cache[index] = strip
        return strip.crop_extend(0, width, base)

    def _base_style(self) -> Style:
        """The view's own Rich style, computed once per style update.

        ``rich_style`` walks the ancestors on every call; asking for it two or three
        times per line cost a third of the reader's first frame.
        """
        style = self._base_styles.get(False)
        if style is None:
            style = self._base_styles[False] = self.rich_style
        return style

    def _gutter_style(self) -> Style:
        """The gutter's Rich style (the view's style plus the gutter component's)."""
        style = self._base_styles.get(True)
        if style is None:
            style = self._base_style() + self.get_component_rich_style(
                "post-view--gutter", partial=True
            )
            self._base_styles[True] = style
        return style

    def _render_index(self, index: int) -> Strip:
        assert self._layout is not None
        line = self._layout.line(index)
        text = line.text.copy()
        text.end = ""
        text.stylize_before(self._base_style())
        lo, hi = offset_range(line.offsets)
        has_note = False
        for highlight in self._overlapping(lo, hi):
            style = self._highlight_style(highlight.color, highlight.id == self.current)
            _paint(text, line.offsets, highlight.start, highlight.end, style)
            has_note = has_note or (highlight.has_note and lo <= highlight.start <= hi)
        if self._matches:
            self._paint_matches(text, line.offsets, lo, hi)
        if self.selection is not None:
            style = self.get_component_rich_style("post-view--selection", partial=True)
            _paint(text, line.offsets, *self.selection, style)
        gutter = Segment(NOTE_MARK if has_note else " " * GUTTER, self._gutter_style())
        segments = [gutter, *text.render(self.app.console)]
        # Offsets for Textual's mouse selection: x counts characters, the text's first
        # character is x=0 (the gutter gets negative x, clamped when mapped).
        return Strip(segments).apply_offsets(-GUTTER, index)

    def set_matches(self, matches: list[Span], current: int | None) -> None:
        """Mark where a search found its words (``current``: the one to show apart)."""
        self._matches = matches
        self._current_match = current
        self._invalidate()

    def _paint_matches(self, text: Text, offsets: tuple[int, ...], lo: int, hi: int) -> None:
        first = bisect_left(self._matches, (lo, -1))
        if first:
            first -= 1  # a match that starts before the line may reach into it
        for index in range(first, len(self._matches)):
            start, end = self._matches[index]
            if start > hi:
                break
            if end < lo:
                continue
            current = index == self._current_match
            name = "post-view--match-current" if current else "post-view--match"
            _paint(text, offsets, start, end, self.get_component_rich_style(name, partial=True))

    # -- private helpers -------------------------------------------------------------------

    def _highlight_style(self, color: str, is_current: bool) -> Style:
        """The Rich style of a highlight: its colour blended over the view's background.

        Component styles keep a translucent background as it is; Rich needs a solid
        colour, so the blend is done here (cached until the next style update). The
        current highlight is twice as opaque and bold.
        """
        key = (_color(color), is_current)
        style = self._style_cache.get(key)
        if style is None and self.app.console.color_system in LOW_COLOR_SYSTEMS:
            background_name, text_name = ANSI_HIGHLIGHTS[key[0]]
            style = Style(
                bgcolor=background_name,
                color=text_name,
                underline=True,
                bold=is_current or None,
            )
            self._style_cache[key] = style
        if style is None:
            base = self.background_colors[1]
            tint = self.get_component_styles(f"post-view--hl-{key[0]}").background
            if is_current:
                tint = tint.with_alpha(min(1.0, tint.a * 2))
            background = base + tint
            style = Style(
                bgcolor=background.rich_color,
                color=background.get_contrast_text(0.95).rich_color,
                underline=True,
                bold=is_current or None,
            )
            self._style_cache[key] = style
        return style

    def _text_width(self) -> int:
        return max(10, min(MAX_TEXT_WIDTH, self.scrollable_content_region.width - GUTTER - 1))

    def _relayout(self, position: int) -> None:
        """Wrap the document at the current width and scroll to ``position``."""
        assert self.document is not None
        self._layout = Layout(self.document, self._text_width(), script=self.script)
        self._line_cache.clear()
        line = self._layout.line_for_offset(position) if position > 0 else 0
        # The screen's lines now, the margin below it after this frame is drawn: wrapping
        # it first cost the first frame as much as the visible lines did.
        self._ensure_lines(line + self.size.height)
        self.scroll_to(y=line, animate=False, immediate=True, force=True)
        self.refresh()
        self.call_after_refresh(self._ensure_lines)

    def _ensure_lines(self, count: int | None = None) -> None:
        """Lay out lines down to ``count`` (default: the screen plus a margin)."""
        if self._layout is None:
            return
        if count is None:
            count = int(self.scroll_offset.y) + self.size.height + LAYOUT_MARGIN
        if not self._layout.is_complete and self._layout.line_count < count:
            self._layout.ensure(count)
        self._update_virtual_size()

    def _update_virtual_size(self) -> None:
        """Lines laid out so far, plus an estimate of the rest (or a page) to scroll into."""
        assert self._layout is not None and self.document is not None
        lines = self._layout.line_count
        if not self._layout.is_complete:
            # The document converts lazily too: estimate from its text only once it is
            # whole (asking for ``text`` earlier would convert a 700 KB post at once).
            estimate = 0
            if self.document.is_complete:
                estimate = int(lines * len(self.document.text) / max(1, self._last_offset()))
            lines = max(lines + self.size.height, estimate)
        size = Size(self.scrollable_content_region.width, lines)
        if size != self.virtual_size:
            self.virtual_size = size

    def _last_offset(self) -> int:
        assert self._layout is not None
        for index in range(self._layout.line_count - 1, max(-1, self._layout.line_count - 50), -1):
            offsets = [o for o in self._layout.line(index).offsets if o >= 0]
            if offsets:
                return max(offsets)
        return 0

    def _invalidate(self) -> None:
        self._line_cache.clear()
        self.refresh()

    def _overlapping(self, lo: int, hi: int) -> list[Highlight]:
        """Highlights that may cover an offset in [lo, hi]."""
        if lo > hi:
            return []
        stop = bisect_right(self._starts, hi)
        return [h for h in self._highlights[:stop] if h.end > lo]

    def _highlight(self, annotation_id: str | None) -> Highlight | None:
        return next((h for h in self._highlights if h.id == annotation_id), None)

    def _is_visible(self, offset: int) -> bool:
        if self._layout is None:
            return False
        line = self._layout.line_for_offset(offset)
        top = int(self.scroll_offset.y)
        return top <= line < top + max(1, self.scrollable_content_region.height)

    def _reveal_selection(self) -> None:
        if self.selection is None:
            return
        start, end = self.selection
        self.scroll_to_offset(max(start, end - 1))
        self.scroll_to_offset(start)

    def _canonical_at(self, screen_offset: Offset) -> int | None:
        """The canonical offset of the character at a screen position, if any."""
        widget, offset = self.screen.get_widget_and_offset_at(*screen_offset)
        if widget is not self or offset is None or self._layout is None:
            return None
        if not 0 <= offset.y < self._layout.line_count:
            return None
        offsets = self._layout.line(offset.y).offsets
        if 0 <= offset.x < len(offsets) and offsets[offset.x] >= 0:
            return offsets[offset.x]
        return None

    def _span_from_selection(self, selection: Selection) -> Span | None:
        """Map Textual's (x, line) selection to canonical offsets [start, end)."""
        if self._layout is None or self.document is None:
            return None
        start = 0 if selection.start is None else self._offset_at(selection.start, after=True)
        end: int | None = len(self.document.text)
        if selection.end is not None:
            end = self._offset_at(selection.end, after=False)
        if start is None or end is None or end <= start:
            return None
        return start, end

    def _offset_at(self, point: Offset, *, after: bool) -> int | None:
        """Canonical offset at a selection point: the next character (start) or the end."""
        assert self._layout is not None
        y = min(max(0, point.y), self._layout.line_count - 1)
        return offset_at(self._layout.line(y).offsets, point.x, after=after)


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
