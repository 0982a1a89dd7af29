"""PostView: a line-API view of a rendered post, with highlights and a selection.

The view draws only the lines on screen from a lazy :class:`tui.render.Layout`: a long
post is wrapped only as far as the reader has scrolled (plus a margin), and re-wrapped
on resize keeping the reading position by canonical offset. Highlights, search matches
and the selection are ranges of canonical offsets, painted by
:class:`~tui.widgets.post_painter.PostPainter`. The keys are
:mod:`tui.widgets.post_view_keys`; what they select is :mod:`tui.reading.selection`'s
arithmetic, and what the mouse points at, :mod:`tui.widgets.post_view_mouse`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.binding import BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

from annotations.model import COLORS
from tui.reading.highlights import Highlight, Highlights
from tui.reading.selection import (
    Span,
    TextSpans,
    first_offset,
    first_sentence,
    last_offset,
    moved,
    resized,
)
from tui.render.layout import Layout
from tui.render.script import Script, convert
from tui.widgets.post_painter import GUTTER, NOTE_MARK, Marked, PostPainter
from tui.widgets.post_view_keys import KEYS, SELECTING
from tui.widgets.post_view_mouse import dragged_span, offset_under

if TYPE_CHECKING:
    from tui.render import Document

__all__ = ["NOTE_MARK", "Highlight", "PostView"]

MAX_TEXT_WIDTH = 100
"""Lines longer than this are hard to read; wider terminals get a margin on the right."""
LAYOUT_MARGIN = 50
"""Lines laid out beyond the bottom of the screen, so paging down never waits."""


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

    HELP = "## Moving and selecting"
    """The heading of its keys in the help screen (not its class's name)."""

    BINDINGS: ClassVar[list[BindingType]] = KEYS

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
        self._highlights = Highlights()
        self._all_placed = False
        """Whether `_highlights` holds all the post's highlights (see `set_highlights`)."""
        self._pending_jumps: list[int] = []
        """``]``/``[`` pressed before they were all placed, done once they are."""
        self._spans = TextSpans()
        """The text's sentences and words, for the selection keys."""
        self._pending_position = 0
        self._mouse_selection = False
        self._line_cache: LRUCache[int, Strip] = LRUCache(512)
        self._painter = PostPainter(self)
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
        self._painter.clear()

    def on_click(self, event: events.Click) -> None:
        """A click on a highlight makes it current."""
        widget, point = self.screen.get_widget_and_offset_at(*event.screen_offset)
        if widget is not self or point is None or self._layout is None:
            return
        offset = offset_under(self._layout, point)
        highlight = None if offset is None else self._highlights.at(offset)
        if highlight is not None:
            self.current = highlight.id

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
        return self.selection is not None if action in SELECTING else True

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
        found = first_offset(self._offsets_of, range(top, min(top + 50, self._layout.line_count)))
        if found is not None:
            return found
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
        self._all_placed = False
        self._pending_position = max(0, position)
        self.selection = None
        if self.size.width > 0:
            self._relayout(self._pending_position)

    def set_spans(self, sentences: list[Span], words: list[Span]) -> None:
        """Sentence and word spans computed elsewhere (a thread), so ``v`` never waits."""
        self._spans.set(sentences, words)

    def set_highlights(self, highlights: list[Highlight], *, all_placed: bool = True) -> None:
        """Replace the painted highlights (the current one is kept if it still exists).

        Args:
            highlights: The highlights to paint.
            all_placed: False while the post's stored highlights are still being placed
                (only those made meanwhile are given): ``]``/``[`` wait for them.
        """
        self._highlights = Highlights(highlights)
        if self.current is not None and self._highlights.get(self.current) is None:
            self.current = None
        self._invalidate()
        if all_placed and not self._all_placed:
            self._all_placed = True
            jumps, self._pending_jumps = self._pending_jumps, []
            for direction in jumps:
                self.jump_highlight(direction)

    def set_current(self, annotation_id: str | None, *, scroll: bool = True) -> None:
        """Make ``annotation_id`` the current highlight, scrolling it into view."""
        self.current = annotation_id
        highlight = self._highlights.get(annotation_id)
        if highlight is not None and scroll:
            self.scroll_to_offset(highlight.start, jump=True)

    def scroll_to_offset(self, offset: int, *, top: bool = False, jump: bool = False) -> None:
        """Scroll so canonical ``offset`` is visible.

        Args:
            offset: The canonical offset to show.
            top: Put its line at the top of the view.
            jump: A jump to a match or a highlight: when its line is off screen, put it a
                third of the way down, so the lines after it show too, not only those
                before it.
        """
        if self._layout is None:
            self._pending_position = offset
            return
        line = self._layout.line_for_offset(offset)
        self._ensure_lines(line + self.size.height + LAYOUT_MARGIN)
        height = max(1, self.scrollable_content_region.height)
        y = int(self.scroll_offset.y)
        if top:
            target = line
        elif y <= line < y + height:
            return
        elif jump:
            target = max(0, line - height // 3)
        else:
            target = line if line < y else line - height + 1
        self.scroll_to(y=target, animate=False, immediate=True, force=True)

    def start_selection(self) -> bool:
        """Select the first sentence visible at the top; False when there is no text."""
        if self.document is None or not self.document.text:
            return False
        spans = self._spans.sentences
        if not spans:
            return False
        self._mouse_selection = False
        self.screen.clear_selection()
        self._select(first_sentence(spans, self.position, self._is_visible))
        return True

    def move_selection(self, direction: int) -> None:
        """Select the next (``1``) or previous (``-1``) sentence."""
        if self.selection is None:
            return
        self._select(moved(self._spans.sentences, self.selection, direction))

    def resize_selection(self, spans: list[Span], direction: int) -> None:
        """Grow the selection to the end of the next span, or drop its last span."""
        if self.selection is None or not spans or self.document is None:
            return
        self._select(resized(spans, self.selection, direction, self.document.text))

    def clear_selection(self) -> None:
        """End the selection (keyboard or mouse)."""
        self._mouse_selection = False
        if self.is_attached:
            self.screen.clear_selection()
        self.selection = None

    def jump_highlight(self, direction: int) -> Highlight | None:
        """Make the next/previous highlight (from the current one, else the top) current.

        Pressed before the post's highlights are all placed (a key typed as the post
        appears), the jump is made once they are; None meanwhile.
        """
        if not self._all_placed:
            self._pending_jumps.append(direction)
            return None
        if not self._highlights:
            return None
        highlight = self._highlights.jump(self.current, self.position, direction)
        if highlight is None:
            self.app.bell()
            return None
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
        base = self._painter.base_style()
        if self._layout is None or index >= self._layout.line_count:
            return Strip.blank(width, base)
        strip = self._line_cache.get(index)
        if strip is None:
            strip = self._render_index(index)
            self._line_cache[index] = strip
        return strip.crop_extend(0, width, base)

    def _render_index(self, index: int) -> Strip:
        assert self._layout is not None
        marked = Marked(
            self._highlights,
            self.current,
            self._matches,
            self._current_match,
            self.selection,
        )
        return self._painter.line(self._layout.line(index), index, marked)

    def set_matches(self, matches: list[Span], current: int | None) -> None:
        """Mark where a search found its words (``current``: the one to show apart)."""
        self._matches = matches
        self._current_match = current
        self._invalidate()

    # -- private helpers -------------------------------------------------------------------

    def _text_width(self) -> int:
        return max(10, min(MAX_TEXT_WIDTH, self.scrollable_content_region.width - GUTTER - 1))

    def _relayout(self, position: int) -> None:
        """Wrap the document at the current width and scroll to ``position``."""
        assert self.document is not None
        self._layout = Layout(self.document, self._text_width(), script=self.script)
        self._line_cache.clear()
        line = self._layout.line_for_offset(position) if position > 0 else 0
        # The screen's lines now, the margin below it after this frame is drawn: wrapping
        # the margin too would take the first frame as long again.
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
        return last_offset(self._offsets_of, self._layout.line_count)

    def _offsets_of(self, index: int) -> tuple[int, ...]:
        """The canonical offsets of layout line ``index``'s characters."""
        assert self._layout is not None
        return self._layout.line(index).offsets

    def _invalidate(self) -> None:
        self._line_cache.clear()
        self.refresh()

    def _is_visible(self, offset: int) -> bool:
        if self._layout is None:
            return False
        line = self._layout.line_for_offset(offset)
        top = int(self.scroll_offset.y)
        return top <= line < top + max(1, self.scrollable_content_region.height)

    def _select(self, span: Span | None) -> None:
        """Select ``span`` (None: leave the selection as it is) and scroll it into view."""
        if span is None:
            return
        self.selection = span
        start, end = span
        self.scroll_to_offset(max(start, end - 1))
        self.scroll_to_offset(start)

    def _span_from_selection(self, selection: Selection) -> Span | None:
        """Map Textual's (x, line) selection to canonical offsets [start, end)."""
        if self._layout is None or self.document is None:
            return None
        return dragged_span(self._layout, len(self.document.text), selection)
