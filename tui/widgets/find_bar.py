"""The reader's find bar: words or a phrase to find in the open post."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from tui.corpus.query import Query, QueryError, parse_query
from tui.widgets.ordered_keys import OrderedInput


class FindBar(Vertical):
    """An input for words and phrases (as the filter takes them), shown by ``/``.

    Enter posts :class:`FindBar.Submitted` with the parsed words; Escape posts
    :class:`FindBar.Closed`. Text that holds no word to find shows why under the input.
    """

    DEFAULT_CSS = """
    FindBar {
        height: auto;
        display: none;
    }
    FindBar > #find-error {
        color: $error;
        height: auto;
    }
    """

    HELP = "## Find bar"
    """The heading of its keys in the help screen (not its class's name)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", tooltip="Close the find bar.", id="find.close"),
    ]

    @dataclass
    class Submitted(Message):
        """Words to find were entered."""

        query: Query

    class Closed(Message):
        """The bar was closed without a search."""

    def compose(self) -> ComposeResult:
        """The input and its error line."""
        yield OrderedInput(placeholder='find in this post: words or a "phrase"', id="find-input")
        yield Static("", id="find-error", markup=False)

    @property
    def input(self) -> Input:
        """The text input."""
        return self.query_one("#find-input", Input)

    def open(self) -> None:
        """Show the bar and put the cursor in it."""
        self.display = True
        self.query_one("#find-error", Static).update("")
        self.screen.set_focus(self.input)  # now: the keys typed next are routed to it

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Parse the words; post them, or say why there is nothing to find."""
        event.stop()
        try:
            query = parse_query(event.value)
        except QueryError as error:
            self.query_one("#find-error", Static).update(str(error))
            return
        if not query.has_text_terms:
            self.query_one("#find-error", Static).update("Type a word or a phrase to find.")
            return
        self.display = False
        self.post_message(self.Submitted(query))

    def action_close(self) -> None:
        """Hide the bar."""
        self.display = False
        self.post_message(self.Closed())
