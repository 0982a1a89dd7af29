"""ReaderScreen: one post, its highlights and notes, keyboard selection and annotation.

The body is read, rendered and its annotations re-anchored in a thread worker; every
store write (create, update, delete, reading state) runs in a worker too, and its result
comes back as a message. Keys (the contract the e2e tests rely on) are listed in
``BINDINGS`` here and in :class:`tui.widgets.post_view.PostView`.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import threading
import uuid
import webbrowser
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import get_current_worker

from annotations.anchor import make_target
from annotations.model import (
    COLORS,
    Annotation,
    AnnotationId,
    PostSnapshot,
    Target,
    utc_now_iso,
)
from annotations.placing import Placer
from annotations.store import AnnotationNotFound, AnnotationStore, ReadingState, StoreError
from tui.clipboard import copy_text
from tui.corpus.model import Post
from tui.corpus.query import Query
from tui.drafts import Draft, DraftStore, draft_key, drafts_for
from tui.messages import AnnotationsChanged, ReadingChanged
from tui.render import sanitize
from tui.render.script import (
    SCRIPT_NAMES,
    Script,
    ScriptSetting,
    available,
    convert,
    next_script,
)
from tui.render.sentences import sentence_spans, word_spans
from tui.screens.color_dialog import ColorDialog
from tui.screens.confirm import ConfirmScreen
from tui.screens.note_editor import NoteEditor
from tui.screens.tags_dialog import TagsDialog
from tui.widgets.find_bar import FindBar
from tui.widgets.key_bar import KeyBar
from tui.widgets.post_header import PostHeader
from tui.widgets.post_view import Highlight, PostView

if TYPE_CHECKING:
    from tui.render import Document

Span = tuple[int, int]

SPINNER_DELAY = 0.3
"""Seconds before a post still loading shows a spinner."""

FIRST_PAINT_WAIT = 0.2
"""Seconds the screen's first frame waits for the body, so it shows the post at once.

Meanwhile the library stays on screen; a slower body paints the screen without it (and
the spinner after ``SPINNER_DELAY``)."""

PAINT_GRACE = 1.0
"""Longest wait of the loading thread for the first frame with the body before it goes
on with the rest (marking read, the rest of a long post), which would compete with that
frame for the GIL."""

STORE_WAIT = 30.0
"""Longest wait of a store write for the one queued before it."""

FIRST_BLOCKS = 12
"""Blocks converted in the loading thread, so the first screen lays out without waiting.

About a screen of text's worth; the view converts whatever more it needs as it lays
out (a 700 KB post's first 40 blocks took 15 ms, delaying its first frame)."""


def quote_with_citation(quote: str, post: Post | PostSnapshot, script: Script | None = None) -> str:
    """``> quote`` lines followed by ``— title, author, source`` (the ``y`` format), the
    quote and title in ``script`` as the reader shows them (None: as written)."""
    lines = [f"> {line}" if line else ">" for line in sanitize(convert(quote, script)).split("\n")]
    title = convert(post.title, script)
    parts = [" ".join(sanitize(p).split()) for p in (title, post.author, post.source or "")]
    citation = ", ".join(p for p in parts if p)
    return "\n".join(lines) + (f"\n— {citation}" if citation else "")


def can_open_browser(env: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """True when a browser would open where the user sits: a local display, not over SSH."""
    env = os.environ if env is None else env
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY"):
        return False
    if (platform or sys.platform) == "darwin":
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


@dataclass
class _Placed:
    """The post's annotations after re-anchoring."""

    annotations: dict[str, Annotation] = field(default_factory=dict)
    spans: dict[str, Span] = field(default_factory=dict)
    """Where each placed annotation sits in the current text."""
    orphans: list[Annotation] = field(default_factory=list)


class ReaderScreen(Screen[None]):
    """Read one post; select, highlight and annotate it from the keyboard.

    Args:
        post: The post to show.
        store: The annotation store (highlights, notes, reading state).
        focus_annotation: An annotation id to scroll to and make current.
        resume_draft: A note draft left by a crash, reopened in the note editor.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "h",
            "highlight",
            "Highlight",
            tooltip="Save the selection as a highlight.",
            id="reader.highlight",
        ),
        Binding(
            "n",
            "note",
            "Note",
            tooltip="Save the selection as a highlight and write a note.",
            id="reader.note",
        ),
        Binding(
            "n",
            "next_match",
            "Next match",
            tooltip="Go to the next place the search found.",
            id="reader.next-match",
        ),
        Binding(
            "N",
            "previous_match",
            "Previous",
            show=False,
            tooltip="Go to the previous place the search found.",
            id="reader.previous-match",
        ),
        Binding(
            "slash",
            "find",
            "Find",
            tooltip="Find words in this post.",
            id="reader.find",
        ),
        Binding(
            "e",
            "edit_note",
            "Edit",
            tooltip="Edit the current highlight's note.",
            id="reader.edit",
        ),
        Binding(
            "t",
            "tags",
            "Tags",
            show=False,
            tooltip="Edit the current highlight's tags.",
            id="reader.tags",
        ),
        Binding(
            "c",
            "color",
            "Color",
            show=False,
            tooltip="Change the current highlight's colour.",
            id="reader.color",
        ),
        Binding(
            "d",
            "delete",
            "Delete",
            show=False,
            tooltip="Delete the current highlight.",
            id="reader.delete",
        ),
        Binding(
            "y",
            "copy",
            "Copy",
            tooltip="Copy the selection or highlight as a quote.",
            id="reader.copy",
        ),
        Binding(
            "s",
            "cycle_script",
            "简/繁",
            show=False,
            tooltip="Show Chinese as written, in simplified or in traditional characters.",
            id="reader.script",
        ),
        Binding(
            "o",
            "open_source",
            "Open",
            show=False,
            tooltip="Open the source URL in a browser.",
            id="reader.open",
        ),
        Binding(
            "escape",
            "clear_find",
            "Clear",
            show=False,
            tooltip="Clear the search's marks.",
            id="reader.clear-find",
        ),
        # Last, so the key bar lists it after the commands.
        Binding("escape", "back", "Back", tooltip="Go back to the library.", id="reader.back"),
    ]

    HELP = """\
**Reader.** `v` selects the first sentence on screen; `down`/`up` move it, `shift+down`/`shift+up`
(or `J`/`K`) grow and shrink it by a sentence, `shift+right`/`shift+left` (or `L`/`H`) by a word.
`h` saves a highlight, `n` a highlight with a note. `]`/`[` jump between highlights; `e`, `t`,
`c`, `d` edit the current one's note, tags, colour, or delete it. `y` copies a quote.
`s` shows Chinese as written, in simplified or in traditional characters (remembered).
`/` finds words in the post (as the library's filter finds them); `n`/`N` go to the next
and previous place, Escape clears the marks. A post opened from a text query opens at its
first match, every match marked.
"""

    @dataclass
    class Loaded(Message):
        """The body was read and its first screens rendered (from a thread)."""

        document: Document
        reading: ReadingState

    @dataclass
    class Placed(Message):
        """The post's annotations were re-anchored in the whole text (from a thread)."""

        placed: _Placed

    @dataclass
    class Prepared(Message):
        """Sentence and word spans of the whole text, for keyboard selection (from a thread)."""

        sentences: list[Span]
        words: list[Span]

    @dataclass
    class MatchesFound(Message):
        """Where a search's words are in the text (from a thread)."""

        matches: list[Span]

    @dataclass
    class LoadFailed(Message):
        """The body could not be read or rendered (from a thread)."""

        reason: str

    @dataclass
    class Saved(Message):
        """An annotation was changed in the store (from a thread): the stored version."""

        annotation: Annotation

    @dataclass
    class Created(Message):
        """A highlight shown before it was saved is in the store now (from a thread)."""

        annotation: Annotation

    @dataclass
    class CreateFailed(Message):
        """A highlight shown before it was saved could not be saved (from a thread)."""

        annotation_id: str
        reason: str

    @dataclass
    class Deleted(Message):
        """An annotation was deleted from the store (from a thread)."""

        annotation_id: str

    @dataclass
    class StoreFailed(Message):
        """A store write failed; ``reason`` is one sentence (from a thread)."""

        reason: str

    def __init__(
        self,
        post: Post,
        store: AnnotationStore,
        *,
        focus_annotation: str | None = None,
        resume_draft: Draft | None = None,
        search: Query | None = None,
    ) -> None:
        super().__init__()
        self.search = search
        """The library's text query the post was opened from: its matches are marked."""
        self.post = post
        """The post shown."""
        self.store = store
        """The annotation store."""
        self.focus_annotation = focus_annotation
        self.resume_draft = resume_draft
        self.document: Document | None = None
        """The rendered post, once loaded."""
        self.placed = _Placed()
        """The post's annotations after re-anchoring."""
        self._position_saved = False
        self._position = 0
        """The reading position (canonical offset at the top), kept up to date."""
        self.is_placed = False
        """True once the annotations are re-anchored and painted."""
        self._spinner: Timer | None = None
        self._keys_state = (False, False)
        """(has a selection, has a current highlight): what the key bar's keys depend on."""
        self._last_write: threading.Event | None = None
        """Set when the last store write queued by this screen is done (writes run in order)."""
        self._arrived: ReaderScreen.Loaded | ReaderScreen.LoadFailed | None = None
        """What the loading thread sent first (read by ``on_mount``)."""
        self._arrival = asyncio.Event()
        """Set (on the event loop) once ``_arrived`` is."""
        self._painted = threading.Event()
        """Set once the first frame with the body is drawn (or the screen goes away)."""
        self._gc_paused = False
        """True while this screen holds the cyclic garbage collector off (first frame)."""
        self.matches: list[Span] = []
        """Where the search (the library's text query, or ``/``) found its words."""
        self.match_index = 0
        """The match shown apart (``n``/``N`` move it)."""

    def compose(self) -> ComposeResult:
        """Header, orphan notice, the post, the current note, the keys.

        The body starts loading here, while the widgets mount, not after.
        """
        self._loop = asyncio.get_running_loop()
        # A full collection walks every object of a large corpus (70 ms at 1,000 posts,
        # far more at 50,000) and reading a post allocates enough to start one: it
        # waits until the first frame is drawn (see ``_first_frame_drawn``).
        if gc.isenabled():
            gc.disable()
            self._gc_paused = True
        self.load_post()
        yield PostHeader(self.post, id="reader-header")
        yield Static("", id="reader-orphans", markup=False)
        yield PostView(id="post-view")
        yield Static("", id="reader-note", markup=False)
        yield FindBar(id="reader-find")
        yield KeyBar()

    async def on_mount(self) -> None:
        """Wait briefly for the body, so the screen's first frame already shows the post.

        The screen is laid out and painted only after this returns: waiting here (up to
        ``FIRST_PAINT_WAIT``) saves drawing an empty reader first, then the post. A
        slower body arrives as a ``Loaded`` message; a spinner shows only if that takes
        a while (most posts load in milliseconds: showing and removing a loading
        indicator costs more, focus moves and the key bar repaints, than the load).
        """
        self._spinner = self.set_timer(SPINNER_DELAY, self._show_spinner)
        self.view.focus()
        self.query_one("#reader-orphans").display = False
        self._show_current_note()
        self.watch(self.view, "scroll_y", self._track_position, init=False)
        if isinstance(self.app, ScriptSetting):  # remembered by the app (test apps: not)
            self.watch(self.app, "script", self._show_script)
        try:
            await asyncio.wait_for(self._arrival.wait(), FIRST_PAINT_WAIT)
        except TimeoutError:
            self._resume_gc()  # a slow body: do not hold the collector off meanwhile
            return
        if isinstance(self._arrived, self.Loaded):
            self._loaded(self._arrived)
        elif isinstance(self._arrived, self.LoadFailed):
            self._load_failed(self._arrived)

    def _arrive(self, message: ReaderScreen.Loaded | ReaderScreen.LoadFailed) -> None:
        """Hand the first result to ``on_mount`` (if it still waits) and post it (thread)."""
        self._arrived = message
        try:
            # Not call_from_thread: it blocks until the loop runs the call, and forever
            # if the loop has stopped; setting an event needs no answer.
            self._loop.call_soon_threadsafe(self._arrival.set)
        except RuntimeError:
            return  # the event loop is closed: the app is gone
        self.post_message(message)

    def _track_position(self) -> None:
        """Remember the position while the view exists, for saving during teardown."""
        self._position = self.view.position

    @property
    def view(self) -> PostView:
        """The post view."""
        return self.query_one("#post-view", PostView)

    @property
    def drafts(self) -> DraftStore:
        """The app's draft store."""
        return drafts_for(self.app)

    # -- loading ---------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        group="reader-load",
        exit_on_error=False,
        description="load post",
    )
    def load_post(self) -> None:
        """Read and render off the event loop, then mark read, place highlights, prepare.

        The first screens are converted before ``Loaded`` so the post paints at once; the
        rest of a long post is converted afterwards, a few blocks at a time (the view
        lays out from the same document meanwhile), then the annotations are re-anchored
        (``Placed``) and the sentence and word spans computed (``Prepared``).
        """
        from tui.corpus.errors import CorpusError
        from tui.corpus.files import read_body
        from tui.render import build_document

        worker = get_current_worker()
        try:
            document = build_document(read_body(self.post.path))
            document.ensure_blocks(FIRST_BLOCKS)
        except (CorpusError, OSError, UnicodeError, ValueError) as error:
            self._arrive(self.LoadFailed(_sentence(error)))
            return
        try:
            reading = self.store.reading(self.post.id)
        except StoreError as error:
            self.post_message(self.StoreFailed(str(error)))
            reading = ReadingState(self.post.id)
        self._arrive(self.Loaded(document, reading))
        # Let the event loop lay out and paint the first screen before the store write
        # and the long conversion below compete with it for the GIL.
        self._painted.wait(PAINT_GRACE)
        # Marked read even if the reader was closed meanwhile: the post was opened.
        self._mark_read(reading)
        count = FIRST_BLOCKS
        while not document.is_complete:
            if worker.is_cancelled:
                return
            # Small steps: each holds the document's lock only briefly.
            count = document.ensure_blocks(count + 20) + 1
        text = document.text
        try:
            placed = self._place(text, self.store.for_post(self.post.id))
        except StoreError as error:
            self.post_message(self.StoreFailed(str(error)))
            placed = _Placed()
        self.post_message(self.Placed(placed))
        self.post_message(self.Prepared(sentence_spans(text), word_spans(text)))

    def _mark_read(self, reading: ReadingState) -> None:
        """Mark the post read (in the loading thread)."""
        if reading.is_read or self.store.read_only:
            return
        try:
            self.store.set_reading(self.post.id, is_read=True)
        except StoreError as error:
            self.post_message(self.StoreFailed(str(error)))
        else:
            self.post_message(ReadingChanged(self.post.id))

    def _place(self, text: str, annotations: Sequence[Annotation]) -> _Placed:
        """Place each annotation with the one policy (``annotations.placing``), which saves
        what its rule says after a move."""
        placed = _Placed()
        for placement in Placer(lambda _post: text, self.store).place_all(annotations):
            ann, span = placement.annotation, placement.span
            if span is None:
                placed.orphans.append(ann)
                continue
            placed.annotations[ann.id] = ann
            placed.spans[ann.id] = span
        return placed

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        if self.document is event.document:
            return  # already shown by on_mount
        self.document = event.document
        self.query_one(PostHeader).set_title(event.document.header.title)
        view = self.view
        self._hide_spinner()
        view.set_document(event.document, position=event.reading.position)
        self._position = event.reading.position
        self._refresh_keys()
        self.call_after_refresh(self._first_frame_drawn)
        if self.search is not None:
            self._find(self.search, event.document)

    def _first_frame_drawn(self) -> None:
        """The post is on screen: the deferred work may start."""
        self._resume_gc()
        self._painted.set()

    def _resume_gc(self) -> None:
        """Turn the garbage collector back on if this screen turned it off."""
        if self._gc_paused:
            self._gc_paused = False
            gc.enable()

    @on(Placed)
    def _placed(self, event: Placed) -> None:
        # Highlights saved since loading are already in self.placed: keep them.
        event.placed.annotations.update(self.placed.annotations)
        event.placed.spans.update(self.placed.spans)
        self.placed = event.placed
        self._paint()
        self._show_orphans()
        if self.focus_annotation is not None:
            self._focus(self.focus_annotation)
        if self.resume_draft is not None:
            self._resume(self.resume_draft)
        self.is_placed = True

    @on(Prepared)
    def _prepared(self, event: Prepared) -> None:
        self.view.set_spans(event.sentences, event.words)

    @on(LoadFailed)
    def _load_failed(self, event: LoadFailed) -> None:
        if self._arrived is None:
            return  # reported once already (by on_mount, or this handler)
        self._arrived = None
        self._resume_gc()
        self._hide_spinner()
        self.notify(f"This post could not be read: {event.reason}", severity="error", markup=False)

    # -- view events -----------------------------------------------------------------------

    @on(PostView.SelectionChanged)
    @on(PostView.CurrentChanged)
    def _view_changed(self) -> None:
        self._refresh_keys()
        self._show_current_note()

    def _show_spinner(self) -> None:
        if self.document is None:
            self.view.loading = True

    def _hide_spinner(self) -> None:
        if self._spinner is not None:
            self._spinner.stop()
        if self.view.loading:
            self.view.loading = False

    def _refresh_keys(self) -> None:
        """Refresh the key bar only when a key becomes usable or unusable.

        ``refresh_bindings`` runs every binding's ``check_action`` and repaints the bar:
        cheap, but not worth doing on every selection move.
        """
        view = self.view
        state = (view.selection is not None, view.current is not None)
        if state != self._keys_state:
            self._keys_state = state
            self.refresh_bindings()

    # -- store results ---------------------------------------------------------------------

    @on(Saved)
    def _saved(self, event: Saved) -> None:
        ann = event.annotation
        if ann.id in self.placed.annotations:  # not deleted meanwhile
            self.placed.annotations[ann.id] = ann
            self._paint()
            self._show_current_note()

    @on(Created)
    def _created(self, event: Created) -> None:
        """Take the stored version of a new highlight, keeping edits made meanwhile."""
        ann = event.annotation
        shown = self.placed.annotations.get(ann.id)
        if shown is None:
            return  # deleted meanwhile
        # Edits made since are queued behind the create; until they are written, show
        # them as the user made them.
        self.placed.annotations[ann.id] = replace(
            ann, note=shown.note, tags=shown.tags, color=shown.color
        )
        self._show_current_note()

    @on(CreateFailed)
    def _create_failed(self, event: CreateFailed) -> None:
        """Take back a highlight that could not be saved, and say why."""
        self.placed.annotations.pop(event.annotation_id, None)
        self.placed.spans.pop(event.annotation_id, None)
        self._paint()
        self._show_current_note()
        self.notify(
            f"The highlight was not saved: {event.reason}",
            title="Not saved",
            severity="error",
            markup=False,
        )

    @on(Deleted)
    def _deleted(self, event: Deleted) -> None:
        self.placed.annotations.pop(event.annotation_id, None)
        self.placed.spans.pop(event.annotation_id, None)
        self._paint()
        self.notify("Highlight deleted.")

    @on(StoreFailed)
    def _store_failed(self, event: StoreFailed) -> None:
        self.notify(event.reason, title="Not saved", severity="error", markup=False)

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out keys that need a selection or a current highlight."""
        if self.document is None or not self.is_mounted:
            return action in {"back", "open_source"} or None
        view = self.view
        if action in {"highlight", "note"}:
            return True if view.selection is not None else None
        if action in {"next_match", "previous_match"}:
            return bool(self.matches) and view.selection is None
        if action == "clear_find":
            return bool(self.matches) and view.selection is None
        if action in {"edit_note", "tags", "color", "delete"}:
            return True if self._current() is not None else None
        if action == "copy":
            return True if view.selection is not None or self._current() is not None else None
        return True

    def action_find(self) -> None:
        """Open the find bar."""
        self.query_one(FindBar).open()

    def action_next_match(self) -> None:
        """Show the next match (from the last, the first)."""
        self._show_match(self.match_index + 1)

    def action_previous_match(self) -> None:
        """Show the previous match (from the first, the last)."""
        self._show_match(self.match_index - 1)

    def action_clear_find(self) -> None:
        """Clear the search's marks."""
        self.matches = []
        self.view.set_matches([], None)
        self.refresh_bindings()
        self._show_current_note()

    @on(FindBar.Submitted)
    def _find_submitted(self, event: FindBar.Submitted) -> None:
        event.stop()
        self.view.focus()
        if self.document is not None:
            self._find(event.query, self.document)

    @on(FindBar.Closed)
    def _find_closed(self, event: FindBar.Closed) -> None:
        event.stop()
        self.view.focus()

    @work(thread=True, exclusive=True, group="reader-find", exit_on_error=False, description="find")
    def _find(self, query: Query, document: Document) -> None:
        """Find the query's words in the whole text (converted first, if need be)."""
        from tui.corpus.snippets import match_spans

        self.post_message(self.MatchesFound(match_spans(document.text, query)))

    @on(MatchesFound)
    def _matches_found(self, event: MatchesFound) -> None:
        self.matches = event.matches
        self.match_index = 0
        if not event.matches:
            self.view.set_matches([], None)
            self.notify("Not found in the text of this post.", timeout=3)
        else:
            self._show_match(0)
        self.refresh_bindings()

    def _show_match(self, index: int) -> None:
        if not self.matches:
            return
        self.match_index = index % len(self.matches)
        self.view.set_matches(self.matches, self.match_index)
        self.view.scroll_to_offset(self.matches[self.match_index][0])
        self._show_current_note()

    def action_back(self) -> None:
        """Save the reading position and go back."""
        self._save_position()
        self.dismiss()

    def action_highlight(self) -> None:
        """Save the selection as a highlight (ends the selection)."""
        target = self._take_selection()
        if target is not None:
            self._create(target)

    def action_note(self) -> None:
        """Save the selection as a highlight and open the note editor at once.

        The highlight is shown and current before the store write returns, and the
        editor opens at once, so keys typed right after ``n`` land in the editor and
        ``e`` right after ``ctrl+s`` edits this note; the note is written after the
        highlight (store writes run in order).
        """
        target = self._take_selection()
        if target is None:
            return
        ann = self._create(target)
        draft = self._draft_for(None, target)
        self.app.push_screen(
            NoteEditor(quote=target.exact, drafts=self.drafts, draft=draft),
            partial(self._note_written, ann.id, draft.key),
        )

    def action_edit_note(self) -> None:
        """Edit the current highlight's note."""
        ann = self._current()
        if ann is not None:
            self._edit(ann)

    def action_tags(self) -> None:
        """Edit the current highlight's tags."""
        ann = self._current()
        if ann is None:
            return

        def answered(tags: tuple[str, ...] | None) -> None:
            if tags is not None and tags != ann.tags:
                self._update(ann.id, tags=tags)

        self.app.push_screen(TagsDialog(ann.tags), answered)

    def action_color(self) -> None:
        """Change the current highlight's colour."""
        ann = self._current()
        if ann is None:
            return

        def answered(color: str | None) -> None:
            if color is not None and color != ann.color:
                self._update(ann.id, color=color)

        self.app.push_screen(ColorDialog(ann.color), answered)

    def action_delete(self) -> None:
        """Delete the current highlight, after a confirmation."""
        ann = self._current()
        if ann is None:
            return
        quote = " ".join(sanitize(ann.target.exact).split())
        if len(quote) > 60:
            quote = quote[:59] + "…"
        what = "highlight and its note" if ann.has_note else "highlight"
        question = f"Delete this {what}?\n“{quote}”"

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(ann.id)

        self.app.push_screen(ConfirmScreen(question, yes="Delete", no="Keep"), answered)

    def action_copy(self) -> None:
        """Copy the selection (or the current highlight) as a quote with its citation."""
        view = self.view
        if view.selection is not None:
            quote = view.selected_text
        else:
            ann = self._current()
            if ann is None:
                return
            quote = ann.target.exact
        result = copy_text(self.app, quote_with_citation(quote, self.post, self.view.script))
        self.notify(result.message, severity="information" if result.copied else "warning")

    def action_cycle_script(self) -> None:
        """Show the post as written, in simplified or in traditional characters, in turn."""
        script = next_script(self.view.script)
        if isinstance(self.app, ScriptSetting):
            self.app.script = script  # remembered; the watch in on_mount shows it
        else:
            self._show_script(script)
        reason = available() if script else None
        if reason:
            self.notify(reason, severity="warning", markup=False)
        else:
            self.notify(f"Showing {SCRIPT_NAMES[script]}.", timeout=2)

    def _show_script(self, script: Script | None) -> None:
        self.view.script = script
        self.query_one(PostHeader).set_script(script)

    def action_open_source(self) -> None:
        """Open the source URL in a browser, or show and copy it where none can open."""
        url = sanitize(self.post.source or "").strip()
        if not url:
            self.notify("This post has no source URL.", severity="warning")
            return
        if can_open_browser() and url.startswith(("http://", "https://")):
            self._open_browser(url)
            return
        copied = copy_text(self.app, url)
        suffix = " (copied)" if copied.copied else ""
        self.notify(f"{url}{suffix}", title="Source", timeout=10, markup=False)

    # -- public ----------------------------------------------------------------------------

    def on_unmount(self) -> None:
        """Save the reading position when the app quits with the reader open.

        Synchronous on purpose: a worker started while the app exits may never run,
        and one small store write (~10 ms) on the way out is acceptable.
        """
        self._first_frame_drawn()  # the loading thread need not wait for a frame any more
        self.flush_pending()

    def flush_pending(self) -> None:
        """Write the reading position now (also called by ``tui.lifecycle`` on SIGHUP)."""
        if self.document is None or self.store.read_only or self._position_saved:
            return
        self._position_saved = True
        try:
            self.store.set_reading(self.post.id, position=self._position)
        except StoreError:
            pass  # the process is ending: nothing more can be done about it

    # -- private: selection and notes ------------------------------------------------------

    def _take_selection(self) -> Target | None:
        """The selection as a store target, ending the selection; None if nothing to save."""
        view = self.view
        if view.selection is None or self.document is None:
            return None
        if self.store.read_only:
            self.notify(
                "The annotation store is read-only; nothing can be saved.", severity="error"
            )
            return None
        start, end = view.selection
        view.clear_selection()
        try:
            return make_target(self.document.text, start, end)
        except ValueError:
            return None

    def _draft_for(self, ann: Annotation | None, target: Target) -> Draft:
        return Draft(
            key=draft_key(self.post.id, ann.id if ann else None, target.start, target.end),
            post_id=self.post.id,
            text="",
            annotation_id=ann.id if ann else None,
            start=target.start,
            end=target.end,
            quote=target.exact,
            title=self.post.title,
        )

    def _edit(
        self, ann: Annotation, text: str | None = None, *, replaces: str | None = None
    ) -> None:
        """Open the note editor on ``ann``.

        Args:
            ann: The annotation whose note is edited.
            text: Text from a draft to start with (the stored note otherwise).
            replaces: The key of that draft, when it differs from this note's key
                (dropped once the user saves or discards).
        """
        draft = self._draft_for(ann, ann.target)

        def answered(note: str | None) -> None:
            if note is not None and note != ann.note:
                self._update(ann.id, note=note, draft_key=draft.key)
            elif note is not None:
                self._discard_draft(draft.key)
            if replaces is not None and replaces != draft.key:
                self._discard_draft(replaces)

        editor = NoteEditor(
            ann.note if text is None else text,
            original=ann.note,
            quote=ann.target.exact,
            drafts=self.drafts,
            draft=draft,
        )
        self.app.push_screen(editor, answered)

    def _note_written(self, ann_id: str, key: str, note: str | None) -> None:
        """The editor opened by ``n`` answered: show the note now, store it after the highlight."""
        if note:
            self._update(ann_id, note=note, draft_key=key)
        elif note is not None:
            self._discard_draft(key)

    def _resume(self, draft: Draft) -> None:
        """Reopen the note editor with a draft left by a crash."""
        ann = self.placed.annotations.get(draft.annotation_id or "")
        if ann is None:
            ann = next(
                (
                    a
                    for a in self.placed.annotations.values()
                    if (a.target.start, a.target.end) == (draft.start, draft.end)
                ),
                None,
            )
        if ann is not None:
            self.view.set_current(ann.id)
            self._edit(ann, draft.text, replaces=draft.key)
            return
        # The highlight was never saved (or is gone): recreate it at its place.
        if (
            self.document is None
            or self.document.text[draft.start : draft.end] != draft.quote
            or not draft.quote
        ):
            self.notify("The highlight of the restored note is gone; the note is kept as a draft.")
            return
        target = make_target(self.document.text, draft.start, draft.end)
        ann = self._create(target)
        editor = NoteEditor(
            draft.text, original="", quote=target.exact, drafts=self.drafts, draft=draft
        )
        self.app.push_screen(editor, partial(self._note_written, ann.id, draft.key))

    def _current(self) -> Annotation | None:
        current = self.view.current if self.is_mounted else None
        return self.placed.annotations.get(current) if current else None

    def _focus(self, annotation_id: str) -> None:
        if annotation_id in self.placed.spans:
            self.view.set_current(annotation_id)
        elif any(a.id == annotation_id for a in self.placed.orphans):
            self.notify(
                "That highlight could not be placed in the post's current text.", severity="warning"
            )

    # -- private: painting -----------------------------------------------------------------

    def _paint(self) -> None:
        """Hand the placed highlights to the view."""
        highlights = [
            Highlight(ann.id, *self.placed.spans[ann.id], color=ann.color, has_note=ann.has_note)
            for ann in self.placed.annotations.values()
            if ann.id in self.placed.spans
        ]
        self.view.set_highlights(highlights)

    def _show_orphans(self) -> None:
        notice = self.query_one("#reader-orphans", Static)
        count = len(self.placed.orphans)
        notice.display = count > 0
        if count:
            noun = "highlight" if count == 1 else "highlights"
            notice.update(
                Content(
                    f"{count} {noun} could not be placed in this text: see the annotations screen."
                )
            )

    def _show_current_note(self) -> None:
        """The bar under the post: what is selected, else the current highlight's note."""
        bar = self.query_one("#reader-note", Static)
        selection = self.view.selection
        if selection is not None:
            chars = selection[1] - selection[0]
            bar.update(
                Content(
                    f"{chars} character{'s' if chars != 1 else ''} selected · "
                    "h highlight · n note · y copy · esc cancel"
                )
            )
            bar.set_class(False, "-hint")
            return
        ann = self._current()
        if ann is None and self.matches:
            bar.update(
                Content(
                    f"match {self.match_index + 1} of {len(self.matches)}"
                    " · n next · N previous · esc clear"
                )
            )
            bar.set_class(True, "-hint")
            return
        if ann is None:
            # Always shown (a hint when idle), so the post does not jump as it changes.
            bar.update(Content("v select a sentence · ] [ highlights · / find · ? all keys"))
            bar.set_class(True, "-hint")
            return
        bar.set_class(False, "-hint")
        parts = [f"✎ {' '.join(sanitize(ann.note).split())}" if ann.note else "highlight"]
        if ann.tags:
            parts.append(" ".join(f"#{sanitize(t)}" for t in ann.tags))
        parts.append(ann.color)
        bar.update(Content(" · ".join(parts)))

    # -- private: store writes (threads) ---------------------------------------------------

    def _create(self, target: Target) -> Annotation:
        """Show a new highlight at once, current, and save it in an app worker.

        It gets its id here and the store takes it (``AnnotationStore.create(ann_id=)``),
        so the keys that act on the current highlight (``e``, ``t``, ``c``, ``d``, ``y``)
        work on it at once, and what they write is queued behind the create
        (``CreateFailed`` takes it back with the reason).
        """
        now = utc_now_iso()
        ann = Annotation(
            id=AnnotationId(str(uuid.uuid4())),
            post=PostSnapshot.from_post(self.post),
            target=target,
            note="",
            tags=(),
            color=COLORS[0],
            created=now,
            updated=now,
        )
        self.placed.annotations[ann.id] = ann
        self.placed.spans[ann.id] = (target.start, target.end)
        self._paint()
        self.view.set_current(ann.id, scroll=False)
        self._show_current_note()
        self._write(partial(self._create_thread, ann), "save highlight")
        return ann

    def _write(self, work: Callable[[], None], description: str) -> None:
        """Run a store write in an app worker (it must finish even if the reader closes at
        once), after the writes queued before it, so they reach the store in order."""
        before = self._last_write
        done = self._last_write = threading.Event()

        def run() -> None:
            try:
                if before is not None:
                    before.wait(STORE_WAIT)
                work()
            finally:
                done.set()

        self.app.run_worker(
            run, thread=True, group="reader-store", exit_on_error=False, description=description
        )

    def _create_thread(self, ann: Annotation) -> None:
        try:
            saved = self.store.create(
                ann.post,
                ann.target,
                note=ann.note,
                color=ann.color,
                ann_id=ann.id,
                created=ann.created,
            )
        except StoreError as error:
            self.post_message(self.CreateFailed(ann.id, str(error)))
            return
        self.post_message(self.Created(saved))
        self.app.post_message(AnnotationsChanged(self.post.id))

    def _update(self, ann_id: str, *, draft_key: str | None = None, **changes: object) -> None:
        """Show the change at once, write it in an app worker (``Saved`` brings the result)."""
        shown = self.placed.annotations.get(ann_id)
        if shown is not None:
            self.placed.annotations[ann_id] = replace(shown, **changes)  # type: ignore[arg-type]
            self._paint()
            self._show_current_note()
        self._write(partial(self._update_thread, ann_id, changes, draft_key), "update highlight")

    def _update_thread(self, ann_id: str, changes: Mapping[str, object], key: str | None) -> None:
        try:
            ann = self.store.update(ann_id, **changes)  # type: ignore[arg-type]
        except AnnotationNotFound:  # the highlight itself was not saved (or was deleted)
            if "note" in changes:
                self.app.call_from_thread(
                    self.app.notify, "The note was kept as a draft.", severity="warning"
                )
            return
        except StoreError as error:
            self.post_message(self.StoreFailed(str(error)))
            # Show what the store holds again, not the change that failed.
            try:
                stored = self.store.get(ann_id)
            except StoreError:
                return
            if stored is not None:
                self.post_message(self.Saved(stored))
            return
        if key is not None:
            self.drafts.discard(key)
        self.post_message(self.Saved(ann))
        self.app.post_message(AnnotationsChanged(self.post.id))

    def _delete(self, ann_id: str) -> None:
        """Delete in an app worker, after the writes queued before."""
        self._write(partial(self._delete_thread, ann_id), "delete highlight")

    def _delete_thread(self, ann_id: str) -> None:
        try:
            self.store.delete(ann_id)
        except StoreError as error:
            self.post_message(self.StoreFailed(str(error)))
            return
        self.post_message(self.Deleted(ann_id))
        self.app.post_message(AnnotationsChanged(self.post.id))

    def _discard_draft(self, key: str) -> None:
        self.app.run_worker(
            partial(self.drafts.discard, key), thread=True, group="drafts", exit_on_error=False
        )

    @work(thread=True, group="reader-open", exit_on_error=False, description="open browser")
    def _open_browser(self, url: str) -> None:
        if not webbrowser.open(url):
            self.post_message(self.StoreFailed(f"No browser could open {url}."))

    def _save_position(self) -> None:
        """Record where the reader is (an app worker: this screen is going away)."""
        if self._position_saved or self.document is None or self.store.read_only:
            return
        position = self._position = self.view.position
        self._position_saved = True
        post_id = self.post.id
        store = self.store
        app = self.app

        def save() -> None:
            try:
                store.set_reading(post_id, position=position)
            except StoreError:
                return  # losing a reading position is not worth an error on the way out
            app.post_message(ReadingChanged(post_id))

        app.run_worker(
            save, thread=True, group="reading", exit_on_error=False, description="save position"
        )


def _sentence(error: BaseException) -> str:
    """An exception as one sentence for the user."""
    text = str(error).strip() or type(error).__name__
    return text if text.endswith(".") else text + "."
