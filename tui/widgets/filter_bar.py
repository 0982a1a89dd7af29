"""The filter bar: an Input for the query language, with completion, history and errors.

Enter parses the query (``tui.corpus.query.parse_query``). A valid query is posted as
:class:`FilterBar.Applied`; an invalid one shows its one-sentence error under the input and
posts nothing, so the list keeps what it showed. Up and down walk the query history, which
the bar reads when it is mounted and writes after each new query, in workers
(:func:`load_history`, :func:`save_history`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.suggester import Suggester
from textual.widgets import Input, Static

from tui import locations
from tui.widgets.ordered_keys import OrderedInput

if TYPE_CHECKING:
    from tui.corpus.query import Query

HISTORY_FILE = "query_history.json"
"""The history file's name in the user data folder."""
HISTORY_LIMIT = 200
"""Queries kept in the history (most recent last)."""
SAVE_DELAY = 0.05
"""Seconds between a new query and the history's write: a write at once would take the
GIL from the filter's frame."""

Completer = Callable[[str, str], Sequence[str]]
"""``(key, typed prefix) -> values`` most frequent first, quoted when needed
(``tui.corpus.facets.complete_values`` bound to the corpus index)."""

_LAST_TERM = re.compile(r'(?:^|\s)-?([a-z][a-z-]*)[:：]("?)([^"\s]*)$', re.IGNORECASE)
"""The term being typed at the end of the input: key, opening quote, partial value."""


class QuerySuggester(Suggester):
    """Completes the value of the trailing ``key:value`` term (``tag:``, ``author:``, ...)."""

    def __init__(self) -> None:
        """Start with nothing to complete; the screen sets a completer once the corpus loads."""
        # Case-sensitive at Textual's level, so the value comes as typed (the other terms
        # keep their case); folding is done here. The Input shows what was typed and the
        # rest of the suggestion, and Right puts in the whole suggestion: the value as the
        # corpus spells it ("tag:b" becomes "tag:BBC").
        super().__init__(use_cache=False, case_sensitive=True)
        self.completer: Completer | None = None
        """Where values come from; None offers nothing."""

    async def get_suggestion(self, value: str) -> str | None:
        """The input completed with the best matching value, or None."""
        return self.complete(value)

    def complete(self, value: str) -> str | None:
        """Synchronous core of :meth:`get_suggestion` (also used by tests)."""
        match = _LAST_TERM.search(value)
        if match is None or self.completer is None:
            return None
        key, quote, partial = match.group(1), match.group(2), match.group(3)
        if not partial and not quote:
            return None
        folded = partial.casefold()
        for candidate in self.completer(key, partial):
            bare = candidate[1:-1] if candidate.startswith('"') else candidate
            if bare.casefold().startswith(folded) and bare.casefold() != folded:
                # The value as the corpus spells it, quoted if it must be.
                if candidate.startswith('"') and not quote:
                    return value[: match.start(2)] + candidate
                return value[: match.start(3)] + bare + ('"' if quote else "")
        return None


def history_path() -> Path:
    """Where the query history is kept."""
    return locations.data_dir() / HISTORY_FILE


def load_history(path: Path | None = None) -> list[str]:
    """Read the query history (blocking: call from a worker); [] when missing or broken."""
    try:
        data = json.loads((path or history_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(data, list):
        return []
    return [item for item in data if isinstance(item, str)][-HISTORY_LIMIT:]


def save_history(history: Sequence[str], path: Path | None = None) -> None:
    """Write the query history atomically (blocking: call from a worker).

    Raises:
        OSError: When the file cannot be written.
    """
    from annotations.durable import atomic_write_bytes

    path = path or history_path()
    locations.ensure_private_dir(path.parent)
    data = json.dumps(list(history)[-HISTORY_LIMIT:], ensure_ascii=False, indent=0)
    atomic_write_bytes(path, data.encode("utf-8"))


class FilterBar(Vertical):
    """The query input and, under it, the error of the last query (if any)."""

    DEFAULT_CSS = """
    FilterBar {
        height: auto;
    }
    FilterBar > #filter-error {
        display: none;
    }
    FilterBar.-has-error > #filter-error {
        display: block;
    }
    """

    HELP = """
## Filter bar

Type a query and press Enter. Terms are separated by spaces and must all hold:
`tag:X`, `cat:X`, `author:X`, `site:example.com`, `date:2023-10`,
`date:2023-01..2023-06`, `after:D`, `before:D`, `has:notes`, `has:highlights`,
`is:read`, `is:unread`, bare words and `"a phrase"`. A comma means OR (`tag:a,b`),
a leading `-` negates a term. Right arrow accepts a completion; up and down walk
the history.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "up",
            "history(-1)",
            "Older query",
            show=False,
            tooltip="The previous query.",
            id="filter.older",
        ),
        Binding(
            "down",
            "history(1)",
            "Newer query",
            show=False,
            tooltip="The next query.",
            id="filter.newer",
        ),
        Binding(
            "tab",
            "complete",
            "Complete",
            show=False,
            tooltip="Accept the completion shown (without one, Tab moves on as usual).",
            id="filter.complete",
        ),
        Binding(
            "escape",
            "leave",
            "Back to list",
            tooltip="Clear the error and go back to the list.",
            id="filter.leave",
        ),
    ]

    error: reactive[str | None] = reactive(None)
    """The last query's error sentence; None when it parsed."""

    @dataclass
    class Applied(Message):
        """A query parsed and should be shown."""

        filter_bar: FilterBar
        text: str
        query: Query

        @property
        def control(self) -> FilterBar:
            """The filter bar that sent the message."""
            return self.filter_bar

    @dataclass
    class Left(Message):
        """The user left the bar (Escape): focus goes back to the list."""

        filter_bar: FilterBar

        @property
        def control(self) -> FilterBar:
            """The filter bar that sent the message."""
            return self.filter_bar

    def __init__(self, *, id: str | None = None) -> None:
        """Build an empty bar."""
        super().__init__(id=id)
        self.suggester = QuerySuggester()
        self.history: list[str] = []
        """Past queries, oldest first."""
        self._history_index: int | None = None
        self._history_saves = 0
        """How many writes of the history were asked for (only the last one writes)."""
        self.applied_text = ""
        """The text of the query currently applied."""

    def compose(self) -> ComposeResult:
        """The input and the (hidden) error line."""
        yield OrderedInput(
            placeholder="/ to filter: tag:X author:X date:2023 is:unread words…",
            suggester=self.suggester,
            id="filter-input",
            select_on_focus=False,
        )
        yield Static(id="filter-error", markup=False)

    @property
    def input(self) -> Input:
        """The query input."""
        return self.query_one("#filter-input", Input)

    @property
    def value(self) -> str:
        """The text in the input."""
        return self.input.value

    def on_mount(self) -> None:
        """Read the query history."""
        self._load_history()

    def watch_error(self, error: str | None) -> None:
        """Show or hide the error line."""
        self.set_class(error is not None, "-has-error")
        self.query_one("#filter-error", Static).update(Text(error or ""))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: apply the query."""
        event.stop()
        self.apply(event.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Typing clears a stale error."""
        event.stop()
        self.error = None

    # -- public ----------------------------------------------------------------------------

    def apply(self, text: str) -> bool:
        """Parse ``text``; post ``Applied`` if it parses, else show the error.

        Returns:
            True when the query parsed.
        """
        from tui.corpus.query import QueryError, parse_query

        try:
            query = parse_query(text)
        except QueryError as error:
            self.error = str(error)
            return False
        self.error = None
        self.applied_text = text
        if self.input.value != text:
            self.input.value = text
            self.input.cursor_position = len(text)
        self._remember(text)
        self.post_message(self.Applied(self, text, query))
        return True

    def add_term(self, term: str) -> bool:
        """Append ``term`` to the applied query (unless present) and apply it."""
        words = self.applied_text.split()
        text = self.applied_text if term in words else f"{self.applied_text} {term}".strip()
        return self.apply(text)

    def set_history(self, history: Sequence[str]) -> None:
        """Replace the history (as read from its file)."""
        self.history = list(history)[-HISTORY_LIMIT:]
        self._history_index = None

    def set_completer(self, completer: Completer | None) -> None:
        """Set where ``key:value`` completions come from."""
        self.suggester.completer = completer

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Tab completes only while a completion is shown; else it moves the focus."""
        if action == "complete":
            field = self.input
            # Input keeps the completion it shows in a private reactive (Textual 8).
            return field.cursor_at_end and len(field._suggestion) > len(field.value)
        return True

    def action_complete(self) -> None:
        """Accept the completion shown (as → at the end of the text does)."""
        self.input.action_cursor_right()

    def action_history(self, step: int) -> None:
        """Replace the input with an older (-1) or newer (+1) query from the history."""
        if not self.history:
            return
        index = len(self.history) if self._history_index is None else self._history_index
        index = max(0, min(len(self.history), index + step))
        self._history_index = index
        text = self.history[index] if index < len(self.history) else ""
        self.input.value = text
        self.input.cursor_position = len(text)

    def action_leave(self) -> None:
        """Drop the error, put back the applied query and hand focus back."""
        self.error = None
        if self.input.value != self.applied_text:
            self.input.value = self.applied_text
        self.post_message(self.Left(self))

    # -- helpers ---------------------------------------------------------------------------

    def _remember(self, text: str) -> None:
        """Add a non-empty query to the end of the history (moving it if already there)."""
        self._history_index = None
        text = text.strip()
        if not text:
            return
        if self.history and self.history[-1] == text:
            return
        self.history = [item for item in self.history if item != text] + [text]
        self.history = self.history[-HISTORY_LIMIT:]
        self._history_saves += 1
        # Started once this message is handled, as the screen's own writers are.
        self.call_later(self._save_history, list(self.history), self._history_saves)

    @work(
        thread=True,
        exclusive=True,
        group="history",
        exit_on_error=False,
        description="read history",
    )
    def _load_history(self) -> None:
        history = load_history()
        self.app.call_from_thread(self.set_history, history)

    @work(thread=True, group="history-write", exit_on_error=False, description="save history")
    def _save_history(self, history: list[str], number: int) -> None:
        """Write the history a moment later (`SAVE_DELAY`). Not cancelled when the app
        quits; a newer save supersedes it."""
        time.sleep(SAVE_DELAY)
        if number != self._history_saves:
            return  # a newer history is on its way
        try:
            save_history(history)
        except OSError as error:
            self.app.call_from_thread(
                self.notify,
                f"Could not save the query history: {error.strerror or error}.",
                markup=False,
            )
