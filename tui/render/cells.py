"""Terminal cells of untrusted one-line text: a cleaned cell, and text fitted to a width.

Used by the post list, the facets, the palette and ``postil ls`` (no Textual here, so the
CLI does not import it).
"""

from __future__ import annotations

import re

from rich.cells import cell_len, set_cell_size

from tui.corpus.text import BIDI_CONTROLS

_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f" + BIDI_CONTROLS + "]")
"""Control characters (C0 but tab, DEL, C1), newlines too since a row is one line, and
bidi controls."""


def clean_cell(text: str) -> str:
    """One-line, control-free text for a cell: tabs and newlines become spaces.

    The corpus layer already sanitises, but a row must never break the terminal even if
    a value slipped through (e.g. from an old cache).
    """
    if not text:
        return ""
    if text.isprintable():  # no control or bidi character (nor tab or newline): the usual case
        return text
    return _CONTROL.sub("", text.replace("\t", " ").replace("\n", " ").replace("\r", " "))


_ONE_OR_TWO = re.compile("[\x20-\x7e\u3000-\u3003\u4e00-\u9fff\uff01-\uff5e]*")
"""Text made of printable ASCII (one cell each) and the commonest CJK ideographs,
punctuation and full-width forms (two cells each, as Rich counts them: tested)."""


def fit(text: str, width: int) -> str:
    """``text`` padded or cut to exactly ``width`` cells, with an ellipsis when cut.

    Counts terminal cells, so CJK characters (two cells) are never split in half.
    Titles that are ASCII, or ASCII and common CJK, are measured without Rich's
    character-by-character count (the most of a list row's cost for a CJK title).
    """
    if width <= 0:
        return ""
    if _ONE_OR_TWO.fullmatch(text):
        single = len(text) if text.isascii() else len(text.encode("ascii", "ignore"))
        cells = 2 * len(text) - single
        if cells <= width:
            return text + " " * (width - cells)
        limit = width - 1  # cells before the ellipsis
        if single == len(text):
            return text[:limit] + "…"
        if not single:  # all two cells wide
            return text[: limit // 2] + " " * (limit % 2) + "…"
        # The longest prefix within the limit, padded to it, as set_cell_size cuts.
        end = used = 0
        for char in text:
            step = 1 if char < "\x7f" else 2
            if used + step > limit:
                break
            used += step
            end += 1
        return text[:end] + " " * (limit - used) + "…"
    elif cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"
