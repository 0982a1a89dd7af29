"""AnnotationsScreen: every highlight and note, filterable, exportable; orphans marked."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label
from textual.worker import get_current_worker

from annotations.model import Annotation
from annotations.placing import Placer, is_unplaced
from annotations.store import AnnotationStore, StoreError
from tui.corpus.model import Post
from tui.corpus.query import Query, QueryError, matches_annotation, parse_query
from tui.messages import AnnotationsChanged
from tui.reading.shown import delete_question
from tui.screens.confirm import ConfirmScreen
from tui.screens.export_dialog import ExportDialog
from tui.store_writer import store_writer_for
from tui.widgets.annotation_list import AnnotationList
from tui.widgets.key_bar import KeyBar
from tui.widgets.ordered_keys import OrderedInput

REPORT_INTERVAL = 0.5
"""Seconds between two reports of the orphans found so far."""

POOL_FROM = 4
"""Chunks of posts (`TEXTS_CHUNK` each) from which their texts are read in worker
processes: fewer are read here sooner than processes start."""


class AnnotationsScreen(Screen[None]):
    """All annotations across the corpus, with the annotation query as a filter.

    Args:
        store: The annotation store.
        find_post: The corpus's post with an id (to open posts and re-anchor their
            annotations).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Go back.", id="annotations.back"),
        Binding(
            "slash",
            "focus_filter",
            "Filter",
            tooltip="Filter the annotations.",
            id="annotations.filter",
        ),
        Binding(
            "x",
            "export",
            "Export",
            tooltip="Export the annotations shown.",
            id="annotations.export",
        ),
        Binding(
            "d",
            "delete",
            "Delete",
            tooltip="Delete the highlight under the cursor (after asking).",
            id="annotations.delete",
        ),
        Binding(
            "u",
            "unplaced",
            "Unplaced",
            tooltip="List the imported annotations that match no post.",
            id="annotations.unplaced",
        ),
    ]

    HELP = """\
## Annotations

Every highlight and note. `/` filters with the query language plus
`note:WORD`, `quote:WORD`, `hl-tag:X`, `color:C`, `is:orphan` and `is:unplaced`; Enter opens
the post at the highlight; `d` deletes the one under the cursor (after asking: the only way
to remove an orphan or an unplaced one); `x` exports what is shown; `u` lists the imported
annotations that match no post. Orphans (quotes no longer found in their post) are marked.
"""

    @dataclass
    class Loaded(Message):
        """The store was read (from a thread)."""

        annotations: list[Annotation]

    @dataclass
    class OrphansFound(Message):
        """Re-anchoring found which annotations are orphans (from a thread)."""

        orphans: frozenset[str]
        checked: int
        """Annotations checked so far."""
        done: bool

    @dataclass
    class LoadFailed(Message):
        """The store could not be read (from a thread)."""

        reason: str

    @dataclass
    class Deleted(Message):
        """An annotation was deleted from the store (from a thread)."""

        annotation_id: str

    @dataclass
    class DeleteFailed(Message):
        """A deletion could not be written; ``reason`` is one sentence (from a thread)."""

        reason: str

    def __init__(self, store: AnnotationStore, find_post: Callable[[str], Post | None]) -> None:
        super().__init__()
        self.store = store
        """The annotation store."""
        self.find_post = find_post
        """The corpus's post with an id, if any (safe to call from a worker)."""
        self.annotations: list[Annotation] = []
        """Every annotation in the store."""
        self.orphans: frozenset[str] = frozenset()
        """Ids of annotations whose quote is not found in their post (as checked so far)."""
        self.unplaced: frozenset[str] = frozenset()
        """Ids of imported annotations that matched no post."""
        self._checked = False
        self._checked_count = 0
        """Annotations checked so far (reported every `REPORT_INTERVAL`)."""
        self._query: Query = parse_query("", annotation_keys=True)

    def compose(self) -> ComposeResult:
        """Filter, its error, the list, the status, the keys."""
        yield OrderedInput(
            placeholder="filter: words, note:, quote:, hl-tag:, color:, is:orphan, tag:…",
            id="annotations-filter",
        )
        yield Label("", id="annotations-error", markup=False)
        yield AnnotationList(id="annotation-list")
        yield Label("Loading annotations…", id="annotations-status", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        """Read the store off the event loop."""
        self.query_one("#annotations-error").display = False
        self.annotation_list.focus()
        self.load()

    @property
    def annotation_list(self) -> AnnotationList:
        """The annotation list."""
        return self.query_one("#annotation-list", AnnotationList)

    # -- loading ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="annotations-load", exit_on_error=False)
    def load(self) -> None:
        """Read every annotation, then re-anchor them post by post to find orphans."""
        try:
            annotations = self.store.all()
        except StoreError as error:
            self.post_message(self.LoadFailed(str(error)))
            return
        self.post_message(self.Loaded(annotations))
        self._find_orphans(annotations)

    def _find_orphans(self, annotations: list[Annotation]) -> None:
        """Place them with the one policy (moves saved by its rule), found a chunk of
        posts at a time (in worker processes when there are many, `locate_chunks`);
        report now and then so the list fills early."""
        from tui.post_texts import PathsOf, PostTexts, placeable

        worker = get_current_worker()
        texts = PostTexts(PathsOf(self.find_post))
        by_id = {ann.id: ann for ann in annotations}
        orphans: set[str] = set()
        checked = sum(map(is_unplaced, annotations))  # nothing to find
        last_report = time.monotonic()
        chunks = texts.locate_chunks(placeable(annotations), pool_from=POOL_FROM)
        try:
            for found in chunks:
                if worker.is_cancelled:
                    return
                placer = Placer(texts, self.store, found=found)
                placed = [placer.place(by_id[ann_id]) for ann_id in found]
                orphans.update(p.annotation.id for p in placed if p.is_orphan)
                checked += len(placed)
                # Report now and then (each report redraws the list), not per chunk.
                if time.monotonic() - last_report > REPORT_INTERVAL:
                    last_report = time.monotonic()
                    self.post_message(self.OrphansFound(frozenset(orphans), checked, False))
        finally:
            chunks.close()
        self.post_message(self.OrphansFound(frozenset(orphans), checked, True))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        self.annotations = event.annotations
        unplaced = frozenset(a.id for a in event.annotations if is_unplaced(a))
        if bool(unplaced) != bool(self.unplaced):
            self.unplaced = unplaced
            self.refresh_bindings()  # the u key shows only when there are some
        self.unplaced = unplaced
        self._refresh_list()

    @on(OrphansFound)
    def _orphans_found(self, event: OrphansFound) -> None:
        self._checked_count = event.checked
        if event.orphans != self.orphans or event.done:
            self.orphans = event.orphans
            self._checked = event.done
            self._refresh_list()
        else:
            self._show_status()

    @on(LoadFailed)
    def _load_failed(self, event: LoadFailed) -> None:
        self.query_one("#annotations-status", Label).update(Content(event.reason))

    # -- filter ----------------------------------------------------------------------------

    @on(Input.Submitted, "#annotations-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        """Enter applies the query (as in the library) and moves to the list."""
        if self._apply(event.value):
            self.annotation_list.focus()

    def _apply(self, text: str) -> bool:
        """Parse and apply a filter; on error keep the list as it is and say why."""
        error = self.query_one("#annotations-error", Label)
        try:
            query = parse_query(text, annotation_keys=True)
        except QueryError as problem:
            error.update(Content(str(problem)))
            error.display = True
            return False
        error.display = False
        self._query = query
        self._refresh_list()
        return True

    # -- list ------------------------------------------------------------------------------

    @on(AnnotationList.Selected, "#annotation-list")
    def _open(self, event: AnnotationList.Selected) -> None:
        """Open the post at the highlight."""
        event.stop()
        ann = event.annotation
        post = self.find_post(ann.post.id)
        if post is None:
            self.notify(
                "The post of this annotation is not in the loaded folders.", severity="warning"
            )
            return
        from tui.screens.reader import ReaderScreen

        self.app.push_screen(ReaderScreen(post, self.store, focus_annotation=ann.id))

    def on_screen_resume(self) -> None:
        """Back from a reader opened here: highlights may have changed."""
        if self.annotations:
            self.load()

    def _refresh_list(self) -> None:
        shown = [
            a
            for a in self.annotations
            if matches_annotation(
                self._query,
                a,
                is_orphan=a.id in self.orphans,
                is_unplaced=a.id in self.unplaced,
            )
        ]
        self.annotation_list.show(shown, self.orphans, self.unplaced)
        self.refresh_bindings()  # Delete needs an entry under the cursor
        self._show_status()

    def _show_status(self) -> None:
        """The status line: how many are shown, orphans, unplaced, the check's progress."""
        if self.annotations:
            shown, total = len(self.annotation_list.shown), len(self.annotations)
            status = f"{shown} of {total} annotations"
        else:
            status = "no highlights yet: in a post, v selects a sentence and h highlights it"
        if self.orphans:
            count = len(self.orphans)
            status += f" · {count} orphan{'s' if count != 1 else ''}"
        if self.unplaced:
            status += f" · {len(self.unplaced)} unplaced (u lists them)"
        if not self._checked and self.annotations:
            status += " · checking which quotes are still in their posts"
            if self._checked_count:
                status += f": {self._checked_count:,} of {total:,}"
            status += "…"
        self.query_one("#annotations-status", Label).update(Content(status))

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide the unplaced list's key while every annotation belongs to a post; grey out
        Delete with nothing under the cursor."""
        if action == "unplaced":
            return bool(self.unplaced)
        if action == "delete":
            return True if self.annotation_list.current is not None else None
        return True

    def action_delete(self) -> None:
        """Delete the annotation under the cursor, after a confirmation."""
        ann = self.annotation_list.current
        if ann is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                store_writer_for(self.app).run(
                    self.app, partial(self._delete_thread, ann), "delete highlight"
                )

        self.app.push_screen(ConfirmScreen(delete_question(ann), yes="Delete", no="Keep"), answered)

    def _delete_thread(self, ann: Annotation) -> None:
        """Delete in the app's store writer, after the writes queued before."""
        try:
            self.store.delete(ann.id)
        except StoreError as error:
            self.post_message(self.DeleteFailed(str(error)))
            return
        self.post_message(self.Deleted(ann.id))
        self.app.post_message(AnnotationsChanged(ann.post.id))

    @on(Deleted)
    def _deleted(self, event: Deleted) -> None:
        """Take it off the list; the cursor stays where it was (on the next one)."""
        at = self.annotation_list.cursor
        self.annotations = [a for a in self.annotations if a.id != event.annotation_id]
        self.orphans -= {event.annotation_id}
        self.unplaced -= {event.annotation_id}
        self._refresh_list()
        self.annotation_list.cursor = min(at, max(len(self.annotation_list.shown) - 1, 0))
        self.notify("Highlight deleted.")

    @on(DeleteFailed)
    def _delete_failed(self, event: DeleteFailed) -> None:
        self.notify(
            f"Not deleted: {event.reason}", title="Not deleted", severity="error", markup=False
        )

    def action_back(self) -> None:
        """Go back."""
        self.dismiss()

    def action_focus_filter(self) -> None:
        """Focus the filter."""
        self.set_focus(self.query_one("#annotations-filter", Input))  # now, as in the library

    def action_unplaced(self) -> None:
        """List the imported annotations that match no post."""
        from tui.screens.unplaced_screen import UnplacedScreen

        unplaced = [a for a in self.annotations if a.id in self.unplaced]
        if not unplaced:
            self.notify("Every annotation belongs to a post.", markup=False)
            return
        self.app.push_screen(UnplacedScreen(unplaced))

    def action_export(self) -> None:
        """Export the annotations shown (format and file chosen in a dialog)."""
        shown = self.annotation_list.shown
        if not shown:
            self.notify("There are no annotations to export.", severity="warning")
            return

        def answered(path: Path | None) -> None:
            if path is not None:
                noun = "annotation" if len(shown) == 1 else "annotations"
                self.notify(f"Exported {len(shown)} {noun} to {path}.", markup=False)

        self.app.push_screen(
            ExportDialog(shown, orphans=(self.orphans | self.unplaced) & {a.id for a in shown}),
            answered,
        )
