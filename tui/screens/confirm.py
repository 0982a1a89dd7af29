"""ConfirmScreen: a yes/no question that answers True or False."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button

from tui.widgets.ordered_keys import UnaskedDialog
from tui.widgets.wrapped_text import WrappedText


class ConfirmScreen(ModalScreen[bool]):
    """Ask a yes/no question; ``y``/Enter on Yes answer True, ``n``/escape False.

    Args:
        question: The question, plain text (never parsed as markup: it may quote a post).
        yes: The label of the button that confirms.
        no: The label of the button that declines.
        default_yes: Focus the confirming button (only where answering yes loses nothing).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", tooltip="Answer yes.", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", tooltip="Answer no.", id="confirm.no"),
        Binding(
            "left,right",
            "app.focus_next",
            "Switch",
            show=False,
            tooltip="Move between the buttons.",
        ),
    ]

    def __init__(
        self, question: str, *, yes: str = "Yes", no: str = "No", default_yes: bool = False
    ) -> None:
        super().__init__(classes="dialog")
        self.question = question
        """The question asked."""
        self._yes = yes
        self._no = no
        self._default_yes = default_yes

    def compose(self) -> ComposeResult:
        """A question over two buttons."""
        with Vertical(id="confirm-box", classes="dialog-box"):
            lines = [(line, "") for line in self.question.split("\n")]
            yield WrappedText(lines, id="confirm-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(Content(self._yes), variant="error", id="confirm-yes")
                yield Button(Content(self._no), variant="primary", id="confirm-no")

    def on_mount(self) -> None:
        """Focus "No" unless told otherwise: Enter by habit must not destroy anything."""
        self.query_one("#confirm-yes" if self._default_yes else "#confirm-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Answer with the button pressed."""
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, value: bool) -> None:
        """Answer ``value``."""
        self.dismiss(value)


class UnaskedConfirmScreen(UnaskedDialog, ConfirmScreen):
    """A `ConfirmScreen` that comes up without a key asking for it: keys typed for the
    screen under it do not answer it (see `UnaskedDialog`)."""
