"""Finding in the open post: where the words are, and which place is shown apart.

The reader marks every place a search found (the library's text query it was opened
from, or ``/``) and shows one apart; ``n`` and ``N`` step through them, wrapping round.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.reading.selection import Span


@dataclass
class Matches:
    """The places a search found in the text, in order, and the one shown apart."""

    spans: list[Span] = field(default_factory=list)
    """Where the search found its words."""
    index: int = 0
    """The place shown apart."""

    def __bool__(self) -> bool:
        return bool(self.spans)

    def found(self, spans: list[Span]) -> None:
        """A new search's places; the first is shown apart."""
        self.spans, self.index = spans, 0

    def clear(self) -> None:
        """Forget the places (Escape)."""
        self.spans, self.index = [], 0

    def show(self, index: int) -> Span:
        """Show place ``index`` apart (past either end: round to the other) and return it."""
        self.index = index % len(self.spans)
        return self.spans[self.index]

    def hint(self) -> str:
        """The line under the post while places are marked."""
        return f"match {self.index + 1} of {len(self.spans)} · n next · N previous · esc clear"
