"""Keys that arrive in one read act in the order they were typed, where they were typed.

Textual (8.2.8) inserts a typed character in the widget's own key handler, but runs a
bound key (backspace, the arrows, ctrl+u, enter) only once its event has bubbled up to
the app. Keys that arrive in one read, as they do over a slow SSH link or while the app
is busy, are then applied out of order: ``abc⌫d←e`` gives ``abcd`` instead of ``abed``,
and ``ctrl+u`` followed by a new query erases the new query (textualize/textual#6605).
`OrderedInput` and `OrderedTextArea` run their own bindings, and those of the
containers around them (the filter bar's history keys), as the key reaches them, before
the next key, as the upstream fix proposes for the widget's own (textualize/textual#6631).

The same reads go wrong around a key that moves the focus. Textual routes every key of a
read to the widget focused when the read came, and runs a binding once its key has
bubbled back up, with the bindings of wherever the focus is *then*: ``/daily`` typed in
the reader opened the find bar, but ``d`` went to the reader's keys and asked to delete
the current highlight, and ``y`` answered yes. `OrderedKeysApp` runs the binding of a
key bound for a widget that takes no text as it routes the key, so a key that moves the
focus has moved it before the next key is routed; `TypedAheadDialog` hands the keys
that reach a dialog before its field has the focus to that field.

A binding may also act through a message (the list's Enter posts ``Selected``, and the
library opens the reader when it gets it) or open a screen that is not mounted yet: the
keys typed with it (``enter /water enter``) reached the library's filter bar instead of
the reader's find. So the keys that come after a binding are held until the messages it
posted have gone through the focused widget and its containers and the screen that is
then on top is mounted, and only then routed, in order.

A dialog that comes up unasked (the offer of last time's drafts, after the list) must
not take the keys typed for what was under it: an Enter meant for the list answered it.
It waits until no key has been read for `UNASKED_QUIET_S` (`OrderedKeysApp.keys_rest_in`),
and drops the keys read before it had been on the screen for `UNASKED_READ_S`
(`UnaskedDialog`).
"""

from __future__ import annotations

from collections import deque
from functools import partial
from time import monotonic
from typing import Any, ClassVar, TypeVar

from textual import events
from textual.app import App
from textual.message_pump import MessagePump
from textual.screen import ModalScreen, Screen
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


async def route_key(app: App[Any], event: events.Key) -> bool:
    """Run the binding of a key the app is about to route to a widget that takes no text
    (a list, the reader's view, a choice, a dialog not focused yet) now, as Textual
    would once the key bubbled back up (the same bindings: `App._check_bindings`, priority
    first); whether one ran. Keys for a text field are left to it."""
    target = app.focused or app.screen
    if isinstance(target, (Input, TextArea)) or app.screen.maximized is not None:
        return False
    app.app_focus = True
    return await app._check_bindings(event.key, priority=True) or await app._check_bindings(
        event.key
    )


ResultT = TypeVar("ResultT")

UNASKED_QUIET_S = 1.0
"""How long no key must have been read before a dialog comes up unasked."""

UNASKED_READ_S = 0.5
"""How long an unasked dialog is on the screen before a key can answer it: a key read
sooner was typed before it could be read (a reaction to it takes longer)."""


class UnaskedDialog:
    """A screen that comes up without a key asking for it (mixed into a `ModalScreen`):
    `OrderedKeysApp` drops the keys read before `keys_from` while it is on top."""

    keys_from: float = float("inf")
    """The time (`time.monotonic`, Textual's stamp of an `events.Key` on POSIX) from
    which keys reach it: none until it is mounted, then `UNASKED_READ_S` after."""

    def on_mount(self) -> None:
        """Take keys from `UNASKED_READ_S` from now."""
        self.keys_from = monotonic() + UNASKED_READ_S


class OrderedKeysApp(App[ResultT]):
    """An app whose keys run their bindings as they are routed (see `route_key`), the
    keys after a binding held until what it set going has settled (see the module)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held_keys: deque[events.Key] = deque()
        self._settling = False
        """A binding ran and what it posted is still on its way: keys wait in `_held_keys`."""
        self._last_key_time = float("-inf")

    def keys_rest_in(self) -> float:
        """Seconds until no key will have been read for `UNASKED_QUIET_S` (0 when none
        was); safe to call from a thread."""
        return max(0.0, self._last_key_time + UNASKED_QUIET_S - monotonic())

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            self._last_key_time = max(self._last_key_time, event.time)
            if self._settling or self._held_keys:
                self._held_keys.append(event)
                return
            await self._route(event)
            return
        await super().on_event(event)

    async def _route(self, event: events.Key) -> None:
        before = self.screen
        if isinstance(before, UnaskedDialog) and event.time < before.keys_from:
            return  # typed for the screen under it (see `UnaskedDialog`)
        if await route_key(self, event):
            self._settle(before)
        else:
            await super().on_event(event)

    def _settle(self, before: Screen[Any]) -> None:
        """Hold the keys until the focused widget, its containers and the screen have
        handled what is in their queues now (what the binding posted, passed up), then,
        if the binding changed the screen on top (``before`` was), until it is mounted."""
        self._settling = True
        focused = self.focused
        chain: list[MessagePump] = []
        if focused is not None:
            screen = focused.screen
            chain = [node for node in focused.ancestors_with_self if node is not self]
            chain = chain[: chain.index(screen) + 1] if screen in chain else chain
        self._after(chain, partial(self._settled, before))

    def _after(self, chain: list[MessagePump], then: Any) -> None:
        """Call ``then`` in this app's turn once each pump of ``chain`` in turn has handled
        the messages before it (a pump that is closed is passed over)."""
        for index, pump in enumerate(chain):
            if pump.call_later(self._after, chain[index + 1 :], then):
                return
        self.call_later(then)

    async def _settled(self, seen: Screen[Any]) -> None:
        """Route the held keys, once the screen on top has had a turn since it was seen
        there: a screen's queue runs once it is mounted, and what its mounting handed to
        the app (a focus) comes before this (a closed screen is passed over). The screen
        the keys were typed on, still on top, needs no turn (the common case: a move)."""
        screen = self.screen
        if screen is not seen and screen.call_later(self.call_later, self._settled, screen):
            return
        self._settling = False
        while self._held_keys and not self._settling:
            await self._route(self._held_keys.popleft())


class TypedAheadDialog(ModalScreen[ResultT]):
    """A dialog whose field takes the keys typed before it has the focus (with the key
    that opened it, in one read), in order, rather than losing them."""

    FIELD: ClassVar[str] = ""
    """The selector of the field that takes them."""

    async def _on_key(self, event: events.Key) -> None:
        if self.focused is None and self.FIELD:
            field = self.query(self.FIELD).first()
            self.set_focus(field)
            event.stop()
            field._forward_event(events.Key(event.key, event.character))
            return
        await super()._on_key(event)


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
