"""Keys that arrive together (one read: a slow SSH link, a busy app) act in their order."""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.pilot import Pilot

from tui.widgets.ordered_keys import OrderedInput, OrderedTextArea

CHARACTERS = {"backspace": "\x7f", "enter": "\r", "ctrl+u": "\x15", "left": None, "up": None}


async def arrive_together(pilot: Pilot[None], *keys: str) -> None:
    """Post every key to the app before any is handled, as the driver does for one read."""
    for key in keys:
        character = CHARACTERS[key] if key in CHARACTERS else key
        pilot.app.post_message(events.Key(key, character))
    for _ in range(5):
        await pilot.pause()


class Recall(Vertical):
    """A container whose up key fills its input with a remembered text."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("up", "recall", "Recall")]

    def compose(self) -> ComposeResult:
        yield OrderedInput(id="input")

    def action_recall(self) -> None:
        self.query_one(OrderedInput).value = "tag:recalled "
        self.query_one(OrderedInput).cursor_position = len("tag:recalled ")


class InputApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Recall()

    def on_mount(self) -> None:
        self.query_one(OrderedInput).focus()


class AreaApp(App[None]):
    def compose(self) -> ComposeResult:
        yield OrderedTextArea(id="area")

    def on_mount(self) -> None:
        self.query_one(OrderedTextArea).focus()


async def test_backspace_and_arrows_act_where_they_were_typed() -> None:
    app = InputApp()
    async with app.run_test() as pilot:
        await arrive_together(pilot, "a", "b", "c", "backspace", "d", "left", "e")
        assert app.query_one(OrderedInput).value == "abed"


async def test_ctrl_u_then_a_new_query_keeps_the_new_query() -> None:
    app = InputApp()
    async with app.run_test() as pilot:
        await arrive_together(pilot, "o", "l", "d", "ctrl+u", "n", "e", "w")
        assert app.query_one(OrderedInput).value == "new"


async def test_a_containers_binding_acts_before_the_keys_after_it() -> None:
    app = InputApp()
    async with app.run_test() as pilot:
        await arrive_together(pilot, "x", "up", "y")
        assert app.query_one(OrderedInput).value == "tag:recalled y"


async def test_a_note_is_edited_in_the_order_it_was_typed() -> None:
    app = AreaApp()
    async with app.run_test() as pilot:
        await arrive_together(pilot, "a", "b", "enter", "c", "backspace", "d", "up", "x")
        assert app.query_one(OrderedTextArea).text == "axb\nd"  # up keeps the column
