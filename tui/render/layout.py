"""Lazy wrapping of a :class:`~tui.render.document.Document` into terminal lines.

Each :class:`WrappedLine` carries, beside its styled text, the canonical offset of
every character (-1 for decoration), so a highlight ``[s, e)`` is painted by styling
the characters whose offset falls inside it, and a selection on screen maps back to
canonical offsets. Blocks are laid out one at a time, only as far as asked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from rich.style import Style
from rich.text import Text

from tui.render.document import Document
from tui.render.model import BOLD, CODE, ITALIC, LINK, STRIKE, Block, Link
from tui.render.script import Script, convert, convert_block
from tui.render.text import readable_url
from tui.render.wrap import char_width, wrap

MIN_TEXT_WIDTH = 8
"""Quote bars and list indentation give way before the text gets narrower than this."""

_HEADING_STYLES = {
    1: Style(bold=True, underline=True, color="bright_white"),
    2: Style(bold=True, color="bright_white"),
    3: Style(bold=True),
    4: Style(bold=True, italic=True),
    5: Style(italic=True, underline=True),
    6: Style(italic=True, dim=True),
}
_HEADING_RULES = {1: "═", 2: "─"}
DECORATION = Style(color="bright_black")
"""Quote bars, list markers, placeholder brackets and table borders."""
MARK = Style(color="blue", dim=True)
"""Link numbers after link text."""
CODE_STYLE = Style(color="cyan")
LinkLookup = Callable[[int], str]
"""Maps a link number to its URL (for OSC 8 hyperlinks)."""
PLACEHOLDER = Style(italic=True, color="magenta")


@dataclass(frozen=True, slots=True)
class WrappedLine:
    """One terminal line of a laid-out post."""

    text: Text
    """The styled line, without a newline."""
    offsets: tuple[int, ...]
    """Canonical offset of each character of ``text.plain``; -1 for decoration."""
    block: int = -1
    """Index of the block the line belongs to; -1 for blank lines and the link list."""


@lru_cache(maxsize=4096)
def _inline_style(flags: int, url: str) -> Style:
    style = Style(
        bold=bool(flags & BOLD) or None,
        italic=bool(flags & ITALIC) or None,
        strike=bool(flags & STRIKE) or None,
    )
    if flags & CODE:
        style += CODE_STYLE
    if flags & LINK:
        # Style(link=...) makes Rich emit an OSC 8 hyperlink where the terminal has them.
        style += Style(underline=True, color="bright_blue", link=url or None)
    return style


class _Builder:
    """Characters with their offsets and styles, before wrapping."""

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.offsets: list[int] = []
        self.styles: list[Style | None] = []
        self.glued: set[int] = set()
        self.forced: set[int] = set()

    def add(self, text: str, offset: int, style: Style | None, *, glued: bool = False) -> None:
        """Append ``text``; ``offset`` is the first char's canonical offset, or -1."""
        base = len(self.chars)
        self.chars.extend(text)
        self.offsets.extend(range(offset, offset + len(text)) if offset >= 0 else [-1] * len(text))
        self.styles.extend([style] * len(text))
        if glued:
            self.glued.update(range(base, base + len(text)))

    def lines(
        self, width: int, *, hard: bool = False, base: Style | None = None
    ) -> list[tuple[Text, tuple[int, ...]]]:
        """Wrap to ``width`` cells: (styled text, offsets) per line."""
        text = "".join(self.chars)
        out: list[tuple[Text, tuple[int, ...]]] = []
        for start, end in wrap(
            text,
            width,
            hard=hard,
            forced=frozenset(self.forced),
            glued=frozenset(self.glued),
        ):
            out.append((self._text(text, start, end, base), tuple(self.offsets[start:end])))
        return out

    def _text(self, text: str, start: int, end: int, base: Style | None) -> Text:
        line = Text(text[start:end], style=base or "", end="", no_wrap=True)
        run_start = start
        for k in range(start + 1, end + 1):
            if k == end or self.styles[k] is not self.styles[run_start]:
                style = self.styles[run_start]
                if style is not None:
                    line.stylize(style, run_start - start, k - start)
                run_start = k
        return line


class Layout:
    """A document wrapped to ``width`` cells, laid out lazily block by block.

    Args:
        doc: The document.
        width: Terminal cells per line (at least 10 is sensible; narrower works but
            lines may then exceed it by a wide character).
        link_list: Append the numbered link list after the last block.
        script: Show Chinese in this script (:mod:`tui.render.script`); None: as written.
            Offsets are unchanged: a converted block keeps its length.
    """

    def __init__(
        self,
        doc: Document,
        width: int,
        *,
        link_list: bool = True,
        script: Script | None = None,
    ) -> None:
        self.doc = doc
        self.width = max(width, 2)
        self.link_list = link_list
        self.script = script
        self._lines: list[WrappedLine] = []
        self._block_lines: list[int] = []  # first line of each laid-out block
        self._next_block = 0
        self._previous: Block | None = None
        self._complete = False

    @property
    def line_count(self) -> int:
        """Lines laid out so far (the total once :attr:`is_complete`)."""
        return len(self._lines)

    @property
    def is_complete(self) -> bool:
        """Whether every block (and the link list) has been laid out."""
        return self._complete

    def ensure(self, n_lines: int) -> int:
        """Lay out until at least ``n_lines`` exist or the post ends; return the count."""
        while len(self._lines) < n_lines and self._step():
            pass
        return len(self._lines)

    def complete(self) -> int:
        """Lay out everything; return the line count."""
        while self._step():
            pass
        return len(self._lines)

    def line(self, i: int) -> WrappedLine:
        """Line ``i`` (laid out on demand); raises IndexError past the end."""
        if self.ensure(i + 1) <= i or i < 0:
            raise IndexError(f"there is no line {i}.")
        return self._lines[i]

    def lines(self, first: int = 0) -> Iterator[WrappedLine]:
        """Lines from ``first`` on, laid out as the iteration goes."""
        i = first
        while self.ensure(i + 1) > i:
            yield self._lines[i]
            i += 1

    def block_line(self, index: int) -> int:
        """The first line of block ``index`` (laying out up to it)."""
        while len(self._block_lines) <= index and self._step():
            pass
        if index >= len(self._block_lines):
            raise IndexError(f"there is no block {index}.")
        return self._block_lines[index]

    def line_for_offset(self, offset: int) -> int:
        """The line showing canonical ``offset`` (the nearest one before it otherwise)."""
        index = self.doc.block_at(offset)
        if index < 0:
            return 0
        first = self.block_line(index)
        last = (
            self._block_lines[index + 1] if index + 1 < len(self._block_lines) else len(self._lines)
        )
        starts = [self._first_offset(k) for k in range(first, last)]
        best = first
        for k, start in zip(range(first, last), starts, strict=True):
            if start >= 0 and start <= offset:
                best = k
        return best

    def _first_offset(self, k: int) -> int:
        for off in self._lines[k].offsets:
            if off >= 0:
                return off
        return -1

    # -- production --------------------------------------------------------------------

    def _step(self) -> bool:
        """Lay out one more block (or the link list); False when complete."""
        if self._complete:
            return False
        block = self.doc.block(self._next_block)
        if block is None:
            if self.link_list:
                links = self.doc.links
                if self.script:
                    links = [Link(k.number, convert(k.text, self.script), k.url) for k in links]
                self._emit_links(links)
            self._complete = True
            return False
        if self._previous is not None:
            gap = _gap(self._previous, block)
            if gap is not None:
                self._lines.append(WrappedLine(gap, (-1,) * len(gap.plain), -1))
        self._previous = block
        self._block_lines.append(len(self._lines))
        index = self._next_block
        self._next_block += 1
        shown = convert_block(block, self.script) if self.script else block
        for text, offsets in render_block(shown, self.width, self._link_url):
            self._lines.append(WrappedLine(text, offsets, index))
        return True

    def _link_url(self, number: int) -> str:
        links = self.doc.links_so_far()
        return links[number - 1].url if 0 < number <= len(links) else ""

    def _emit_links(self, links: list[Link]) -> None:
        if not links:
            return
        blank = WrappedLine(Text("", end=""), (), -1)
        self._lines.append(blank)
        self._lines.append(
            WrappedLine(Text("Links", style=DECORATION + Style(bold=True), end=""), (-1,) * 5)
        )
        for text, offsets in link_lines(links, self.width):
            self._lines.append(WrappedLine(text, offsets, -1))


def _gap(before: Block, after: Block) -> Text | None:
    """The line between two blocks: none inside a list, quote bars inside a quote."""
    if before.kind == "item" and after.kind == "item" and before.quote == after.quote:
        return None
    text = Text(end="")
    text.append("│ " * min(before.quote, after.quote), style=DECORATION)
    text.rstrip()
    return text


def link_lines(links: list[Link], width: int) -> list[tuple[Text, tuple[int, ...]]]:
    """The numbered link list as decoration lines: ``[n] text — url``."""
    out: list[tuple[Text, tuple[int, ...]]] = []
    for link in links:
        builder = _Builder()
        builder.add(f"[{link.number}] ", -1, MARK)
        if link.text and link.text != link.url:
            builder.add(link.text + " — ", -1, None)
        builder.add(readable_url(link.url), -1, Style(color="bright_blue", link=link.url or None))
        out.extend(builder.lines(width))
    return out


# -- blocks -------------------------------------------------------------------------------


def _prefixes(block: Block, width: int) -> tuple[Text, Text]:
    """(first line prefix, continuation prefix): quote bars and list indentation."""
    bars = "│ " * block.quote
    if block.kind == "item":
        indent = "  " * max(block.level - 1, 0)
        first = indent + block.marker + " " if block.marker else indent + "  "
        rest = indent + " " * (len(first) - len(indent))
    else:
        first = rest = "  " * block.indent + ("    " if block.kind == "code" else "")
    room = max(width - MIN_TEXT_WIDTH, 0)
    first_t = Text(end="")
    first_t.append(bars, style=DECORATION)
    first_t.append(first, style=DECORATION)
    rest_t = Text(end="")
    rest_t.append(bars, style=DECORATION)
    rest_t.append(rest)
    return first_t[: min(len(first_t), room)], rest_t[: min(len(rest_t), room)]


def render_block(
    block: Block, width: int, link_url: LinkLookup | None = None
) -> list[tuple[Text, tuple[int, ...]]]:
    """Lay out one block at ``width`` cells: (styled line, offsets) pairs.

    Args:
        block: The block (with canonical offsets).
        width: Cells per line, prefixes included.
        link_url: Maps a link number to its URL (for OSC 8 hyperlinks).
    """
    first, rest = _prefixes(block, width)
    inner = max(width - max(first.cell_len, rest.cell_len), 1)
    lookup: LinkLookup = link_url or _no_url
    if block.kind == "table":
        body = _table_lines(block, inner)
    elif block.kind == "rule":
        body = [(Text("─" * inner, style=DECORATION, end=""), (-1,) * inner)]
    elif block.kind == "code":
        builder = _Builder()
        builder.add(block.text, block.start, None)
        body = builder.lines(inner, hard=True, base=CODE_STYLE)
    elif block.kind in ("figure", "embed"):
        body = _placeholder(block, inner)
    else:
        body = _flow(block, inner, lookup)
    out: list[tuple[Text, tuple[int, ...]]] = []
    for k, (text, offsets) in enumerate(body):
        prefix = first if k == 0 else rest
        line = prefix.copy()
        line.append_text(text)
        out.append((line, (-1,) * len(prefix.plain) + offsets))
    return out


def _no_url(_number: int) -> str:
    return ""


def _flow(block: Block, width: int, lookup: LinkLookup) -> list[tuple[Text, tuple[int, ...]]]:
    """Paragraphs, items, quotes and headings: styled runs, link numbers, wrapping."""
    builder = _Builder()
    text = block.text
    styles: list[Style | None] = [None] * len(text)
    for run in block.runs:
        style = _inline_style(run.flags, lookup(run.link) if run.link else "")
        styles[run.start : run.end] = [style] * (run.end - run.start)
    marks = dict(block.marks)
    pos = 0
    for cut in sorted(marks):
        _add_styled(builder, text, styles, pos, cut + 1, block.start)
        builder.add(f"[{marks[cut]}]", -1, MARK, glued=True)
        pos = cut + 1
    _add_styled(builder, text, styles, pos, len(text), block.start)
    for index in block.breaks:
        builder.forced.add(_builder_index(block, index))
    base = _HEADING_STYLES.get(block.level) if block.kind == "heading" else None
    lines = builder.lines(width, base=base)
    rule = _HEADING_RULES.get(block.level) if block.kind == "heading" else None
    if rule:
        size = max((t.cell_len for t, _ in lines), default=0)
        lines.append((Text(rule * size, style=DECORATION, end=""), (-1,) * size))
    return lines


def _builder_index(block: Block, index: int) -> int:
    """Position of text index ``index`` once link numbers are inserted before it."""
    return index + sum(len(f"[{n}]") for cut, n in block.marks if cut < index)


def _add_styled(
    builder: _Builder, text: str, styles: list[Style | None], start: int, end: int, base: int
) -> None:
    k = start
    while k < end:
        style = styles[k]
        m = k + 1
        while m < end and styles[m] is style:
            m += 1
        builder.add(text[k:m], base + k, style)
        k = m


def _placeholder(block: Block, width: int) -> list[tuple[Text, tuple[int, ...]]]:
    """``[image: alt] [n]`` / ``[video: title] [n]``: brackets and number are decoration."""
    builder = _Builder()
    if block.text:
        builder.add(f"[{block.label}: ", -1, DECORATION)
        builder.add(block.text, block.start, PLACEHOLDER)
        builder.add("]", -1, DECORATION, glued=True)
    else:
        builder.add(f"[{block.label}]", -1, DECORATION)
    if block.link:
        builder.add(f" [{block.link}]", -1, MARK, glued=True)
    return builder.lines(width)


# -- tables -------------------------------------------------------------------------------


def _column_widths(rows: tuple[tuple[str, ...], ...], room: int) -> list[int] | None:
    """Column widths fitting ``room`` cells of content, or None when they cannot fit."""
    columns = len(rows[0])
    natural = [
        max(max((sum(char_width(c) for c in row[col]) for row in rows), default=1), 1)
        for col in range(columns)
    ]
    if sum(natural) <= room:
        return natural
    if room < columns * 3:
        return None
    widths = [max(3, room * w // sum(natural)) for w in natural]
    while sum(widths) > room:
        widest = widths.index(max(widths))
        widths[widest] -= 1
    # Hand back the leftover cells to the columns that wanted more.
    spare = room - sum(widths)
    for col in sorted(range(columns), key=lambda c: widths[c] - natural[c]):
        if spare <= 0:
            break
        give = min(spare, natural[col] - widths[col])
        if give > 0:
            widths[col] += give
            spare -= give
    return widths


def _table_lines(block: Block, width: int) -> list[tuple[Text, tuple[int, ...]]]:
    """A bordered table fitting ``width``; too many columns fall back to one line per row."""
    rows = block.rows
    columns = len(rows[0]) if rows else 0
    widths = _column_widths(rows, width - 3 * columns - 1) if columns else None
    if widths is None:
        return _stacked_rows(block, width)
    starts = _cell_starts(block)
    out: list[tuple[Text, tuple[int, ...]]] = [_border("┌", "┬", "┐", widths)]
    for r, row in enumerate(rows):
        cells = []
        for c, cell in enumerate(row):
            builder = _Builder()
            builder.add(cell, starts[r][c], Style(bold=True) if block.header and r == 0 else None)
            cells.append(builder.lines(widths[c]))
        for k in range(max(len(lines) for lines in cells)):
            out.append(_table_row(cells, k, widths))
        if r == 0 and block.header and len(rows) > 1:
            out.append(_border("├", "┼", "┤", widths))
    out.append(_border("└", "┴", "┘", widths))
    return out


def _cell_starts(block: Block) -> list[list[int]]:
    """Canonical offset of every cell (cells joined by `` | ``, rows by newlines)."""
    starts: list[list[int]] = []
    offset = block.start
    for row in block.rows:
        row_starts = []
        for cell in row:
            row_starts.append(offset)
            offset += len(cell) + 3
        offset += 1 - 3  # the last cell is followed by "\n", not " | "
        starts.append(row_starts)
    return starts


def _border(left: str, mid: str, right: str, widths: list[int]) -> tuple[Text, tuple[int, ...]]:
    plain = left + mid.join("─" * (w + 2) for w in widths) + right
    return Text(plain, style=DECORATION, end=""), (-1,) * len(plain)


def _table_row(
    cells: list[list[tuple[Text, tuple[int, ...]]]], k: int, widths: list[int]
) -> tuple[Text, tuple[int, ...]]:
    line = Text(end="")
    line.append("│ ", style=DECORATION)
    offsets: list[int] = [-1, -1]
    for c, lines in enumerate(cells):
        text, offs = lines[k] if k < len(lines) else (Text("", end=""), ())
        pad = widths[c] - text.cell_len
        line.append_text(text)
        line.append(" " * max(pad, 0))
        offsets.extend(offs)
        offsets.extend([-1] * max(pad, 0))
        sep = " │ " if c < len(cells) - 1 else " │"
        line.append(sep, style=DECORATION)
        offsets.extend([-1] * len(sep))
    return line, tuple(offsets)


def _stacked_rows(block: Block, width: int) -> list[tuple[Text, tuple[int, ...]]]:
    """Each row as wrapped text (``a | b | c``), for tables wider than any fit."""
    out: list[tuple[Text, tuple[int, ...]]] = []
    offset = block.start
    for r, row in enumerate(block.rows):
        line = " | ".join(row)
        builder = _Builder()
        builder.add(line, offset, Style(bold=True) if block.header and r == 0 else None)
        out.extend(builder.lines(width))
        offset += len(line) + 1
    return out


__all__ = ["Layout", "LinkLookup", "WrappedLine", "link_lines", "render_block"]
