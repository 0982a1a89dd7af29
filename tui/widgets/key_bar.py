"""The key bar: one line at the bottom of a screen listing the keys that matter there.

It shows what Textual's ``Footer`` shows (the shown bindings of the focus chain, greyed
when unavailable, the command palette key on the right), but as one widget that draws a
line of text. Textual's ``Footer`` mounts a widget per key and rebuilds them all whenever
the bindings change (focus moves, a selection starts, the corpus arrives), which costs
tens of milliseconds at every such change; this bar only repaints its line.

When the line is too narrow it drops the palette key, then packs the keys closer, then
drops keys from the end of the list, but never the keys that leave a screen or the app
or show help (Back, Quit, Help...): they stay visible down to 60 columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

ESSENTIAL_ACTIONS: frozenset[str] = frozenset(
    {"quit", "help", "back", "close", "leave", "cancel", "save", "dismiss", "app.pop_screen"}
)
"""Actions whose key is never dropped for lack of room (leaving, quitting, help, saving)."""


@dataclass(frozen=True, slots=True)
class KeyItem:
    """One key as the bar shows it."""

    key: str
    """The key to simulate when the item is clicked."""
    display: str
    """How the key is shown (``⏎``, ``^p``, ``/``)."""
    description: str
    enabled: bool
    essential: bool
    tooltip: str


@dataclass(frozen=True, slots=True)
class Placed:
    """Where an item was drawn: cells ``start`` to ``end`` of the line."""

    item: KeyItem
    start: int
    end: int


def layout_keys(
    items: list[KeyItem], palette: KeyItem | None, width: int
) -> tuple[list[tuple[KeyItem, str, str]], tuple[KeyItem, str, str] | None]:
    """Choose the keys and spacing that fit ``width`` cells.

    Args:
        items: The keys in the order of the focus chain (focused widget first, app last).
        palette: The command palette key, shown on the right when there is room.
        width: The cells available.

    Returns:
        The chosen keys, each with its key text and its description text (padding
        included), and the palette key likewise, or None when it does not fit.
    """

    def roomy(item: KeyItem) -> tuple[KeyItem, str, str]:
        return (item, f" {item.display} ", f"{item.description} " if item.description else "")

    def tight(item: KeyItem) -> tuple[KeyItem, str, str]:
        return (item, f" {item.display}", f" {item.description}" if item.description else "")

    def cells(parts: list[tuple[KeyItem, str, str]]) -> int:
        return sum(cell_len(key) + cell_len(text) for _, key, text in parts)

    normal = [roomy(item) for item in items]
    if palette is not None:
        # The palette key sits at the right edge, after a one-cell separator.
        right = (palette, palette.display, f" {palette.description} ")
        if cells(normal) + 1 + cells([right]) <= width:
            return normal, right
    if cells(normal) <= width:
        return normal, None
    kept = list(items)
    while True:
        packed = [tight(item) for item in kept]
        if cells(packed) <= width:
            return packed, None
        droppable = [i for i, item in enumerate(kept) if not item.essential]
        if not droppable:
            return packed, None  # only essential keys: the line is cut at the edge
        del kept[droppable[-1]]


class KeyBar(Widget, can_focus=False):
    """The keys of the current screen on one line; a click presses the key."""

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyBar > .key-bar--separator {
        color: $foreground 20%;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-bar--key",
        "key-bar--description",
        "key-bar--separator",
    }
    """The key, its description, and the bar before the palette key."""

    ALLOW_SELECT = False

    def __init__(self, *, id: str | None = None) -> None:
        """Build the bar; it reads the screen's bindings when it draws."""
        super().__init__(id=id, markup=False)
        self._placed: list[Placed] = []

    def on_mount(self) -> None:
        """Repaint whenever the screen's bindings change (focus, check_action)."""
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        """Stop listening to the screen."""
        self.screen.bindings_updated_signal.unsubscribe(self)

    def on_click(self, event: events.Click) -> None:
        """Press the key under the pointer."""
        item = self._item_at(event.x)
        if item is not None and item.enabled:
            event.stop()
            self.app.simulate_key(item.key)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        """Show the key's description as a tooltip."""
        item = self._item_at(event.x)
        self.tooltip = item.tooltip if item is not None else None

    def render(self) -> Text:
        """The keys that fit, from plain strings (never markup)."""
        items, palette = self.items()
        width = self.size.width
        chosen, right = layout_keys(items, palette, width)
        key_style = self.get_component_rich_style("key-bar--key")
        text_style = self.get_component_rich_style("key-bar--description")
        dim = Style(dim=True)
        line = Text(no_wrap=True, overflow="crop", end="")
        placed: list[Placed] = []
        for item, key, description in chosen:
            start = line.cell_len
            line.append(key, key_style if item.enabled else key_style + dim)
            line.append(description, text_style if item.enabled else text_style + dim)
            placed.append(Placed(item, start, line.cell_len))
        if right is not None:
            item, key, description = right
            gap = width - line.cell_len - cell_len(key) - cell_len(description) - 1
            line.append(" " * max(0, gap))
            line.append("▏", self.get_component_rich_style("key-bar--separator"))
            start = line.cell_len
            line.append(key, key_style)
            line.append(description, text_style)
            placed.append(Placed(item, start, line.cell_len))
        self._placed = placed
        return line

    def items(self) -> tuple[list[KeyItem], KeyItem | None]:
        """The shown keys of the screen (one per action) and the command palette key."""
        screen = self.screen
        app = self.app
        active = screen.active_bindings
        seen: set[tuple[int, str]] = set()
        items: list[KeyItem] = []
        for node, binding, enabled, tooltip in active.values():
            if not binding.show:
                continue
            action = (id(node), binding.action)
            if action in seen:
                continue  # "escape,q" for one action: show its first key only
            seen.add(action)
            items.append(self._item(binding, enabled, tooltip or binding.description))
        palette: KeyItem | None = None
        if app.ENABLE_COMMAND_PALETTE:
            found = active.get(app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _, binding, enabled, tooltip = found
                palette = self._item(binding, enabled, tooltip or binding.description)
        return items, palette

    def _item(self, binding: Binding, enabled: bool, tooltip: str) -> KeyItem:
        return KeyItem(
            key=binding.key,
            display=self.app.get_key_display(binding),
            description=binding.description,
            enabled=enabled,
            essential=binding.action in ESSENTIAL_ACTIONS,
            tooltip=tooltip,
        )

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if screen is self.screen:
            self.refresh()

    def _item_at(self, x: int) -> KeyItem | None:
        for placed in self._placed:
            if placed.start <= x < placed.end:
                return placed.item
        return None
