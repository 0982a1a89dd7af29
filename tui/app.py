"""The Textual app: the composition root that hands the index, store and config to screens.

``make_app`` is the one factory the CLI (``run_app``) and the tests use. The app opens the
corpus's index (a worker: the list of last time is shown at once), then starts the
indexing process (``python -m tui.corpus.index.build``), which brings the index up to date
with the files and reports its progress, line by line, to a worker that posts it to the
library. Everything the screens need comes in through their constructors or the app's
attributes ``library``, ``store`` and ``config``; nothing is a module-level singleton.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App
from textual.binding import BindingType
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.theme import Theme
from textual.worker import Worker, WorkerState, get_current_worker

from tui.app_keys import APP_BINDINGS
from tui.commands import PostilCommands
from tui.config import Config, SortOrder, load_config, resolve_corpus, resolve_store, save_config
from tui.corpus.errors import CorpusError
from tui.corpus.index.build import Event
from tui.corpus.index.library import Library, ResultRows
from tui.corpus.model import Post
from tui.corpus.query import Marks
from tui.drafts import Draft, DraftStore
from tui.indexer import Indexer, IndexerFailed
from tui.lifecycle import install_signal_handlers
from tui.listing import IndexState
from tui.messages import AnnotationsChanged, ReadingChanged
from tui.render.script import Script
from tui.screens.library import LibraryScreen
from tui.store_writer import StoreWriter
from tui.widgets.ordered_keys import OrderedKeysApp

if TYPE_CHECKING:
    from annotations.model import Annotation
    from annotations.store import AnnotationStore


class PostilApp(OrderedKeysApp[None]):
    """Browse, filter, read and annotate an archive of post files."""

    CSS_PATH = ["app.tcss", "reader.tcss"]
    TITLE = "postil"

    BINDINGS: ClassVar[list[BindingType]] = APP_BINDINGS

    COMMANDS = App.COMMANDS | {PostilCommands}

    script: var[Script | None] = var(None, init=False)
    """Chinese shown in simplified or traditional characters (None: as written); the
    reader and the list's titles follow it, and it is remembered in the config file."""

    @dataclass
    class CorpusOpened(Message):
        """The index was opened (posted from a worker)."""

        library: Library
        rows: ResultRows | None
        """Every post, newest first, as the index holds them; None when it holds none yet
        (a first run: the list follows the indexing process's first pass)."""
        seconds: float
        """How long it took (to the list shown), for the benchmark."""

    @dataclass
    class CorpusFailed(Message):
        """The corpus could not be loaded or indexed; ``reason`` is one sentence."""

        reason: str

    @dataclass
    class IndexProgress(Message):
        """The indexing process reported a step (posted from the worker that reads it)."""

        event: Event

    def __init__(
        self,
        paths: Sequence[Path],
        store: AnnotationStore | Path,
        *,
        config: Config,
        config_path: Path | None = None,
        notices: Sequence[str] = (),
    ) -> None:
        """Build the app; nothing is read until it runs.

        Args:
            paths: The corpus folders (or files) to load.
            store: The annotation store, or the path of its file: it is then opened after
                the corpus is loaded (see :attr:`store`).
            config: The settings read from the config file (or given by a test).
            config_path: Where theme and sort changes are saved; None saves to the default
                config file.
            notices: One-sentence notices to show once the app runs (e.g. a broken config).
        """
        super().__init__()
        self.paths: list[Path] = list(paths)
        """The corpus folders being shown."""
        self._store: AnnotationStore | None = None
        self._store_path: Path | None = None
        if isinstance(store, Path):
            self._store_path = store
        else:
            self._store = store
        self._store_lock = threading.Lock()
        self._read_only_told = False
        self.config: Config = config
        """The current settings; replaced (never mutated) when the theme, sort or script
        changes."""
        self.config_path = config_path
        self.library_index: Library | None = None
        """The index's read side; None until it is opened."""
        self.is_loaded = False
        """True once the index is open."""
        self.load_seconds: float | None = None
        """How long opening the index took (to the list shown)."""
        self.index_state = IndexState()
        """How far the indexing process is."""
        self._indexer: Indexer | None = None
        self._first_list_painted = threading.Event()
        self._notices = list(notices)
        self.drafts: DraftStore = DraftStore()
        """Notes being typed, kept on disk (flushed on SIGHUP/SIGTERM by ``tui.lifecycle``)."""
        self.store_writer = StoreWriter()
        """Runs every screen's store writes, one at a time, in order."""
        self._library: LibraryScreen | None = None
        if config.theme and config.theme in self.available_themes:
            self.theme = config.theme
        self.set_reactive(PostilApp.script, config.script)

    @property
    def store(self) -> AnnotationStore:
        """The annotation store shared by every screen.

        Given as a path, it is opened by the loading worker once the first list is
        painted, so that list never waits for it (see `load_corpus`). Asked for sooner
        (an export from the palette while loading), it is opened there and then.
        """
        store = self._store
        if store is None:
            with self._store_lock:
                if self._store is None:
                    from annotations.store import AnnotationStore

                    assert self._store_path is not None
                    self._store = AnnotationStore(self._store_path)
                store = self._store
        return store

    @property
    def store_is_open(self) -> bool:
        """Whether :attr:`store` has been opened (reading it now would not block)."""
        return self._store is not None

    def get_default_screen(self) -> LibraryScreen:
        """The library is the first screen and stays at the bottom of the stack."""
        self._library = LibraryScreen(sort=self.config.sort)
        return self._library

    @property
    def library(self) -> LibraryScreen:
        """The library screen (created with the app's first screen)."""
        assert self._library is not None, "the library exists once the app runs"
        return self._library

    def on_mount(self) -> None:
        """Show pending notices, install signal handlers and start loading."""
        for notice in self._notices:
            self.notify(notice, severity="warning", timeout=10, markup=False)
        if self.store_is_open:
            self._notify_read_only()
        self.theme_changed_signal.subscribe(self, self._on_theme_changed)
        # Back from ctrl+z (fg): the terminal's screen was the shell's; draw it all again.
        self.app_resume_signal.subscribe(self, lambda _: self.refresh(layout=True))
        # SIGHUP (terminal closed, SSH dropped) and SIGTERM flush drafts, then exit.
        install_signal_handlers(self)
        self.load_corpus()
        if self.script is not None:
            self._preload_scripts()

    def _notify_read_only(self) -> None:
        """Say once, and until dismissed, that nothing can be saved."""
        if self._read_only_told:
            return
        self._read_only_told = True
        store = self.store
        if getattr(store, "read_only", False):
            # The store's reason is a whole sentence: which file, why, opened read-only.
            reason = getattr(store, "read_only_reason", None) or (
                f"the annotation store {store.path} could not be read; it is opened read-only."
            )
            self.notify(
                reason[:1].upper() + reason[1:],
                title="Store read-only",
                severity="error",
                timeout=float("inf"),
                markup=False,
            )

    # -- loading ---------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        group="corpus",
        exit_on_error=False,
        description="open the index",
    )
    def load_corpus(self) -> None:
        """Open the corpus's index and show what it holds, then start the indexing process.

        The list is what the index held at the last run (at once, whatever the size of
        the corpus); the indexing process then compares it with the files, and the list
        is read again if any was added, removed or changed.
        """
        from tui.corpus.index import CorpusIndex

        started = time.perf_counter()
        worker = get_current_worker()
        try:
            index = CorpusIndex(self.paths)
        except (CorpusError, OSError) as error:
            self.post_message(self.CorpusFailed(str(error)))
            return
        roots, notices = index.roots, list(index.notices)
        index.close()
        for notice in notices:
            self.call_from_thread(self.notify, notice, severity="warning", markup=False)
        library = Library(roots)
        rows: ResultRows | None = library.everything()
        if rows is not None and len(rows) == 0:
            rows = None  # a first run: the indexing process lists the files
        elif rows is not None:
            rows.prefetch()
        if worker.is_cancelled:
            return
        self.post_message(self.CorpusOpened(library, rows, time.perf_counter() - started))
        self._first_list_painted.wait(timeout=2.0)
        # The store is opened now, after the first list (see ``store``).
        self.library.post_message(LibraryScreen.MarksLoaded(Marks.read_from(self.store)))
        if not worker.is_cancelled:
            self.call_from_thread(self.run_indexer, roots)

    @work(thread=True, exclusive=True, group="indexer", exit_on_error=False, description="index")
    def run_indexer(self, roots: list[str], *, again: bool = False) -> None:
        """Run the indexing process and post each step it reports (``again``: stop the
        one running first, which keeps what it committed)."""
        worker = get_current_worker()
        if again:
            self.stop_indexer()
        indexer = self._indexer = Indexer(roots)
        try:
            indexer.start()
        except IndexerFailed as error:
            self.post_message(self.CorpusFailed(str(error)))
            return
        for event in indexer.events(lambda: worker.is_cancelled):
            self.post_message(self.IndexProgress(event))
        why = indexer.failure()
        if why is not None and not worker.is_cancelled:
            self.post_message(
                self.CorpusFailed(f"the index could not be brought up to date: {why}")
            )

    @work(thread=True, group="renames", exit_on_error=False, description="follow renamed posts")
    def _follow_renames(self, renamed: tuple[tuple[str, str], ...]) -> None:
        """Move the annotations of renamed posts to their new ids (see `follow_renames`)."""
        from annotations.model import PostSnapshot
        from annotations.rehome import follow_renames

        library = self.library_index
        if library is None or self.store.read_only:
            return
        pairs = [
            (old, PostSnapshot.from_post(post))
            for old, new in renamed
            if (post := library.find(new)) is not None
        ]
        if follow_renames(self.store, pairs):
            self.post_message(AnnotationsChanged(pairs[0][1].id))

    def stop_indexer(self) -> None:
        """Stop the indexing process (the index keeps every batch it committed)."""
        if self._indexer is not None:
            self._indexer.stop()

    def on_unmount(self) -> None:
        """Stop the indexing process with the app."""
        self.stop_indexer()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that failed unexpectedly is reported in one sentence, never silently.

        A failed load must not leave "Loading posts…" on screen for ever: the library is
        shown empty with the reason.
        """
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        what = event.worker.description or event.worker.name
        self.notify(
            f"Could not {what}: {error}.", severity="error", timeout=float("inf"), markup=False
        )
        if event.worker.group == "corpus" and not self.is_loaded:
            self.library.show_failed()

    @on(CorpusOpened)
    def _corpus_opened(self, event: CorpusOpened) -> None:
        first = not self.is_loaded
        self.library_index = event.library
        self.is_loaded = True
        self.load_seconds = event.seconds
        self.library.set_library(event.library, event.rows)
        self.call_after_refresh(self._first_list_painted.set)
        if first:
            self._offer_drafts()

    @on(IndexProgress)
    def _index_progress(self, event: IndexProgress) -> None:
        step = event.event
        if step.phase == "files":
            self.library.show_progress(step.done, step.total)
            return
        if step.phase == "notice":
            self.notify(step.message, severity="warning", markup=False)
            return
        if step.phase == "error":
            self.post_message(self.CorpusFailed(step.message))
        if step.phase == "synced" and step.renamed:
            self._follow_renames(step.renamed)
        state, changed = self.index_state.after(step, time.monotonic())
        self.index_state = state
        self._notify_read_only()  # the store is open by now
        self.library.set_state(state, changed=changed)

    @on(CorpusFailed)
    def _corpus_failed(self, event: CorpusFailed) -> None:
        self.notify(
            f"The posts could not be loaded: {event.reason}",
            severity="error",
            timeout=float("inf"),
            markup=False,
        )
        if not self.is_loaded:
            self.library.show_failed()

    @on(AnnotationsChanged)
    @on(ReadingChanged)
    def _marks_changed(self, event: AnnotationsChanged | ReadingChanged) -> None:
        """The reader changed a post's annotations or reading state: refresh the marks."""
        if self.is_loaded:
            self.library.refresh_marks()

    # -- actions ---------------------------------------------------------------------------

    def action_help(self) -> None:
        """Show the keys of the current screen."""
        from tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def action_export(self) -> None:
        """Export every annotation through the export dialog."""
        from tui.screens.export_dialog import ExportDialog

        self._export(ExportDialog)

    @work(thread=True, exclusive=True, group="export", exit_on_error=False, description="export")
    def _export(self, dialog: Callable[[list[Annotation]], Screen[Any]]) -> None:
        """Read the annotations off the event loop, then open the export dialog on them."""
        annotations = self.store.all()

        # The screen is built on the event loop: widgets are not made in threads.
        def open_dialog() -> None:
            self.push_screen(dialog(annotations))

        self.call_from_thread(open_dialog)

    def set_sort(self, sort: SortOrder) -> None:
        """Sort the library by ``sort`` and remember it in the config file."""
        self.library.set_sort(sort)
        self._update_config(replace(self.config, sort=sort))

    def action_sort(self, order: SortOrder) -> None:
        """List the posts in ``order`` (remembered)."""
        self.set_sort(order)

    def action_filter(self, query: str) -> None:
        """Filter the library by ``query`` (as typed in its filter bar)."""
        self.library.apply_query(query)

    def action_open_post(self, post: Post) -> None:
        """Open ``post`` in the reader."""
        self.library.open_post(post)

    def action_show_problems(self) -> None:
        """List the files that did not load."""
        self.library.action_problems()

    def action_show_annotations(self) -> None:
        """List every annotation."""
        self.library.action_annotations()

    def action_clear_filter(self) -> None:
        """Show every post again."""
        self.library.action_clear_filter()

    def action_toggle_facets(self) -> None:
        """Show or hide the facet sidebar."""
        self.library.action_toggle_sidebar()

    def action_check_files(self) -> None:
        """Compare the index with the files again, as at a start: posts edited, added or
        removed while the app runs are read and the list follows them."""
        if self.library_index is None:
            return
        if self.library_index.is_gone():
            self._reopen_index(self.library_index)
            return
        # A new run: its own rate for the time left.
        self.index_state = replace(self.index_state, checked=False, text_since=None)
        self.library.set_state(self.index_state)
        self.run_indexer(self.library_index.roots, again=True)

    @on(LibraryScreen.IndexGone)
    def _index_gone(self, event: LibraryScreen.IndexGone) -> None:
        self._reopen_index(event.library)

    def _reopen_index(self, gone: Library) -> None:
        """The index folder was removed while the app ran (a cache cleaner, ``rm -rf
        ~/.cache``): open it again as at a start, which builds it anew; the list and the
        query follow once the indexing process has read the files."""
        if self.library_index is not gone:
            return  # opened again already
        self.library_index = None
        self.notify(
            "The index was removed while postil was running: it is being built again.",
            severity="warning",
            markup=False,
        )
        self.stop_indexer()
        self.index_state = IndexState()
        self.library.set_state(self.index_state)
        self.load_corpus()

    @property
    def corpus_values(self) -> dict[str, dict[str, int]]:
        """The corpus's tags, authors, categories, hosts and years with their counts."""
        return self.library.values

    # -- config ----------------------------------------------------------------------------

    def watch_script(self, script: Script | None) -> None:
        if script is not None:
            self._preload_scripts()
        if script != self.config.script:
            self._update_config(replace(self.config, script=script))

    @work(thread=True, exclusive=True, group="scripts", exit_on_error=False)
    def _preload_scripts(self) -> None:
        """Load OpenCC's conversions off the event loop (see `tui.render.script.preload`)."""
        from tui.render.script import preload

        preload()

    def _on_theme_changed(self, theme: Theme) -> None:
        if theme.name != self.config.theme:
            self._update_config(replace(self.config, theme=theme.name))

    def _update_config(self, config: Config) -> None:
        self.config = config
        self._save_config(config)

    @work(
        thread=True, exclusive=True, group="config", exit_on_error=False, description="save config"
    )
    def _save_config(self, config: Config) -> None:
        """Write the config file off the event loop; a failure is a notice, not a crash."""
        try:
            save_config(config, self.config_path)
        except (OSError, ValueError) as error:  # ValueError: the file is not valid TOML
            self.call_from_thread(
                self.notify,
                f"Could not save the settings: {getattr(error, 'strerror', None) or error}.",
                severity="warning",
                markup=False,
            )

    # -- drafts --------------------------------------------------------------------------

    @work(
        thread=True, exclusive=True, group="drafts", exit_on_error=False, description="read drafts"
    )
    def _offer_drafts(self, *, asked: bool = False) -> None:
        """Offer the notes typed when the app last ended without saving them. Unasked (at
        a start), once the keys rest (`UNASKED_QUIET_S`): the question must not come up
        under a typist. Asked for (the palette), at once, and saying so when there are none."""
        drafts = self.drafts.pending()
        if not drafts:
            if asked:
                self.call_from_thread(self.notify, "There are no note drafts.", markup=False)
            return
        worker = get_current_worker()
        while not asked and (wait := self.keys_rest_in()) > 0 and not worker.is_cancelled:
            time.sleep(wait)
        if not worker.is_cancelled:
            self.call_from_thread(self.offer_drafts, drafts, asked=asked)

    def offer_drafts(self, drafts: Sequence[Draft], *, asked: bool = False) -> None:
        """Ask whether to reopen the notes recovered from last time (see
        `tui.screens.drafts_offer`); ``asked``: the user asked for it (the palette)."""
        from tui.screens.drafts_offer import offer_drafts

        library = self.library_index

        def find(post_id: str) -> Post | None:
            return library.find(post_id) if library is not None else None

        def open_post(post: Post, draft: Draft) -> None:
            self.library.open_post(post, resume_draft=draft)

        offer_drafts(self, drafts, find, open_post, asked=asked)

    def action_restore_drafts(self) -> None:
        """Offer the recovered drafts again (palette command)."""
        self._offer_drafts(asked=True)

    def action_discard_drafts(self) -> None:
        """Drop every recovered draft (palette command)."""
        self._discard_drafts()

    @work(
        thread=True, exclusive=True, group="drafts", exit_on_error=False, description="drop drafts"
    )
    def _discard_drafts(self) -> None:
        count = len(self.drafts.pop_all())
        noun = "draft" if count == 1 else "drafts"
        self.call_from_thread(self.notify, f"Discarded {count} note {noun}.", markup=False)


def make_app(
    paths: Sequence[str | Path],
    *,
    store_path: Path | str | None = None,
    config: Config | None = None,
) -> PostilApp:
    """The one factory for the CLI and the tests.

    Args:
        paths: Corpus folders from the command line (empty: environment, config, sample).
        store_path: ``--store``; None falls back to ``POSTIL_STORE``, config, data folder.
        config: Settings to use instead of reading the config file (tests).

    Returns:
        The app, ready to ``run()`` or ``run_test()``.
    """

    notices: list[str] = []
    if config is None:
        config, notice = load_config()
        if notice:
            notices.append(notice)
    corpus = resolve_corpus(paths, config)
    # Opened by the app after the corpus (see PostilApp.store).
    store = resolve_store(store_path, config)
    return PostilApp(corpus, store, config=config, notices=notices)


def run_app(paths: Sequence[str | Path], store: str | Path | None = None) -> None:
    """Run the app on ``paths`` with the store at ``store`` (CLI entry point)."""
    missing = [str(path) for path in paths if not Path(path).expanduser().exists()]
    if missing:
        # The CLI contract: one sentence on stderr, exit status 2, no app started.
        print(f"postil: there is no file or folder named '{missing[0]}'.", file=sys.stderr)
        sys.exit(2)
    app = make_app(paths, store_path=store)
    app.run()
    # 128 + the signal after SIGHUP/SIGTERM (tui.lifecycle), so a shell or a supervisor
    # can tell a dropped session from a quit.
    if app.return_code:
        sys.exit(app.return_code)
