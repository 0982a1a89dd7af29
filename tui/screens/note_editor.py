"""NoteEditor: type a highlight's note; every change is kept as a draft on disk."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Label, TextArea

from tui.drafts import Draft, DraftStore
from tui.render import sanitize
from tui.render.cells import fit
from tui.screens.confirm import ConfirmScreen
from tui.widgets.key_bar import KeyBar
from tui.widgets.ordered_keys import OrderedTextArea, TypedAheadDialog
from tui.widgets.wrapped_text import WrappedText

DRAFT_DELAY = 0.5
"""Seconds of typing pause before the draft is written (a crash loses at most this)."""

QUOTE_CELLS = 150
"""The quote over the note is cut to this many cells (with …): four lines hold it at 60
columns, the smallest terminal supported, so it is never clipped unmarked."""


class NoteEditor(TypedAheadDialog[str | None]):
    """Edit a note; ``ctrl+s`` (or ``alt+s``, F2) answers the text, escape None.

    Escape asks before throwing away text that was typed. While the editor is open,
    the text is saved as a draft (``draft.key``) after every pause in typing, so a crash,
    a closed terminal or a kill leaves it on disk to be offered again.

    Args:
        text: The text to edit.
        original: The note as stored, when ``text`` comes from a draft (escape then asks).
        quote: The highlighted text, shown above the editor.
        drafts: Where drafts are kept (None: no drafts, e.g. in a read-only store).
        draft: What the draft records besides the text (post, annotation, offsets).
    """

    FIELD = "#note-text"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True, tooltip="Save the note.", id="note.save"),
        Binding(
            "alt+s,f2,ctrl+enter",
            "save",
            "Save",
            show=False,
            priority=True,
            tooltip="Save the note.",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            priority=True,
            tooltip="Close; asks before discarding typed text.",
        ),
    ]

    def __init__(
        self,
        text: str = "",
        *,
        original: str | None = None,
        quote: str = "",
        drafts: DraftStore | None = None,
        draft: Draft | None = None,
    ) -> None:
        super().__init__(classes="dialog")
        self.initial_text = text if original is None else original
        """The note as stored (nothing to lose while the text equals it)."""
        self._text = text
        self._quote = quote
        self._drafts = drafts
        self._draft = draft
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        """The quote, the editor, the keys."""
        with Vertical(id="note-box", classes="dialog-box"):
            # The mark in a column of its own: a Chinese quote is one word to the wrapper,
            # which would leave the mark alone on the first line.
            quote = fit(" ".join(sanitize(self._quote).split()), QUOTE_CELLS).rstrip()
            with Horizontal(id="note-quote"):
                yield Label(">", id="note-quote-mark")
                yield WrappedText([(quote, "")], id="note-quote-text")
            yield OrderedTextArea(
                self._text, id="note-text", soft_wrap=True, show_line_numbers=False
            )
            yield Label("ctrl+s / alt+s / F2 save · Esc cancel", id="note-keys")
        yield KeyBar()

    def on_mount(self) -> None:
        """Put the cursor at the end of the text."""
        area = self.query_one("#note-text", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        if self._text != self.initial_text:
            # Text restored from a draft: keep it on disk again until it is saved.
            self._remember(self._text)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        """Remember the text now, write it after a pause in typing."""
        event.stop()
        self._remember(event.text_area.text)

    def flush_pending(self) -> None:
        """Write the draft now (called by ``tui.lifecycle`` on SIGHUP/SIGTERM)."""
        if self._drafts is not None:
            self._drafts.flush()

    @property
    def text(self) -> str:
        """The text in the editor."""
        return self.query_one("#note-text", TextArea).text

    def action_save(self) -> None:
        """Answer the text (the caller saves it, then discards the draft)."""
        self._flush_now()
        self.dismiss(self.text)

    def action_cancel(self) -> None:
        """Close, asking first when typed text would be lost."""
        if self.text == self.initial_text:
            self._discard_draft()
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self._discard_draft()
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen("Discard the text you typed?", yes="Discard", no="Keep editing"), answered
        )

    def _remember(self, text: str) -> None:
        if self._drafts is None or self._draft is None:
            return
        self._drafts.update(replace(self._draft, text=text, saved=""))
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DRAFT_DELAY, self._write_draft)

    def _write_draft(self) -> None:
        self._timer = None
        self._flush()

    def _flush(self) -> None:
        """Write the drafts file off the event loop.

        The worker belongs to the app, not this screen: a screen's workers are cancelled
        when it is dismissed, and a draft write must never be dropped.
        """
        if self._drafts is not None:
            self.app.run_worker(
                self._drafts.flush,
                thread=True,
                group="drafts",
                exit_on_error=False,
                description="save draft",
            )

    def _flush_now(self) -> None:
        """Write a pending draft before answering, so a failed save still leaves it."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
            self._flush()

    def _discard_draft(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._drafts is not None and self._draft is not None:
            self.app.run_worker(
                partial(self._drafts.discard, self._draft.key),
                thread=True,
                group="drafts",
                exit_on_error=False,
                description="discard draft",
            )
