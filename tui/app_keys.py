"""The keys of the whole app, on every screen (the contract the e2e tests rely on)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

APP_BINDINGS: list[BindingType] = [
    Binding("q", "quit", "Quit", tooltip="Quit postil.", id="app.quit"),
    Binding(
        "question_mark", "help", "Help", tooltip="Show every key of this screen.", id="app.help"
    ),
    Binding(
        "ctrl+p",
        "command_palette",
        "Commands",
        show=False,
        tooltip="Open the command palette: open a post, filter, sort, export, theme.",
        id="app.palette",
    ),
    Binding(
        "ctrl+z",
        "suspend_process",
        "Suspend",
        show=False,
        tooltip="Suspend postil to the shell, as ctrl+z does elsewhere (fg brings it back).",
        id="app.suspend",
    ),
]
"""Quit, help, the command palette and ctrl+z (suspend to the shell; ``fg`` brings it back)."""
