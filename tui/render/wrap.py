"""Line breaking by terminal cell width, for Latin and CJK text alike.

Latin text breaks at spaces (the space at a break is dropped), CJK text between any
two wide characters, and a word longer than the line is broken hard. A character is
never split, and no line starts with closing punctuation or ends with an opening
bracket: a space before closing punctuation is no break (``url ；``), and a hard break
that would split them moves back a character.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from rich.cells import get_character_cell_size

CLOSING = frozenset("，。、；：？！）」』》〉】〕〗”’…‥・ー〜,.;:!?)]}%\"'")
"""Characters a line should not start with (they attach to what precedes them)."""
OPENING = frozenset("（「『《〈【〔〖“‘([{")
"""Characters a line should not end with (they attach to what follows them)."""


@lru_cache(maxsize=65536)
def char_width(ch: str) -> int:
    """Terminal cells taken by one character (0 for combining marks, 2 for CJK)."""
    if ch < "\u0300" and ch >= " ":
        return 1
    return get_character_cell_size(ch)


def wrap(
    text: str,
    width: int,
    *,
    hard: bool = False,
    forced: frozenset[int] = frozenset(),
    glued: frozenset[int] = frozenset(),
    widths: Sequence[int] | None = None,
) -> list[tuple[int, int]]:
    """Break ``text`` into lines of at most ``width`` cells.

    Args:
        text: The characters to lay out (no tabs).
        width: Cells per line (a character wider than this gets a line of its own).
        hard: Break anywhere, never at spaces only (code); newlines still end lines.
        forced: Indices of spaces that must end a line (hard line breaks); dropped.
        glued: Indices that never start a line (link numbers glued to their link).
        widths: Precomputed cell widths of ``text``'s characters.

    Returns:
        ``(start, end)`` index ranges, one per line; characters between one range's
        end and the next range's start are the whitespace dropped at the break.
    """
    width = max(width, 1)
    if widths is None and not hard and text.isascii():
        return _wrap_ascii(text, width, forced)
    if widths is not None:
        cells = list(widths)
    elif text.isascii():
        cells = [1] * len(text)  # no tabs or controls reach here: every ASCII char is 1 cell
    else:
        cells = [char_width(c) for c in text]
    n = len(text)
    lines: list[tuple[int, int]] = []
    i = 0
    while i < n or not lines:
        if i >= n:
            lines.append((n, n))
            break
        end, nxt = _line(text, cells, i, width, hard, forced, glued)
        lines.append((i, end))
        i = nxt
    return lines


def _wrap_ascii(text: str, width: int, forced: frozenset[int]) -> list[tuple[int, int]]:
    """The fast path for ASCII text (one cell per character, breaks only at spaces).

    Glued characters need no care here: they follow a non-space, and ASCII lines break
    only at spaces.
    """
    lines: list[tuple[int, int]] = []
    start = 0
    ends = sorted({i for i in forced if text[i : i + 1] == " "} | _newlines(text))
    for stop in [*ends, len(text)]:
        _wrap_segment(text, start, stop, width, lines)
        start = stop + 1
    return lines


def _newlines(text: str) -> set[int]:
    found: set[int] = set()
    at = text.find("\n")
    while at >= 0:
        found.add(at)
        at = text.find("\n", at + 1)
    return found


def _wrap_segment(text: str, i: int, end: int, width: int, lines: list[tuple[int, int]]) -> None:
    while end - i > width:
        cut = text.rfind(" ", i + 1, i + width + 1)
        if cut < 0:  # a word longer than the line
            cut = _hard_break(text, i, i + width)
            lines.append((i, cut))
            i = cut
        else:
            lines.append((i, cut))
            i = cut + 1
    lines.append((i, end))


def _line(
    text: str,
    cells: list[int],
    i: int,
    width: int,
    hard: bool,
    forced: frozenset[int],
    glued: frozenset[int],
) -> tuple[int, int]:
    """One line from ``i``: (end of the line, start of the next)."""
    n = len(text)
    used = 0
    brk_end = brk_next = -1
    j = i
    while j < n:
        ch = text[j]
        if ch == "\n" or (j in forced and ch == " "):
            return j, j + 1
        cw = cells[j]
        if used + cw > width and j > i:
            if hard:
                cut = _hard_break(text, i, j)
                return cut, cut
            if ch == " " and _space_breaks(text, j):
                return j, j + 1
            if _breaks_before(text, cells, j, glued):
                return j, j
            if brk_end > i:
                return brk_end, brk_next
            cut = _hard_break(text, i, j)
            return cut, cut
        if not hard and j > i:
            if ch == " ":
                if _space_breaks(text, j):
                    brk_end, brk_next = j, j + 1
            elif (cw == 2 or cells[j - 1] == 2) and _breaks_before(text, cells, j, glued):
                brk_end, brk_next = j, j
        used += cw
        j += 1
    return n, n


def _space_breaks(text: str, j: int) -> bool:
    """Whether a line may break at the space ``text[j]``: not inside ``url ；`` or ``《 x``."""
    return text[j + 1 : j + 2] not in CLOSING and text[j - 1 : j] not in OPENING


def _hard_break(text: str, i: int, j: int) -> int:
    """Where a line from ``i`` that has no break opportunity ends, ``text[j]`` being the
    first character that does not fit: earlier when that keeps closing punctuation from
    starting the next line or opening punctuation from ending this one."""
    cut = j
    while cut - 1 > i and (text[cut] in CLOSING or text[cut - 1] in OPENING):
        cut -= 1
    return cut


def _breaks_before(text: str, cells: list[int], j: int, glued: frozenset[int]) -> bool:
    """Whether a line may end right before ``text[j]`` (a wide character on either side)."""
    return (
        (cells[j] == 2 or cells[j - 1] == 2)
        and j not in glued
        and text[j] not in CLOSING
        and text[j - 1] not in OPENING
        and text[j - 1] != " "
        and text[j] != " "  # a space is a break of its own, dropped there
    )
