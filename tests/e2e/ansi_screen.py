"""Read a terminal screen captured with colour escapes (``tmux capture-pane -e``).

The e2e tests ask questions a person would answer by looking: is this sentence
underlined, is its background different from the text around it. ``python -m
tests.e2e.ansi_screen FILE TEXT --attr underline`` exits 0 when it is, 1 (saying why)
when it is not; it is used from ssh-tui-check ``run`` steps.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path

SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER_ESCAPE = re.compile(
    r"\x1b(?:\[[0-9;?:]*[A-Za-z]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()][0-9A-Za-z])"
)


@dataclass(frozen=True, slots=True)
class Cell:
    """One character with the attributes it was drawn with."""

    char: str
    bold: bool = False
    underline: bool = False
    reverse: bool = False
    fg: str | None = None
    """The foreground as its SGR parameters (``31``, ``38;5;11``), None for default."""
    bg: str | None = None
    """The background likewise."""


def _apply(state: Cell, params: str) -> Cell:
    """The attribute state after one SGR sequence."""
    codes = re.split("[;:]", params) if params else ["0"]
    i = 0
    while i < len(codes):
        code = int(codes[i] or 0)
        if code == 0:
            state = Cell("")
        elif code == 1:
            state = replace(state, bold=True)
        elif code == 22:
            state = replace(state, bold=False)
        elif code == 4:
            state = replace(state, underline=True)
        elif code == 24:
            state = replace(state, underline=False)
        elif code == 7:
            state = replace(state, reverse=True)
        elif code == 27:
            state = replace(state, reverse=False)
        elif code in (38, 48):
            width = 3 if i + 1 < len(codes) and codes[i + 1] == "5" else 5
            value = ";".join(codes[i : i + width])
            if code == 38:
                state = replace(state, fg=value)
            else:
                state = replace(state, bg=value)
            i += width - 1
        elif code == 39:
            state = replace(state, fg=None)
        elif code == 49:
            state = replace(state, bg=None)
        elif 30 <= code <= 37 or 90 <= code <= 97:
            state = replace(state, fg=str(code))
        elif 40 <= code <= 47 or 100 <= code <= 107:
            state = replace(state, bg=str(code))
        i += 1
    return state


def parse_screen(text: str) -> list[list[Cell]]:
    """Split a captured screen into lines of attributed cells.

    Args:
        text: The capture, SGR escapes included.

    Returns:
        One list of cells per line (attributes carry over line ends, as in tmux output).
    """
    lines: list[list[Cell]] = []
    state = Cell("")
    for raw in text.split("\n"):
        cells: list[Cell] = []
        pos = 0
        while pos < len(raw):
            match = SGR.match(raw, pos)
            if match:
                state = _apply(state, match.group(1))
                pos = match.end()
                continue
            other = OTHER_ESCAPE.match(raw, pos)
            if other:
                pos = other.end()
                continue
            cells.append(replace(state, char=raw[pos]))
            pos += 1
        lines.append(cells)
    return lines


def find(lines: list[list[Cell]], text: str) -> list[Cell] | None:
    """The cells of the first occurrence of ``text`` on one line, or None."""
    for cells in lines:
        plain = "".join(c.char for c in cells)
        at = plain.find(text)
        if at >= 0:
            return cells[at : at + len(text)]
    return None


def check(
    lines: list[list[Cell]],
    text: str,
    *,
    attrs: list[str],
    bg_differs_from: str | None = None,
) -> str | None:
    """Why ``text`` is not drawn as asked, or None when it is.

    Args:
        lines: The parsed screen.
        text: Text that must be on the screen.
        attrs: Attributes every non-blank cell of ``text`` must have (``underline``,
            ``bold``, ``reverse``, ``bg`` meaning any non-default background).
        bg_differs_from: Other text on the screen whose background must differ.
    """
    cells = find(lines, text)
    if cells is None:
        return f"{text!r} is not on the screen"
    visible = [c for c in cells if not c.char.isspace()]
    for attr in attrs:
        if attr == "bg":
            lacking = [c.char for c in visible if c.bg is None]
        else:
            lacking = [c.char for c in visible if not getattr(c, attr)]
        if lacking:
            return f"{text!r}: {len(lacking)} of {len(visible)} characters are not {attr}"
    if bg_differs_from is not None:
        other = find(lines, bg_differs_from)
        if other is None:
            return f"{bg_differs_from!r} is not on the screen"
        mine = {c.bg for c in visible}
        theirs = {c.bg for c in other if not c.char.isspace()}
        if mine & theirs:
            return f"{text!r} and {bg_differs_from!r} share the background {mine & theirs}"
    return None


def main(argv: list[str] | None = None) -> int:
    """Command line: FILE TEXT [--attr A ...] [--bg-differs-from OTHER]."""
    parser = argparse.ArgumentParser(prog="python -m tests.e2e.ansi_screen")
    parser.add_argument("file", type=Path)
    parser.add_argument("text")
    parser.add_argument("--attr", action="append", default=[])
    parser.add_argument("--bg-differs-from", default=None)
    args = parser.parse_args(argv)
    lines = parse_screen(args.file.read_text(encoding="utf-8", errors="replace"))
    problem = check(lines, args.text, attrs=args.attr, bg_differs_from=args.bg_differs_from)
    if problem:
        print(problem)
        cells = find(lines, args.text)
        if cells:
            print("cells:", [(c.char, c.fg, c.bg, c.underline, c.reverse) for c in cells[:6]])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
