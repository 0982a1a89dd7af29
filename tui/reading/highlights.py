"""The placed highlights of the open post, in text order, as the post view paints them."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from annotations.model import COLORS
from tui.reading.selection import jump_index


@dataclass(frozen=True, slots=True)
class Highlight:
    """A placed annotation, as the view paints it."""

    id: str
    """The annotation id."""
    start: int
    """Canonical offset of its first character in the current text."""
    end: int
    """Canonical offset just past its last character."""
    color: str = COLORS[0]
    """A name from ``annotations.model.COLORS``."""
    has_note: bool = False
    """Whether the margin shows a note mark."""


class Highlights:
    """Highlights in text order: found by id, by offset, by line, and by ``]``/``[``."""

    def __init__(self, highlights: Iterable[Highlight] = ()) -> None:
        self._items = sorted(highlights, key=lambda h: (h.start, h.end))
        self._starts = [h.start for h in self._items]

    def __iter__(self) -> Iterator[Highlight]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def get(self, annotation_id: str | None) -> Highlight | None:
        """The highlight of an annotation, if it is placed."""
        return next((h for h in self._items if h.id == annotation_id), None)

    def at(self, offset: int) -> Highlight | None:
        """The first highlight (in text order) covering ``offset``."""
        return next((h for h in self._items if h.start <= offset < h.end), None)

    def overlapping(self, lo: int, hi: int) -> list[Highlight]:
        """The highlights that may cover an offset in [lo, hi] (a line's range)."""
        if lo > hi:
            return []
        stop = bisect_right(self._starts, hi)
        return [h for h in self._items[:stop] if h.end > lo]

    def jump(self, current: str | None, top: int, direction: int) -> Highlight | None:
        """Where ``]`` (``direction`` 1) or ``[`` (-1) goes from the current highlight,
        else from offset ``top``; None past either end."""
        ids = [h.id for h in self._items]
        at = ids.index(current) if current in ids else None
        index = jump_index(self._starts, at, top, direction)
        return None if index is None else self._items[index]
