"""An Input and a TextArea whose editing keys act in the order they were typed.

Textual (8.2.8) inserts a typed character in the widget's own key handler, but runs a
bound key (backspace, the arrows, ctrl+u, enter) only once its event has bubbled up to
the app. Keys that arrive in one read, as they do over a slow SSH link or while the app
is busy, are then applied out of order: ``abc⌫d←e`` gives ``abcd`` instead of ``abed``,
and ``ctrl+u`` followed by a new query erases the new query (textualize/textual#6605).
These widgets run their own bindings, and those of the containers around them (the
filter bar's history keys), as the key reaches them, before the next key, as the
upstream fix proposes for the widget's own (textualize/textual#6631); the screen's and
the app's bindings still run as Textual runs them.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget
from textual.widgets import Input, TextArea


async def run_binding_now(widget: Widget, event: events.Key) -> bool:
    """Run the binding that ``widget`` or a container of it within its screen has for
    the key of ``event``, the nearest first and only if it is enabled (as the app would
    run it when the event reached it); whether one ran."""
    if widget.check_consume_key(event.key, event.character):
        return False  # typed text: the widget's own handler inserts it
    screen = widget.screen
    for node in widget.ancestors_with_self:
        if node is screen:
            break
        for binding in node._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await widget.app.run_action(binding.action, node):
                event.stop()
                event.prevent_default()
                return True
    return False


class OrderedInput(Input):
    """`Input`, its editing keys applied in the order they were typed."""

    HELP = "## Editing keys"
    """The heading of its keys in the help screen (not its class's name)."""

    async def _on_key(self, event: events.Key) -> None:
        if not await run_binding_now(self, event):
            await super()._on_key(event)


class OrderedTextArea(TextArea):
    """`TextArea`, its editing keys applied in the order they were typed."""

    HELP = "## Editing keys"
    """The heading of its keys in the help screen (not its class's name)."""

    async def _on_key(self, event: events.Key) -> None:
        if not await run_binding_now(self, event):
            await super()._on_key(event)
