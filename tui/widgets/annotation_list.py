"""AnnotationList: every annotation as a three-line entry (quote, note, post), drawn lazily.

A line-API list: only the entries on screen are drawn, so thousands of annotations list
and re-filter at once (OptionList measured 1-2 s for 3,000 three-line entries: it wraps
every prompt to know its height; here every entry is exactly three lines).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from annotations.model import Annotation
from tui.render import sanitize

ENTRY_LINES = 3
"""Lines per entry: the quote, the note (blank without one), the post."""
SWATCHES: dict[str, str] = {
    "yellow": "#ffd700",
    "green": "#3cb371",
    "blue": "#1e90ff",
    "pink": "#ff69b4",
    "purple": "#9370db",
}
"""A Rich colour for each palette name (the mark left of the quote)."""


def one_line(text: str, limit: int = 400) -> str:
    """Untrusted text on one line: controls removed, whitespace collapsed, cut to ``limit``."""
    text = " ".join(sanitize(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def entry_lines(
    ann: Annotation, *, is_orphan: bool, is_unplaced: bool = False
) -> tuple[str, str, str]:
    """The three plain lines of an entry (what is drawn, without styles)."""
    quote = f"“{one_line(ann.target.exact)}”"
    note = f"✎ {one_line(ann.note)}" if ann.note else ""
    meta = [one_line(ann.post.title, 120) or ann.post.path]
    if ann.post.date:
        meta.append(ann.post.date[:10])
    if ann.tags:
        meta.append(" ".join(f"#{one_line(tag, 40)}" for tag in ann.tags))
    if is_orphan:
        meta.append("orphan: not found in the post")
    if is_unplaced:
        meta.append(f"unplaced: no post matches {one_line(ann.post.source or '', 80) or 'it'}")
    return quote, note, " · ".join(meta)


class AnnotationList(ScrollView, can_focus=True):
    """A virtual list of annotations with a cursor; Enter (or a click) selects one."""

    DEFAULT_CSS = """
    AnnotationList {
        height: 1fr;
        overflow-x: hidden;
        & > .annotation-list--cursor { background: $block-cursor-background; text-style: bold; }
        & > .annotation-list--note { color: $text-secondary; }
        & > .annotation-list--meta { color: $text-muted; }
        & > .annotation-list--orphan { color: $text-warning; }
    }
    """

    HELP = "## The list"
    """The heading of its keys in the help screen (not its class's name)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open", tooltip="Open the post at this highlight."),
        Binding("down,j", "cursor(1)", "Down", show=False, tooltip="Next annotation."),
        Binding("up,k", "cursor(-1)", "Up", show=False, tooltip="Previous annotation."),
        Binding("pagedown,space", "page(1)", "Page down", show=False, tooltip="One page down."),
        Binding("pageup,b", "page(-1)", "Page up", show=False, tooltip="One page up."),
        Binding("home,g", "first", "First", show=False, tooltip="First annotation."),
        Binding("end,G", "last", "Last", show=False, tooltip="Last annotation."),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "annotation-list--cursor",
        "annotation-list--note",
        "annotation-list--meta",
        "annotation-list--orphan",
    }

    cursor: reactive[int] = reactive(0, repaint=False)
    """Index of the highlighted entry."""

    @dataclass
    class Selected(Message):
        """An annotation was chosen (Enter or a click on the current entry)."""

        annotation_list: AnnotationList
        annotation: Annotation

        @property
        def control(self) -> AnnotationList:
            """The list the annotation was chosen in."""
            return self.annotation_list

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.shown: list[Annotation] = []
        """The annotations listed, in order."""
        self._orphans: frozenset[str] = frozenset()
        self._unplaced: frozenset[str] = frozenset()
        self._cache: LRUCache[tuple[int, int, bool], Strip] = LRUCache(256)

    # -- public ----------------------------------------------------------------------------

    def show(
        self,
        annotations: Sequence[Annotation],
        orphans: Collection[str],
        unplaced: Collection[str] = (),
    ) -> None:
        """List ``annotations`` (orphans and unplaced ones marked), keeping the cursor on
        the same one."""
        previous = self.current.id if self.current is not None else None
        self.shown = list(annotations)
        self._orphans = frozenset(orphans)
        self._unplaced = frozenset(unplaced)
        self._cache.clear()
        ids = [ann.id for ann in self.shown]
        self.set_reactive(AnnotationList.cursor, ids.index(previous) if previous in ids else 0)
        self.virtual_size = Size(
            self.scrollable_content_region.width, len(self.shown) * ENTRY_LINES
        )
        self._reveal()
        self.refresh()

    @property
    def current(self) -> Annotation | None:
        """The annotation under the cursor."""
        if 0 <= self.cursor < len(self.shown):
            return self.shown[self.cursor]
        return None

    def entry_text(self, index: int) -> str:
        """The plain text of entry ``index`` (its three lines joined by newlines)."""
        return "\n".join(self._lines(self.shown[index]))

    # -- handlers and actions --------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        """Redraw the two entries and keep the cursor visible."""
        self._cache.clear()
        self._reveal()
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        """Entries are cut to the width: redraw them."""
        self._cache.clear()
        self.virtual_size = Size(
            self.scrollable_content_region.width, len(self.shown) * ENTRY_LINES
        )

    def on_click(self, event: events.Click) -> None:
        """A click moves the cursor; a click on the current entry opens it."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = (int(self.scroll_offset.y) + offset.y) // ENTRY_LINES
        if not 0 <= index < len(self.shown):
            return
        if index == self.cursor or event.chain > 1:
            self.action_select()
        self.cursor = index

    def action_cursor(self, delta: int) -> None:
        """Move the cursor by ``delta`` entries."""
        self._move(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        """Move the cursor by a page."""
        per_page = max(1, self.scrollable_content_region.height // ENTRY_LINES)
        self._move(self.cursor + direction * per_page)

    def action_first(self) -> None:
        """Go to the first entry."""
        self._move(0)

    def action_last(self) -> None:
        """Go to the last entry."""
        self._move(len(self.shown) - 1)

    def action_select(self) -> None:
        """Choose the annotation under the cursor."""
        if self.current is not None:
            self.post_message(self.Selected(self, self.current))

    # -- rendering -------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        """Draw one line of one entry (only entries on screen are ever drawn)."""
        width = self.scrollable_content_region.width
        line = int(self.scroll_offset.y) + y
        index, part = divmod(line, ENTRY_LINES)
        if not 0 <= index < len(self.shown):
            return Strip.blank(width, self.rich_style)
        key = (line, width, index == self.cursor)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render_part(index, part, width)
            self._cache[key] = strip
        return strip

    def _render_part(self, index: int, part: int, width: int) -> Strip:
        ann = self.shown[index]
        is_orphan = ann.id in self._orphans or ann.id in self._unplaced
        lines = self._lines(ann)
        text = Text(no_wrap=True, end="")
        if part == 0:
            text.append("▌ ", Style(color=SWATCHES.get(ann.color, "yellow"), bold=True))
            text.append(lines[0], Style(bold=True))
        else:
            text.append("  ")
            name = "annotation-list--note" if part == 1 else "annotation-list--meta"
            if part == 2 and is_orphan:
                name = "annotation-list--orphan"
            text.append(lines[part], self.get_component_rich_style(name, partial=True))
        # Cut and pad first, so the row's background and the cursor span the whole width.
        text.truncate(width, overflow="ellipsis", pad=True)
        text.stylize_before(self.rich_style)
        if index == self.cursor:
            text.stylize(self.get_component_rich_style("annotation-list--cursor", partial=True))
        return Strip(text.render(self.app.console), width).crop_extend(0, width, self.rich_style)

    # -- private ---------------------------------------------------------------------------

    def _lines(self, ann: Annotation) -> tuple[str, str, str]:
        return entry_lines(
            ann, is_orphan=ann.id in self._orphans, is_unplaced=ann.id in self._unplaced
        )

    def _move(self, index: int) -> None:
        if self.shown:
            self.cursor = max(0, min(index, len(self.shown) - 1))

    def _reveal(self) -> None:
        """Scroll so the cursor's entry is fully visible."""
        height = self.scrollable_content_region.height
        if height <= 0 or not self.shown:
            return
        top = self.cursor * ENTRY_LINES
        y = int(self.scroll_offset.y)
        if top < y:
            self.scroll_to(y=top, animate=False, immediate=True, force=True)
        elif top + ENTRY_LINES > y + height:
            self.scroll_to(y=top + ENTRY_LINES - height, animate=False, immediate=True, force=True)
