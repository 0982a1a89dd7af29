"""ColorDialog: pick a highlight colour from the palette."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from annotations.model import COLORS
from tui.widgets.ordered_keys import TypedAheadDialog


class ColorDialog(TypedAheadDialog[str | None]):
    """Choose a colour; Enter (or its number key) answers it, escape None.

    Args:
        current: The highlight's colour now (selected when the dialog opens).
    """

    FIELD = "#color-list"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            tooltip="Close without changing the colour.",
            id="color.cancel",
        ),
        *[
            Binding(str(number), f"pick({number - 1})", color, show=False, tooltip=f"Pick {color}.")
            for number, color in enumerate(COLORS, start=1)
        ],
    ]

    def __init__(self, current: str = COLORS[0]) -> None:
        super().__init__(classes="dialog")
        self._current = current

    def compose(self) -> ComposeResult:
        """A label over the palette."""
        with Vertical(id="color-box", classes="dialog-box"):
            yield Label("Highlight colour (Enter picks, Esc cancels)")
            yield OptionList(
                *[
                    Option(
                        Content.assemble(("  ████  ", f"{color}"), f" {number} {color}"), id=color
                    )
                    for number, color in enumerate(COLORS, start=1)
                ],
                id="color-list",
            )

    def on_mount(self) -> None:
        """Select the current colour."""
        options = self.query_one("#color-list", OptionList)
        if self._current in COLORS:
            options.highlighted = COLORS.index(self._current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Answer the colour chosen."""
        event.stop()
        self.dismiss(event.option.id)

    def action_pick(self, index: int) -> None:
        """Answer the colour with number ``index + 1``."""
        self.dismiss(COLORS[index])

    def action_cancel(self) -> None:
        """Close without changing anything."""
        self.dismiss(None)
