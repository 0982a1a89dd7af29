"""The status line under the post list: counts, problems and the store's state."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from tui.render.cells import clean_cell


@dataclass(frozen=True, slots=True)
class Status:
    """What the status line shows."""

    shown: int = 0
    """Posts matching the query."""
    total: int = 0
    """Posts in the corpus."""
    problems: int = 0
    """Files that did not load."""
    store_path: str = ""
    """The annotation store's path (shown when the store is read-only)."""
    read_only: bool = False
    """Whether the store could not be opened for writing."""
    loading: bool = False
    """Whether the corpus is still loading."""
    indexing: bool = False
    """Whether a query waits for the index to be built."""
    fields_indexed: tuple[int, int] | None = None
    """(posts whose fields are searchable, all posts) while they are being indexed."""
    checking: bool = False
    """Whether the list (from the index) is still being checked against the files."""
    text_indexed: tuple[int, int] | None = None
    """(posts whose text is searchable, all posts) while the text is being indexed."""
    text_left: float | None = None
    """Seconds until it is all indexed, once there is a rate to tell."""
    partial: bool = False
    """Whether the query's text terms were answered from part of the posts only."""
    sort: str = "newest"
    """The sort order's name."""
    query: str = ""
    """The applied query (empty: everything)."""


def status_text(status: Status) -> Text:
    """The status line's text, e.g. ``12 of 340 posts · 2 problems · newest first``."""
    if status.loading:
        return Text("Loading posts…")
    parts = [
        f"{status.shown:,} of {status.total:,} posts" if status.query else f"{status.total:,} posts"
    ]
    if status.problems:
        noun = "problem" if status.problems == 1 else "problems"
        parts.append(f"{status.problems:,} {noun} (p)")
    parts.append(SORT_LABELS.get(status.sort, status.sort))
    if status.indexing and status.fields_indexed is not None:
        done, total = status.fields_indexed
        parts.append(f"indexing {done:,} of {total:,}, then the filter applies…")
    elif status.indexing:
        parts.append("indexing, the filter applies in a moment…")
    if status.checking:
        parts.append("checking for changed files…")
    if status.text_indexed is not None:
        done, total = status.text_indexed
        parts.append(f"indexing {done:,} of {total:,}")
        if status.partial:
            parts.append("partial: text not all indexed yet")
        if status.text_left is not None:  # last: on a narrow line, what is cut
            parts.append(time_left(status.text_left))
    if status.query and not status.shown and not status.indexing:
        parts.append("esc shows every post")
    text = Text(" · ".join(parts))
    if status.read_only:
        text.append(" · ")
        text.append(f"store {clean_cell(status.store_path)} (read-only)", style="bold")
    return text


def time_left(seconds: float) -> str:
    """A time left as a person says it: ``about 3 min left``, ``about 2 h left``."""
    if seconds < 60:
        return "less than a minute left"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"about {minutes} min left"
    return f"about {minutes / 60:.1f} h left".replace(".0 h", " h")


SORT_LABELS: dict[str, str] = {
    "newest": "newest first",
    "oldest": "oldest first",
    "title": "by title",
    "author": "by author",
    "relevance": "most relevant first",
}
"""How each sort order is named in the status line and the palette."""


class StatusLine(Widget):
    """One line: posts shown of total, problems, sort order, store path when read-only.

    A plain ``render`` widget rather than a ``Static``: ``Static.update`` asks for a
    layout of the whole screen, and the status changes on every filter.
    """

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        """Start with the loading text."""
        super().__init__(id=id, markup=False)
        self.status = Status(loading=True)
        """The state shown."""

    def render(self) -> Text:
        """The status as plain text (paths come from the user: never markup)."""
        return status_text(self.status)

    def show(self, status: Status) -> None:
        """Show ``status`` (repaints one line, no layout)."""
        if status != self.status:
            self.status = status
            self.refresh()
