"""ExportDialog: choose a format and a file, then write the shown annotations."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Label, RadioButton, RadioSet

from annotations.model import Annotation
from tui.screens.confirm import ConfirmScreen
from tui.widgets.ordered_keys import OrderedInput, TypedAheadDialog

ExportFormat = Literal["markdown", "json", "csv", "jsonld"]
FORMATS: tuple[ExportFormat, ...] = ("markdown", "json", "csv", "jsonld")
"""The formats offered, in the order shown."""
EXTENSIONS: dict[ExportFormat, str] = {
    "markdown": ".md",
    "json": ".json",
    "csv": ".csv",
    "jsonld": ".jsonld",
}
"""The file extension each format suggests."""
LABELS: dict[ExportFormat, str] = {
    "markdown": "Markdown",
    "json": "JSON (documents as stored)",
    "csv": "CSV (one row per annotation)",
    "jsonld": "JSON-LD (W3C Web Annotation)",
}


KEYS_HINT = "↑↓ format · Tab file · Enter export · Esc cancel"
"""The dialog's keys, under its title."""


class FormatChoice(RadioSet, inherit_bindings=False):
    """The format list: the arrows choose, as in a desktop dialog, and Enter is left to
    the dialog (export). Textual's RadioSet only moves a highlight with the arrows and
    takes Enter to choose, so Enter never exported from it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,right", "choose(1)", "Next format", show=False),
        Binding("up,left", "choose(-1)", "Previous format", show=False),
        Binding("space", "toggle_button", "Choose", show=False),
    ]

    def action_choose(self, step: int) -> None:
        """Choose the next (``1``) or previous (``-1``) format."""
        if step > 0:
            self.action_next_button()
        else:
            self.action_previous_button()
        self.action_toggle_button()


def default_path(fmt: ExportFormat, folder: Path | None = None) -> Path:
    """``postil-notes`` with the format's extension, in ``folder`` (the working folder)."""
    return (folder or Path.cwd()) / f"postil-notes{EXTENSIONS[fmt]}"


class ExportDialog(TypedAheadDialog[Path | None]):
    """Export annotations; answers the file written, or None when cancelled.

    Args:
        annotations: The annotations to export (those shown).
        orphans: Ids of the annotations whose quote was not found in their post.
        folder: Where the suggested file name points (the working folder by default).
    """

    VERTICAL_BREAKPOINTS = [(0, "-short"), (24, "-tall")]
    """Under 24 lines the screen has the class ``-short`` (reader.tcss tightens the box)."""

    FIELD = "#export-format"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape", "cancel", "Cancel", tooltip="Close without exporting.", id="export.cancel"
        ),
        Binding("enter", "export", "Export", tooltip="Write the file.", id="export.ok"),
    ]

    @dataclass
    class Written(Message):
        """The export was written (from a thread)."""

        path: Path

    @dataclass
    class Failed(Message):
        """The export could not be written; ``reason`` is one sentence (from a thread)."""

        reason: str
        exists: bool = False
        """True when the file exists and was not overwritten."""

    def __init__(
        self,
        annotations: Sequence[Annotation],
        *,
        orphans: Collection[str] = frozenset(),
        folder: Path | None = None,
    ) -> None:
        super().__init__(classes="dialog")
        self.annotations = list(annotations)
        """What will be exported."""
        self.orphans = frozenset(orphans)
        self._folder = folder

    def compose(self) -> ComposeResult:
        """Format choice, file name, buttons."""
        count = len(self.annotations)
        noun = "annotation" if count == 1 else "annotations"
        with Vertical(id="export-box", classes="dialog-box"):
            yield Label(Content(f"Export {count} {noun}"), id="export-title")
            yield Label(KEYS_HINT, id="export-keys", markup=False)
            with FormatChoice(id="export-format"):
                for index, fmt in enumerate(FORMATS):
                    yield RadioButton(LABELS[fmt], value=index == 0, id=f"format-{fmt}")
            yield Label("File")
            yield OrderedInput(str(default_path("markdown", self._folder)), id="export-path")
            yield Label("", id="export-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export", variant="primary", id="export-ok")
                yield Button("Cancel", id="export-cancel")

    def on_mount(self) -> None:
        """Start on the format choice."""
        self.query_one("#export-format", RadioSet).focus()

    @property
    def format(self) -> ExportFormat:
        """The chosen format."""
        pressed = self.query_one("#export-format", RadioSet).pressed_button
        name = (pressed.id or "") if pressed is not None else ""
        for fmt in FORMATS:
            if name == f"format-{fmt}":
                return fmt
        return "markdown"

    @on(RadioSet.Changed, "#export-format")
    def _format_changed(self) -> None:
        """Follow the format with the file's extension while it has a known one."""
        path_input = self.query_one("#export-path", Input)
        path = Path(path_input.value)
        if path.suffix in EXTENSIONS.values() or not path.suffix:
            path_input.value = str(path.with_suffix(EXTENSIONS[self.format]))

    @on(Button.Pressed, "#export-ok")
    @on(Input.Submitted, "#export-path")
    def _export_pressed(self, event: Message) -> None:
        event.stop()
        self.export(force=False)

    def action_export(self) -> None:
        """Write the export (Enter, from the format list too)."""
        self.export(force=False)

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        """Close without exporting."""
        self.dismiss(None)

    def export(self, *, force: bool) -> None:
        """Write the export (asks before overwriting an existing file)."""
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            self._error("Type the name of the file to write.")
            return
        self._write(Path(text).expanduser(), self.format, force)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False, description="export")
    def _write(self, path: Path, fmt: ExportFormat, force: bool) -> None:
        """Render and write off the event loop."""
        from annotations.export import export, write_export

        try:
            text = export(self.annotations, fmt, orphans=self.orphans)
            write_export(text, path, force=force)
        except FileExistsError:
            self.post_message(self.Failed(f"{path} already exists.", exists=True))
        except (OSError, ValueError) as error:
            self.post_message(self.Failed(_sentence(error)))
        else:
            self.post_message(self.Written(path))

    @on(Written)
    def _written(self, event: Written) -> None:
        self.dismiss(event.path)

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        if not event.exists:
            self._error(event.reason)
            return

        def answered(overwrite: bool | None) -> None:
            if overwrite:
                self.export(force=True)

        question = f"{event.reason} Overwrite it?"
        self.app.push_screen(ConfirmScreen(question, yes="Overwrite", no="Cancel"), answered)

    def _error(self, reason: str) -> None:
        label = self.query_one("#export-error", Label)
        label.update(Content(reason))
        label.display = True


def _sentence(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[0].upper() + text[1:] if text else text
