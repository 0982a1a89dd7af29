"""The library screen (first version: the full screen lands shortly)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static

from tui.config import SortOrder
from tui.corpus.model import LoadResult


class LibraryScreen(Screen[None]):
    """The list of posts with its filter bar, facets and status line."""

    def __init__(self, *, sort: SortOrder = "newest") -> None:
        """Build the screen, sorted by ``sort`` once posts arrive."""
        super().__init__()
        self.sort: SortOrder = sort
        self.corpus = LoadResult()

    def compose(self) -> ComposeResult:
        """The loading bar until the corpus arrives, then the list."""
        yield Header()
        yield ProgressBar(id="loading")
        yield Static(id="status", markup=False)
        yield Footer()

    def show_progress(self, done: int, total: int) -> None:
        """Move the loading bar."""
        self.query_one("#loading", ProgressBar).update(total=total, progress=done)

    def set_corpus(self, corpus: LoadResult) -> None:
        """Show the loaded corpus."""
        self.corpus = corpus
        self.query_one("#status", Static).update(f"{len(corpus.posts)} posts")

    def set_sort(self, sort: SortOrder) -> None:
        """Change the sort order."""
        self.sort = sort
