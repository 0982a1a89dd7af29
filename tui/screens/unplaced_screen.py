"""UnplacedScreen: the imported annotations that match no post of the loaded folders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Label

from annotations.model import Annotation
from tui.clipboard import copy_text
from tui.render import sanitize
from tui.widgets.annotation_list import AnnotationList
from tui.widgets.key_bar import KeyBar


class UnplacedScreen(Screen[None]):
    """The unplaced annotations, grouped by their source page; Enter copies its URL.

    An annotation is unplaced when ``postil import`` found no post whose source URL (or
    title) is its page's: it is kept, listed here, and placed by importing its file again
    once the folder holding its post is loaded.

    Args:
        annotations: The unplaced annotations.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Go back.", id="unplaced.back"),
        Binding(
            "y",
            "copy_source",
            "Copy URL",
            tooltip="Copy the source URL of the annotation's page.",
            id="unplaced.copy",
        ),
    ]

    HELP = """\
## Unplaced annotations

Imported annotations whose page matches no post of the loaded
folders (by source URL, else by title). They are kept. Load the folder that holds their
posts and run `postil import` on the same file again: they are placed, nothing is added
twice. Enter or `y` copies the page's URL.
"""

    def __init__(self, annotations: Sequence[Annotation]) -> None:
        super().__init__()
        self.annotations = sorted(
            annotations, key=lambda a: (a.post.source or a.post.title, a.target.start, a.id)
        )
        """The unplaced annotations, by source page."""

    def compose(self) -> ComposeResult:
        """What these are, the list, the keys."""
        count = len(self.annotations)
        pages = len({a.post.source or a.post.title for a in self.annotations})
        noun = "annotation" if count == 1 else "annotations"
        yield Label(
            Content(
                f"{count} imported {noun} from {pages} page{'s' if pages != 1 else ''} match no"
                " post of the loaded folders; they are kept. Import the file again once the"
                " posts are loaded to place them."
            ),
            id="unplaced-title",
        )
        yield AnnotationList(id="unplaced-list")
        yield KeyBar()

    def on_mount(self) -> None:
        """Fill the list."""
        unplaced = [a.id for a in self.annotations]
        self.annotation_list.show(self.annotations, (), unplaced)
        self.annotation_list.focus()

    @property
    def annotation_list(self) -> AnnotationList:
        """The list of unplaced annotations."""
        return self.query_one("#unplaced-list", AnnotationList)

    @on(AnnotationList.Selected, "#unplaced-list")
    def _selected(self, event: AnnotationList.Selected) -> None:
        event.stop()
        self.action_copy_source()

    def action_copy_source(self) -> None:
        """Copy the current annotation's page URL (shown too, for terminals without OSC 52)."""
        ann = self.annotation_list.current
        if ann is None:
            return
        url = sanitize(ann.post.source or "").strip()
        if not url:
            self.notify("This annotation's page has no URL.", severity="warning")
            return
        copied = copy_text(self.app, url)
        suffix = " (copied)" if copied.copied else ""
        self.notify(f"{url}{suffix}", title="Source", timeout=10, markup=False)

    def action_back(self) -> None:
        """Go back."""
        self.dismiss()
