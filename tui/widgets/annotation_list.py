"""AnnotationList: every annotation as a three-line entry (quote, note, post)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from annotations.model import Annotation
from tui.render import sanitize

QUOTE_CHARS = 160
"""Quotes longer than this are cut (the full quote is in the reader and the export)."""
NOTE_CHARS = 160
"""Notes longer than this are cut in the list."""


def _line(text: str, limit: int) -> str:
    """Untrusted text on one line: controls removed, whitespace collapsed, cut to ``limit``."""
    text = " ".join(sanitize(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def entry_content(ann: Annotation, *, is_orphan: bool) -> Content:
    """The list entry of one annotation (never parsed as markup)."""
    quote = Content.assemble(
        ("▌ ", f"bold {_swatch(ann.color)}"), ("“" + _line(ann.target.exact, QUOTE_CHARS) + "”")
    )
    lines = [quote]
    if ann.note:
        lines.append(
            Content.assemble("  ", ("✎ " + _line(ann.note, NOTE_CHARS), "$text-secondary"))
        )
    meta: list[str] = [_line(ann.post.title, 80) or ann.post.path]
    if ann.post.date:
        meta.append(ann.post.date[:10])
    if ann.tags:
        meta.append(" ".join(f"#{_line(tag, 30)}" for tag in ann.tags))
    footer = Content.assemble("  ", (" · ".join(meta), "$text-muted"))
    if is_orphan:
        footer = footer + Content.styled("  [orphan: not found in the post]", "$text-warning")
    lines.append(footer)
    return Content("\n").join(lines)


def _swatch(color: str) -> str:
    """A CSS colour for a palette name (unknown names look like the default)."""
    return {
        "yellow": "yellow",
        "green": "green",
        "blue": "dodgerblue",
        "pink": "hotpink",
        "purple": "mediumpurple",
    }.get(color, "yellow")


class AnnotationList(OptionList):
    """A virtual list of annotations; the option ids are the annotation ids."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, tooltip="Next annotation."),
        Binding("k", "cursor_up", "Up", show=False, tooltip="Previous annotation."),
        Binding("g", "first", "First", show=False, tooltip="First annotation."),
        Binding("G", "last", "Last", show=False, tooltip="Last annotation."),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, markup=False)
        self.shown: list[Annotation] = []
        """The annotations listed, in order."""

    def show(self, annotations: Sequence[Annotation], orphans: Collection[str]) -> None:
        """List ``annotations`` (orphans marked), keeping the highlighted one if still there."""
        previous = self.highlighted_option.id if self.highlighted_option is not None else None
        self.shown = list(annotations)
        self.set_options(
            Option(entry_content(ann, is_orphan=ann.id in orphans), id=ann.id) for ann in self.shown
        )
        if previous is not None:
            ids: list[str] = [ann.id for ann in self.shown]
            if previous in ids:
                self.highlighted = ids.index(previous)
                return
        if self.shown:
            self.highlighted = 0

    @property
    def current(self) -> Annotation | None:
        """The highlighted annotation."""
        index = self.highlighted
        if index is None or not 0 <= index < len(self.shown):
            return None
        return self.shown[index]
