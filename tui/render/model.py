"""The render layer's value types: blocks, inline style runs and links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

BlockKind = Literal[
    "heading", "paragraph", "item", "quote", "table", "figure", "code", "rule", "embed"
]

BOLD = 1
ITALIC = 2
CODE = 4
STRIKE = 8
LINK = 16
"""Inline style flags, combined with ``|`` in :class:`Run`."""


@dataclass(frozen=True, slots=True)
class Run:
    """An inline style over ``[start, end)`` of a block's text (block-relative offsets)."""

    start: int
    end: int
    flags: int
    """A combination of BOLD, ITALIC, CODE, STRIKE and LINK."""
    link: int = 0
    """The link number (1-based) when LINK is set, else 0."""


@dataclass(frozen=True, slots=True)
class Link:
    """One entry of the post's numbered link list."""

    number: int
    text: str
    url: str


@dataclass(frozen=True, slots=True)
class Block:
    """One block of a post: its canonical text, where it sits, and how to draw it.

    Only ``text`` is canonical; markers, bars, link numbers, placeholder brackets and
    table borders are decoration that the layout adds around it.
    """

    kind: BlockKind
    text: str
    start: int = 0
    """Canonical offset of the first character (``doc.text[start:end] == text``)."""
    end: int = 0
    level: int = 0
    """Heading level 1-6; list depth (1 = top level) for items; quote depth for quotes."""
    quote: int = 0
    """How many blockquotes surround the block (bars drawn on its left)."""
    indent: int = 0
    """List nesting of the block (items, and paragraphs or code continuing an item)."""
    marker: str = ""
    """``•``/``◦``/``▪`` or ``3.`` on a list item's first block; empty otherwise."""
    runs: tuple[Run, ...] = ()
    marks: tuple[tuple[int, int], ...] = ()
    """(index of a link's last character in ``text``, link number): where ``[n]`` goes."""
    breaks: tuple[int, ...] = ()
    """Indices of spaces in ``text`` that were hard line breaks (``<br>``)."""
    label: str = ""
    """For figures and embeds: ``image``, ``video``, ``audio`` or ``iframe``."""
    url: str = ""
    """For figures and embeds: the media URL (also in the link list)."""
    link: int = 0
    """For figures and embeds: the URL's number in the link list (0 when none)."""
    rows: tuple[tuple[str, ...], ...] = ()
    """For tables: the cell texts, row by row (``text`` joins them with `` | `` and ``\\n``)."""
    header: bool = False
    """For tables: whether the first row is a header row."""
