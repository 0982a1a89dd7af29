"""The library's loading panel, shown until the list is there."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, ProgressBar


class LoadingPanel(Vertical):
    """``Loading posts…``, and a progress bar while a first run reads every file.

    The bar is mounted by the first progress report: a warm start shows the list at
    once and never needs one.
    """

    def compose(self) -> ComposeResult:
        """The label alone."""
        yield Label("Loading posts…", id="loading-label")

    def show_progress(self, done: int, total: int) -> None:
        """Move the bar (mounting it at the first report of an unfinished run)."""
        bar = next(self.query("#loading-bar").results(ProgressBar), None)
        if bar is None:
            if done >= total:
                return
            bar = ProgressBar(id="loading-bar", show_eta=False)
            self.mount(bar)
        bar.update(total=max(total, 1), progress=done)
        self.query_one("#loading-label", Label).update(
            f"Loading posts… {done:,} of {total:,} files"
        )
