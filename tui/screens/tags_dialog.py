"""TagsDialog: edit a highlight's tags as comma-separated text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label

from annotations.model import clean_tags
from tui.widgets.ordered_keys import OrderedInput, TypedAheadDialog


def parse_tags(text: str) -> tuple[str, ...]:
    """The comma-separated tags typed, cleaned (`clean_tags`)."""
    return clean_tags(text.split(","))


class TagsDialog(TypedAheadDialog[tuple[str, ...] | None]):
    """Ask for tags; Enter answers the parsed tags, escape None (no change).

    Args:
        tags: The current tags, shown for editing.
    """

    FIELD = "#tags-input"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            tooltip="Close without changing the tags.",
            id="tags.cancel",
        ),
    ]

    def __init__(self, tags: Sequence[str] = ()) -> None:
        super().__init__(classes="dialog")
        self._tags = tuple(tags)

    def compose(self) -> ComposeResult:
        """A label over one input."""
        with Vertical(id="tags-box", classes="dialog-box"):
            yield Label("Tags, separated by commas (Enter saves, Esc cancels)")
            yield OrderedInput(
                ", ".join(self._tags), placeholder="e.g. quote, todo", id="tags-input"
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Answer the tags typed."""
        event.stop()
        self.dismiss(parse_tags(event.value))

    def action_cancel(self) -> None:
        """Close without changing anything."""
        self.dismiss(None)
