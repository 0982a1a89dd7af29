"""The post list: a line-API ScrollView that draws only the rows on screen.

Filling an ``OptionList`` with 50,000 rows takes seconds and a ``DataTable`` longer; this
widget keeps a plain list of :class:`~tui.corpus.model.Post` and renders each visible row
on demand in ``render_line``, so ``set_posts`` with 50k posts and a repaint take
milliseconds. Rows are built from sanitized strings as Rich segments, never markup, so a
title such as ``[red]`` shows literally.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter, indexOf
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from tui.corpus.model import Post
from tui.render.cells import clean_cell, fit
from tui.render.script import Script, convert
from tui.widgets.final_lines import LineFrame, line_frame
from tui.widgets.list_scrollbar import ListScrollBar, same_thumb

UNREAD_MARK = "•"
"""Shown before posts not yet read."""
NOTE_MARK = "✎"
"""Shown before posts with at least one note."""
HIGHLIGHT_MARK = "▌"
"""Shown before posts with highlights but no note."""

MARK_WIDTH = 3
DATE_WIDTH = 10
AUTHOR_WIDTH = 18
TAGS_WIDTH = 24
AUTHOR_MIN_WIDTH = 72
"""Below this width the author column is dropped, so 60 columns still show a long title."""
TAGS_MIN_WIDTH = 100
"""Below this width the tags column is dropped."""


@dataclass(frozen=True, slots=True)
class Columns:
    """The column widths for one widget width (0 = column not shown)."""

    title: int
    author: int
    tags: int
    fixed: int = 0
    """Cells of the other columns and their gaps (title + fixed is the row's width)."""

    @classmethod
    def for_width(cls, width: int) -> Columns:
        """Drop tags, then author, as the width shrinks; the title takes the rest."""
        author = AUTHOR_WIDTH if width >= AUTHOR_MIN_WIDTH else 0
        tags = TAGS_WIDTH if width >= TAGS_MIN_WIDTH else 0
        fixed = (
            MARK_WIDTH + DATE_WIDTH + 1 + (author + 1 if author else 0) + (tags + 1 if tags else 0)
        )
        return cls(title=max(0, width - fixed), author=author, tags=tags, fixed=fixed)


@lru_cache(maxsize=16)
def _columns(width: int) -> Columns:
    return Columns.for_width(width)


@dataclass(frozen=True, slots=True)
class _RowStyles:
    """A row's styles: base, (mark, date, title, author, tags) read and unread, cursor."""

    base: Style
    read: tuple[Style, Style, Style, Style, Style]
    unread: tuple[Style, Style, Style, Style, Style]
    cursor: Style


class PostList(ScrollView, can_focus=True):
    """A virtual list of posts: date, title, author and tags, with read and note marks."""

    DEFAULT_CSS = """
    PostList {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
    }
    """

    HELP = """
## Post list

Each row shows the post's date, title, author and tags. The first column marks
posts not yet read (`•`), posts with notes (`✎`) and posts with highlights only (`▌`).
Narrow terminals drop the tags column, then the author column.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter", "select", "Open", tooltip="Open the post under the cursor.", id="list.open"
        ),
        Binding("down,j", "cursor_down", "Down", show=False, tooltip="Next post.", id="list.down"),
        Binding("up,k", "cursor_up", "Up", show=False, tooltip="Previous post.", id="list.up"),
        Binding(
            "pagedown",
            "page_down",
            "Page down",
            show=False,
            tooltip="One page down.",
            id="list.pgdn",
        ),
        Binding("pageup", "page_up", "Page up", show=False, tooltip="One page up.", id="list.pgup"),
        Binding("home,g", "first", "First", show=False, tooltip="First post.", id="list.first"),
        Binding("end,G", "last", "Last", show=False, tooltip="Last post.", id="list.last"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "post-list--cursor",
        "post-list--unread",
        "post-list--mark",
        "post-list--date",
        "post-list--title",
        "post-list--author",
        "post-list--tags",
    }
    """Parts of a row, styled in app.tcss (the cursor row, unread rows, each column)."""

    cursor: reactive[int] = reactive(-1, always_update=True, init=False)
    """Index of the highlighted row; -1 when the list is empty."""

    @dataclass
    class PostMessage(Message):
        """A message about one post of the list (as Textual's ``OptionMessage``)."""

        post_list: PostList
        post: Post
        index: int

        @property
        def control(self) -> PostList:
            """The list that sent the message (for ``@on(..., "#selector")``)."""
            return self.post_list

    class Highlighted(PostMessage):
        """The cursor moved to another post."""

    class Selected(PostMessage):
        """A post was chosen (Enter or a double click)."""

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        """Build an empty list; fill it with :meth:`set_posts`."""
        super().__init__(name=name, id=id, classes=classes)
        self._posts: Sequence[Post] = []
        self._is_read: Callable[[str], bool] = lambda post_id: True
        self._counts: dict[str, tuple[int, int]] = {}
        self._row_cache: LRUCache[tuple[object, ...], Strip] = LRUCache(1024)
        """Rows drawn: by (id, width, cursor, focus) for :meth:`render_line`, by (id,
        cursor, focus) for :meth:`render_lines` (valid for ``_frame_key``)."""
        self._frame_key: LineFrame | None = None
        self._filtered: dict[bool, _RowStyles] = {}
        """The row styles by focus with the line filters of ``_frame_key`` applied."""
        self._styles: dict[bool, _RowStyles] = {}
        """The rows' styles by focus, resolved once (CSS lookups cost more than the rows)."""
        self._script: Script | None = None
        """The script titles are shown in (None: as written)."""

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """The vertical scrollbar (created on first use, as Textual's): a
        :class:`ListScrollBar`, which redraws only lines it has not drawn before."""
        if self._vertical_scrollbar is None:
            bar = self._vertical_scrollbar = ListScrollBar(thickness=self.scrollbar_size_vertical)
            bar.display = False
            self.app._start_widget(self, bar)
        return self._vertical_scrollbar

    # -- public ----------------------------------------------------------------------------

    @property
    def posts(self) -> Sequence[Post]:
        """The posts shown, in display order."""
        return self._posts

    @property
    def highlighted_post(self) -> Post | None:
        """The post under the cursor, if any."""
        if 0 <= self.cursor < len(self._posts):
            return self._posts[self.cursor]
        return None

    def set_posts(
        self, posts: Sequence[Post], *, keep: str | None = None, cursor: int | None = None
    ) -> None:
        """Show ``posts`` (already filtered and sorted); cheap for any number of posts.

        ``posts`` is kept as given (not copied): a list, or a sequence that reads its
        rows as they are asked for (`tui.corpus.index.library.ResultRows`).

        Args:
            posts: The posts in display order.
            keep: A post id to keep the cursor on if it is still listed (found by a scan
                of a list, by default the post under the cursor now; a lazy sequence is
                given ``cursor`` instead).
            cursor: The row to put the cursor on; by default the row of ``keep``, else
                the top.
        """
        if keep is None and cursor is None and isinstance(posts, list):
            current = self.highlighted_post
            keep = current.id if current is not None else None
        self._posts = posts
        self._set_row_count(len(posts))
        index = 0 if posts else -1
        if cursor is not None and 0 <= cursor < len(posts):
            index = cursor
        elif keep is not None and isinstance(posts, list):
            # A scan in C; a dict index would cost more to build each time.
            with suppress(ValueError):
                index = indexOf(map(attrgetter("id"), posts), keep)
        self.cursor = index
        if index <= 0:
            self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def set_marks(self, is_read: Callable[[str], bool], counts: dict[str, tuple[int, int]]) -> None:
        """Update the read and annotation marks.

        Args:
            is_read: Whether a post id has been read.
            counts: Post id -> (annotations with notes, all annotations).
        """
        self._is_read = is_read
        self._counts = counts
        self._row_cache.clear()
        self.refresh()

    def set_script(self, script: Script | None) -> None:
        """Show titles in simplified or traditional characters (None: as written)."""
        self._script = script
        self._row_cache.clear()
        self.refresh()

    def mark_for(self, post_id: str) -> str:
        """The mark column's text for a post (unread, notes, highlights)."""
        notes, annotations = self._counts.get(post_id, (0, 0))
        unread = " " if self._is_read(post_id) else UNREAD_MARK
        annotated = NOTE_MARK if notes else HIGHLIGHT_MARK if annotations else " "
        return unread + annotated + " "

    # -- rendering -------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        """Drop cached rows and styles: the theme or CSS changed."""
        super().notify_style_update()
        self._row_cache.clear()
        self._styles.clear()
        self._frame_key = None

    def render_line(self, y: int) -> Strip:
        """Draw row ``y`` of the visible region (only these rows are ever built)."""
        width = self.scrollable_content_region.width or self.size.width
        index = self.scroll_offset.y + y
        if not 0 <= index < len(self._posts):
            return Strip.blank(width, self.rich_style)
        post = self._posts[index]
        is_cursor = index == self.cursor
        key = (post.id, width, is_cursor, self.has_focus)
        strip = self._row_cache.get(key)
        if strip is None:
            strip = self._render_row(post, width, is_cursor)
            self._row_cache[key] = strip
        # No apply_offsets: it copies the strip (and its caches) on every draw, and
        # nothing here needs per-cell offsets (clicks use scroll_offset + y).
        return strip

    def render_lines(self, crop: Region) -> list[Strip]:
        """The lines the compositor paints, each row built once as its final strip
        (`tui.widgets.final_lines`; any styling it cannot build takes Textual's path)."""
        frame = line_frame(self)
        if frame is None:
            return super().render_lines(crop)
        if frame != self._frame_key:
            self._row_cache.clear()
            self._frame_key = frame
            self._filtered.clear()
        cache = self._row_cache
        posts = self._posts
        count = len(posts)
        top = self.scroll_offset.y
        cursor = self.cursor
        focused = self.has_focus
        filtered = self._filtered_styles(frame) if frame.per_segment else None
        blank: Strip | None = None
        strips: list[Strip] = []
        for y in crop.line_range:
            index = top + y
            if 0 <= index < count:
                post = posts[index]
                is_cursor = index == cursor
                key = (post.id, is_cursor, focused)
                strip = cache.get(key)
                if strip is None:
                    if filtered is None or is_cursor:
                        # The cursor's style is added to each segment's before filtering.
                        segments = self._row_segments(
                            post, frame.row_width, is_cursor, self._row_styles()
                        )
                        strip = frame.final_line(segments)
                    else:
                        segments = self._row_segments(post, frame.row_width, False, filtered)
                        if frame.pad_segment is not None:
                            segments.append(frame.pad_segment)
                        strip = Strip(segments, frame.width)
                    cache[key] = strip
            else:
                if blank is None:
                    blank = frame.final_line(list(Strip.blank(frame.row_width, self.rich_style)))
                strip = blank
            strips.append(strip)
        if crop.column_span != (0, frame.width):
            x1, x2 = crop.column_span
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips

    def _filtered_styles(self, frame: LineFrame) -> _RowStyles:
        """The row styles (for the current focus) with the frame's line filters applied."""
        focused = self.has_focus
        styles = self._filtered.get(focused)
        if styles is None:

            def parts(row: tuple[Style, ...]) -> tuple[Style, Style, Style, Style, Style]:
                mark, date, title, author, tags = map(frame.filtered, row)
                return mark, date, title, author, tags

            raw = self._row_styles()
            styles = self._filtered[focused] = _RowStyles(
                base=frame.filtered(raw.base),
                read=parts(raw.read),
                unread=parts(raw.unread),
                cursor=raw.cursor,  # never used filtered (see render_lines)
            )
        return styles

    def _render_row(self, post: Post, width: int, is_cursor: bool) -> Strip:
        """One row as :meth:`render_line` draws it (not yet padded or filtered)."""
        return Strip(self._row_segments(post, width, is_cursor, self._row_styles()), width)

    def _row_segments(
        self, post: Post, width: int, is_cursor: bool, styles: _RowStyles
    ) -> list[Segment]:
        """One row's segments from plain strings (never markup), exactly ``width`` cells."""
        columns = _columns(width)
        mark = self.mark_for(post.id)
        mark_style, date_style, title_style, author_style, tags_style = (
            styles.unread if mark[0] == UNREAD_MARK else styles.read
        )
        moment = post.date
        if moment is None:
            date = " " * (DATE_WIDTH + 1)
        elif moment.year >= 1000:  # as strftime("%Y-%m-%d") writes it, in a fifth of the time
            date = moment.isoformat()[:DATE_WIDTH] + " "
        else:
            date = fit(moment.strftime("%Y-%m-%d"), DATE_WIDTH) + " "
        segments = [
            Segment(mark, mark_style),
            Segment(date, date_style),
            Segment(fit(clean_cell(convert(post.title, self._script)), columns.title), title_style),
        ]
        if columns.author:
            segments.append(
                Segment(" " + fit(clean_cell(post.author), columns.author), author_style)
            )
        if columns.tags:
            tags = clean_cell(", ".join(post.tags))
            segments.append(Segment(" " + fit(tags, columns.tags), tags_style))
        if is_cursor:
            # app.tcss styles it differently when the list is not focused (like OptionList).
            # Not partial: the blurred background is translucent and must be blended.
            segments = list(Segment.apply_style(segments, post_style=styles.cursor))
        if columns.title + columns.fixed == width:  # every cell accounted for
            return segments
        return list(Strip(segments).crop_extend(0, width, styles.base))

    def _row_styles(self) -> _RowStyles:
        """The styles of a row's parts, for the current focus (resolved on first use)."""
        focused = self.has_focus
        styles = self._styles.get(focused)
        if styles is None:
            base = self.rich_style
            unread = base + self.get_component_rich_style("post-list--unread", partial=True)

            def parts(row: Style) -> tuple[Style, Style, Style, Style, Style]:
                mark, date, title, author, tags = (
                    row + self.get_component_rich_style(f"post-list--{name}", partial=True)
                    for name in ("mark", "date", "title", "author", "tags")
                )
                return mark, date, title, author, tags

            styles = self._styles[focused] = _RowStyles(
                base=base,
                read=parts(base),
                unread=parts(unread),
                cursor=self.get_component_rich_style("post-list--cursor"),
            )
        return styles

    # -- events ----------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        """Repaint the two rows involved, scroll to the cursor and say so."""
        self._refresh_row(old)
        self._refresh_row(new)
        if 0 <= new < len(self._posts):
            self._scroll_to_cursor()
            self.post_message(self.Highlighted(self, self._posts[new], new))

    def validate_cursor(self, cursor: int) -> int:
        """Keep the cursor on a row (or -1 with no rows)."""
        if not self._posts:
            return -1
        return max(0, min(cursor, len(self._posts) - 1))

    def on_focus(self) -> None:
        """The cursor row brightens."""
        self._refresh_row(self.cursor)

    def on_blur(self) -> None:
        """The cursor row dims."""
        self._refresh_row(self.cursor)

    def on_resize(self) -> None:
        """Keep the cursor visible when the height changes."""
        self._scroll_to_cursor()

    def on_click(self, event: events.Click) -> None:
        """A click moves the cursor; a double click opens the post."""
        index = self.scroll_offset.y + event.y
        if 0 <= index < len(self._posts):
            self.cursor = index
            if event.chain >= 2:
                self.action_select()

    # -- actions ---------------------------------------------------------------------------

    def action_select(self) -> None:
        """Post ``Selected`` for the post under the cursor."""
        post = self.highlighted_post
        if post is not None:
            self.post_message(self.Selected(self, post, self.cursor))

    def action_cursor_down(self) -> None:
        """Move to the next post."""
        self.cursor += 1

    def action_cursor_up(self) -> None:
        """Move to the previous post."""
        if self.cursor > 0:
            self.cursor -= 1

    def action_page_down(self) -> None:
        """Move one page down."""
        self.cursor += max(1, self.scrollable_content_region.height - 1)

    def action_page_up(self) -> None:
        """Move one page up."""
        self.cursor = max(0, self.cursor - max(1, self.scrollable_content_region.height - 1))

    def action_first(self) -> None:
        """Move to the first post."""
        self.cursor = 0

    def action_last(self) -> None:
        """Move to the last post."""
        self.cursor = len(self._posts) - 1

    # -- helpers ---------------------------------------------------------------------------

    def _set_row_count(self, rows: int) -> None:
        """Set the virtual height, without a screen layout when the scrollbar stays as it is.

        ``virtual_size`` is a layout reactive: assigning it re-arranges the whole screen,
        which costs more than drawing the list. Only the scrollbar's presence can change
        the layout, so when it does not, the size is set quietly and the scrollbar told.
        """
        height = self.scrollable_content_region.height
        old = self.virtual_size.height
        if not self.is_mounted or height <= 0 or (old > height) != (rows > height):
            self.virtual_size = Size(0, rows)
            return
        self.set_reactive(PostList.virtual_size, Size(0, rows))
        if self.show_vertical_scrollbar:
            bar = self.vertical_scrollbar
            if same_thumb(bar, bar.window_virtual_size, rows):
                # Redrawing the bar costs as much as drawing the rows.
                bar.set_reactive(ScrollBar.window_virtual_size, rows)
            else:
                bar.window_virtual_size = rows
        if self.scroll_y > self.max_scroll_y:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)

    def _refresh_row(self, index: int) -> None:
        """Repaint one row if it is on screen."""
        y = index - self.scroll_offset.y
        if 0 <= y < self.size.height:
            self.refresh_line(index)  # ScrollView's: takes the row, subtracts the scroll

    def _scroll_to_cursor(self) -> None:
        """Scroll the least needed so the cursor row is visible."""
        height = self.scrollable_content_region.height
        if self.cursor < 0 or height <= 0:
            return
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)
