"""PostScreen: one post on screen, with its highlights; the reader builds on it.

The body is read, rendered and its annotations placed in a thread worker, the first
screens before the screen's first frame so the post shows at once. This screen shows
the post and its highlights, finds words in it, switches its script, copies a quote and
opens its source, and keeps the reading position; :class:`tui.screens.reader.ReaderScreen`
adds the selection and the annotating keys, and holds the key bindings of both.
Reading-state writes go through the app's writer (`tui.store_writer`).
"""

from __future__ import annotations

import asyncio
import threading
import webbrowser
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import get_current_worker

from annotations.model import Annotation
from annotations.store import AnnotationStore, ReadingState, StoreError
from tui.clipboard import copy_text
from tui.collector import CollectorHold
from tui.corpus.model import Post
from tui.corpus.query import Query
from tui.corpus.snippets import match_spans
from tui.messages import ReadingChanged
from tui.reading.find import Matches
from tui.reading.selection import Span
from tui.reading.sharing import can_open_browser, quote_with_citation
from tui.reading.shown import ShownAnnotations, note_line
from tui.render import sanitize
from tui.render.script import SCRIPT_NAMES, Script, ScriptSetting, available, next_script
from tui.render.sentences import sentence_spans, word_spans
from tui.store_writer import StoreWriter, store_writer_for
from tui.widgets.find_bar import FindBar
from tui.widgets.key_bar import KeyBar
from tui.widgets.post_header import PostHeader
from tui.widgets.post_view import PostView
from tui.widgets.wrapped_text import WrappedText

if TYPE_CHECKING:
    from tui.render import Document

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

FIRST_BLOCKS = 12
"""Blocks converted in the loading thread, so the first screen lays out without waiting.

About a screen of text's worth; the view converts whatever more it needs as it lays
out (converting more here would delay the first frame of a long post)."""


class PostScreen(Screen[None]):
    """One post and its highlights: loading, finding, script, quoting, reading position.

    Not shown on its own: :class:`~tui.screens.reader.ReaderScreen` is this screen with
    the selection and annotation keys.

    Args:
        post: The post to show.
        store: The annotation store (highlights, notes, reading state).
        focus_annotation: An annotation id to scroll to and make current.
        search: The library's text query the post was opened from (its matches are
            marked, the first shown).
    """

    @dataclass
    class Loaded(Message):
        """The body was read and its first screens rendered (from a thread)."""

        document: Document
        reading: ReadingState

    @dataclass
    class Placed(Message):
        """The post's annotations were re-anchored in the whole text (from a thread)."""

        placed: ShownAnnotations

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
    class StoreFailed(Message):
        """A store write failed; ``reason`` is one sentence (from a thread)."""

        reason: str

    def __init__(
        self,
        post: Post,
        store: AnnotationStore,
        *,
        focus_annotation: str | None = None,
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
        self.document: Document | None = None
        """The rendered post, once loaded."""
        self.placed = ShownAnnotations()
        """The post's annotations as shown (placed, or made here and not yet stored)."""
        self._position_saved = False
        self._position = 0
        """The reading position (canonical offset at the top), kept up to date."""
        self.is_placed = False
        """True once the annotations are re-anchored and painted."""
        self._spinner: Timer | None = None
        self._keys_state = (False, False)
        """(has a selection, has a current highlight): what the key bar's keys depend on."""
        self._arrived: PostScreen.Loaded | PostScreen.LoadFailed | None = None
        """What the loading thread sent first (read by ``on_mount``)."""
        self._no_text = False
        """The whole post is converted and holds no sentence (its body is markup alone)."""
        self._arrival = asyncio.Event()
        """Set (on the event loop) once ``_arrived`` is."""
        self._painted = threading.Event()
        """Set once the first frame with the body is drawn (or the screen goes away)."""
        self._collector_hold: CollectorHold | None = None
        """Holds the cyclic garbage collector off until the first frame (`tui.collector`)."""
        self._matches = Matches()
        """Where the search (the library's text query, or ``/``) found its words."""
        self._find_waiting: Query | None = None  # a ``/`` typed ahead of the body: run on arrival

    def compose(self) -> ComposeResult:
        """Header, orphan notice, the post, the current note, the keys.

        The body starts loading here, while the widgets mount, not after.
        """
        self._loop = asyncio.get_running_loop()
        self._writer: StoreWriter = store_writer_for(self.app)
        self._collector_hold = CollectorHold()  # until the first frame is drawn
        self.load_post()
        yield PostHeader(self.post, id="reader-header")
        yield Static("", id="reader-orphans", markup=False)
        yield PostView(id="post-view")
        yield WrappedText(id="reader-note")
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

    def _arrive(self, message: PostScreen.Loaded | PostScreen.LoadFailed) -> None:
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
    def matches(self) -> list[Span]:
        """Where the search (the library's text query, or ``/``) found its words."""
        return self._matches.spans

    @property
    def match_index(self) -> int:
        """The match shown apart (``n``/``N`` move it)."""
        return self._matches.index

    @property
    def view(self) -> PostView:
        """The post view."""
        return self.query_one("#post-view", PostView)

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
            placed = ShownAnnotations.placed(text, self.store.for_post(self.post.id), self.store)
        except StoreError as error:
            self.post_message(self.StoreFailed(str(error)))
            placed = ShownAnnotations()
        self.post_message(self.Placed(placed))
        self.post_message(self.Prepared(sentence_spans(text), word_spans(text)))

    def _mark_read(self, reading: ReadingState) -> None:
        """Mark the post read through the app's writer (the loading thread waits for it)."""
        if reading.is_read or self.store.read_only:
            return

        def mark() -> None:
            try:
                self.store.set_reading(self.post.id, is_read=True)
            except StoreError as error:
                self.post_message(self.StoreFailed(str(error)))
            else:
                self.post_message(ReadingChanged(self.post.id))

        self._writer.submit(mark).result()

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
        search = self._find_waiting or self.search
        if search is not None:
            self._find(search, event.document)

    def _first_frame_drawn(self) -> None:
        """The post is on screen: the deferred work may start."""
        self._resume_gc()
        self._painted.set()

    def _resume_gc(self) -> None:
        """Let the garbage collector run again (this screen's hold, once)."""
        if self._collector_hold is not None:
            self._collector_hold.release()

    @on(Placed)
    def _placed(self, event: Placed) -> None:
        event.placed.keep(self.placed)  # the highlights made while it was being placed
        self.placed = event.placed
        self.is_placed = True
        self._paint()
        self._show_orphans()
        if self.focus_annotation is not None:
            self._focus(self.focus_annotation)
        self._after_placing()

    def _after_placing(self) -> None:
        """What else is due once the annotations are placed and painted (nothing here)."""

    @on(Prepared)
    def _prepared(self, event: Prepared) -> None:
        self.view.set_spans(event.sentences, event.words)
        self._no_text = not event.sentences
        self._show_current_note()

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

    @on(StoreFailed)
    def _store_failed(self, event: StoreFailed) -> None:
        self.notify(event.reason, title="Not saved", severity="error", markup=False)

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out keys that need the post, a selection or a current highlight."""
        if self.document is None or not self.is_mounted:
            return action in {"back", "open_source", "find"} or None
        view = self.view
        if action in {"next_match", "previous_match", "clear_find"}:
            return bool(self._matches) and view.selection is None
        if action == "copy":
            return True if view.selection is not None or self._current() is not None else None
        return True

    def action_find(self) -> None:
        """Open the find bar."""
        self.query_one(FindBar).open()

    def action_next_match(self) -> None:
        """Show the next match (from the last, the first)."""
        self._show_match(self._matches.index + 1)

    def action_previous_match(self) -> None:
        """Show the previous match (from the first, the last)."""
        self._show_match(self._matches.index - 1)

    def action_clear_find(self) -> None:
        """Clear the search's marks."""
        self._matches.clear()
        self.view.set_matches([], None)
        self.refresh_bindings()
        self._show_current_note()

    @on(FindBar.Submitted)
    def _find_submitted(self, event: FindBar.Submitted) -> None:
        event.stop()
        self.view.focus()
        self._find_waiting = event.query if self.document is None else None
        if self.document is not None:
            self._find(event.query, self.document)

    @on(FindBar.Closed)
    def _find_closed(self, event: FindBar.Closed) -> None:
        event.stop()
        self.view.focus()

    @work(thread=True, exclusive=True, group="reader-find", exit_on_error=False, description="find")
    def _find(self, query: Query, document: Document) -> None:
        """Find the query's words in the whole text, as written and as shown (its script)."""
        spans = match_spans(document.text, query, shown_in=self.view.script)
        self.post_message(self.MatchesFound(spans))

    @on(MatchesFound)
    def _matches_found(self, event: MatchesFound) -> None:
        self._matches.found(event.matches)
        if not event.matches:
            self.view.set_matches([], None)
            self.notify("Not found in the text of this post.", timeout=3)
        else:
            self._show_match(0)
        self.refresh_bindings()

    def _show_match(self, index: int) -> None:
        """Show match ``index`` apart; the search is what the user follows now, so no
        highlight stays current (the line under the post says which match this is)."""
        if not self._matches:
            return
        start, _ = self._matches.show(index)
        self.view.set_current(None)
        self.view.set_matches(self._matches.spans, self._matches.index)
        self.view.scroll_to_offset(start, jump=True)
        self._show_current_note()

    def action_back(self) -> None:
        """Save the reading position and go back."""
        self._save_position()
        self.dismiss()

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
        and one small store write on the way out is acceptable.
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
        self.view.set_highlights(self.placed.highlights(), all_placed=self.is_placed)

    def _show_orphans(self) -> None:
        notice = self.query_one("#reader-orphans", Static)
        text = self.placed.orphan_notice()
        notice.display = text is not None
        if text is not None:
            notice.update(Content(text))

    def _show_current_note(self) -> None:
        """The bar under the post: what is selected, else the current highlight's note."""
        text, is_hint = note_line(
            self.view.selection, self._current(), self._matches, no_text=self._no_text
        )
        bar = self.query_one("#reader-note", WrappedText)
        bar.set_lines([(text, "")])
        bar.set_class(is_hint, "-hint")

    @work(thread=True, group="reader-open", exit_on_error=False, description="open browser")
    def _open_browser(self, url: str) -> None:
        if not webbrowser.open(url):
            self.post_message(self.StoreFailed(f"No browser could open {url}."))

    def _save_position(self) -> None:
        """Record where the reader is (through the app's writer: this screen is going away)."""
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

        self._writer.run(app, save, "save position")


def _sentence(error: BaseException) -> str:
    """An exception as one sentence for the user."""
    text = str(error).strip() or type(error).__name__
    return text if text.endswith(".") else text + "."
