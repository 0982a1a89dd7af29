"""The reader's selection arithmetic, over canonical offsets.

What ``v`` selects, where the arrows move a selection, how ``J``/``K``/``L``/``H`` grow
and shrink it, which highlight ``]``/``[`` go to, and which offsets a mouse drag covers:
functions of the text's sentence and word spans (`tui.render.sentences`) and of the
offsets the layout gives each character on a line. The post view asks and paints.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence

from tui.render.sentences import sentence_spans, word_spans

Span = tuple[int, int]
"""A range [start, end) of canonical offsets."""


class TextSpans:
    """The sentence and word spans of one text, computed when first asked.

    The reader computes them in a thread as soon as the whole text is there (`set`), so
    ``v`` never waits; asked sooner, they are computed then.
    """

    def __init__(self, text: Callable[[], str] | None = None) -> None:
        """Spans of the text ``text()`` returns (None: no text, so no spans)."""
        self._text = text
        self._sentences: list[Span] | None = None
        self._words: list[Span] | None = None

    def set(self, sentences: list[Span], words: list[Span]) -> None:
        """Take spans computed elsewhere."""
        self._sentences, self._words = sentences, words

    @property
    def sentences(self) -> list[Span]:
        """The sentences, in order."""
        if self._sentences is None:
            self._sentences = sentence_spans(self._text()) if self._text else []
        return self._sentences

    @property
    def words(self) -> list[Span]:
        """The words (one character each for CJK), in order."""
        if self._words is None:
            self._words = word_spans(self._text()) if self._text else []
        return self._words


def first_sentence(spans: Sequence[Span], top: int, is_visible: Callable[[int], bool]) -> Span:
    """The sentence ``v`` selects: the one at offset ``top`` (the top of the view).

    A sentence cut at the top of the screen is not "visible": the next one is taken
    when it starts on screen (``is_visible`` of its start).

    Args:
        spans: The sentences, in order (not empty).
        top: The offset of the first character at the top of the view.
        is_visible: Whether an offset is on screen.
    """
    index = max(0, bisect_right([s for s, _ in spans], top) - 1)
    if spans[index][0] < top and index + 1 < len(spans) and is_visible(spans[index + 1][0]):
        index += 1
    return spans[index]


def moved(spans: Sequence[Span], selection: Span, direction: int) -> Span | None:
    """The sentence after (``direction`` 1) or before (-1) the selection; None at an end."""
    start, end = selection
    if direction > 0:
        index = bisect_left([s for s, _ in spans], end)
        return spans[index] if index < len(spans) else None
    index = bisect_left([e for _, e in spans], start + 1) - 1
    return spans[index] if index >= 0 else None


def resized(spans: Sequence[Span], selection: Span, direction: int, text: str) -> Span | None:
    """The selection grown to the end of the next span (``direction`` 1), or with its
    last span dropped (-1); None when it cannot change.

    Shrinking cuts at the start of the last span the selection reaches into, then trims
    the whitespace before it, so "A. B" shrinks back to "A." (punctuation kept).
    """
    start, end = selection
    if direction > 0:
        index = bisect_right([e for _, e in spans], end)
        return (start, spans[index][1]) if index < len(spans) else None
    index = bisect_left([s for s, _ in spans], end) - 1
    if index < 0:
        return None
    new_end = spans[index][0]
    while new_end > start and text[new_end - 1].isspace():
        new_end -= 1
    return (start, new_end) if new_end > start else None


def jump_index(starts: Sequence[int], current: int | None, top: int, direction: int) -> int | None:
    """The highlight ``]`` (``direction`` 1) or ``[`` (-1) goes to; None past either end.

    Args:
        starts: Where each highlight starts, in text order.
        current: The index of the current highlight, if any: the jump is from it.
        top: The offset at the top of the view: the jump is from there otherwise.
        direction: 1 for the next highlight, -1 for the previous one.
    """
    if current is not None:
        index = current + direction
    else:
        index = bisect_left(starts, top) - (0 if direction > 0 else 1)
    return index if 0 <= index < len(starts) else None


def offset_at(offsets: Sequence[int], x: int, *, after: bool) -> int | None:
    """The offset a mouse selection point at character ``x`` of a line stands for.

    Args:
        offsets: The canonical offset of each character of the line (-1: decoration).
        x: The character the point is at.
        after: True for a selection's start (the next character), False for its end
            (just past the character before).
    """
    x = max(0, x)
    following = [o for o in offsets[x:] if o >= 0]
    preceding = [o for o in offsets[:x] if o >= 0]
    if after:
        if following:
            return following[0]
        return preceding[-1] + 1 if preceding else None
    if preceding:
        return preceding[-1] + 1
    return following[0] if following else None


def dragged(
    line_offsets: Callable[[int], Sequence[int]],
    line_count: int,
    start: tuple[int, int] | None,
    end: tuple[int, int] | None,
    length: int,
) -> Span | None:
    """The offsets a mouse drag covers, or None when it covers no character.

    Args:
        line_offsets: The canonical offsets of a line's characters (-1: decoration).
        line_count: How many lines there are (points below the last are on it).
        start: Where the drag starts, (character, line); None: at the start of the text.
        end: Where it ends; None: at the end of the text.
        length: The length of the text.
    """

    def at(point: tuple[int, int], after: bool) -> int | None:
        x, y = point
        return offset_at(line_offsets(min(max(0, y), line_count - 1)), x, after=after)

    first = 0 if start is None else at(start, True)
    last = length if end is None else at(end, False)
    if first is None or last is None or last <= first:
        return None
    return first, last


def first_offset(line_offsets: Callable[[int], Sequence[int]], lines: range) -> int | None:
    """The first canonical offset on ``lines`` (the top of the view), if any."""
    for index in lines:
        for offset in line_offsets(index):
            if offset >= 0:
                return offset
    return None


def last_offset(line_offsets: Callable[[int], Sequence[int]], line_count: int) -> int:
    """The highest canonical offset on the last 50 of ``line_count`` lines (0: none)."""
    for index in range(line_count - 1, max(-1, line_count - 50), -1):
        offsets = [o for o in line_offsets(index) if o >= 0]
        if offsets:
            return max(offsets)
    return 0


def offset_range(offsets: Sequence[int]) -> tuple[int, int]:
    """The lowest and highest canonical offsets of a line (hi < lo when it has none)."""
    real = [o for o in offsets if o >= 0]
    if not real:
        return 1, 0
    return min(real), max(real)
