"""The problems screen: every file that did not load, with its path and the reason."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Label, Static

from tui.corpus.model import Problem
from tui.render.cells import clean_cell
from tui.widgets.key_bar import KeyBar


class ProblemsScreen(Screen[None]):
    """A scrollable table of problem files: path, kind and reason."""

    HELP = """
## Problems

Files that could not be read, each with the reason in one sentence (the whole path and
reason of the file under the cursor show under the table). Files marked *recovered* are
listed in the library anyway, with what could be read. Enter copies the file's path;
Escape goes back.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to the library.", id="problems.back"),
        Binding(
            "enter,y",
            "copy_path",
            "Copy path",
            tooltip="Copy the file's path to the clipboard.",
            id="problems.copy",
        ),
    ]

    def __init__(self, problems: Sequence[Problem]) -> None:
        """Build the screen.

        Args:
            problems: The problems the loader reported.
        """
        super().__init__()
        self.problems: list[Problem] = list(problems)
        """The problems listed, in path order."""
        self.problems.sort(key=lambda problem: problem.path)

    def compose(self) -> ComposeResult:
        """A heading, the table, the footer."""
        count = len(self.problems)
        noun = "file" if count == 1 else "files"
        yield Label(f"{count} {noun} did not load properly", id="problems-title")
        yield DataTable(id="problems-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="problem-detail", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        """Fill the table (file text never passes through markup)."""
        table = self.query_one("#problems-table", DataTable)
        table.add_columns("Path", "Kind", "Reason")
        for index, problem in enumerate(self.problems):
            kind = f"{problem.kind} (recovered)" if problem.recovered else problem.kind
            table.add_row(
                Text(clean_cell(problem.path)),
                Text(kind),
                Text(clean_cell(problem.reason)),
                key=str(index),
            )
        table.focus()

    @property
    def current(self) -> Problem | None:
        """The problem under the cursor."""
        table = self.query_one("#problems-table", DataTable)
        if 0 <= table.cursor_row < len(self.problems):
            return self.problems[table.cursor_row]
        return None

    def action_back(self) -> None:
        """Back to the library."""
        self.dismiss()

    def action_copy_path(self) -> None:
        """Copy the current file's path (OSC 52, through tmux too)."""
        problem = self.current
        if problem is None:
            return
        from tui.clipboard import copy_text

        result = copy_text(self.app, problem.path)
        self.notify(result.message, markup=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Under the table, the whole path and reason of the row under the cursor (the
        table cuts them to its columns)."""
        problem = self.current
        detail = self.query_one("#problem-detail", Static)
        if problem is not None:
            detail.update(Text(f"{clean_cell(problem.path)}\n{clean_cell(problem.reason)}"))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row copies its path."""
        event.stop()
        self.action_copy_path()
