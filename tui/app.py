"""The Textual app: the composition root that hands corpus, store and config to screens.

``make_app`` is the one factory the CLI (``run_app``) and the tests use. The app loads the
corpus in a thread worker (progress posted in batches), then fills the library screen.
Everything the screens need comes in through their constructors or the app's attributes
``corpus``, ``store`` and ``config``; nothing is a module-level singleton.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.theme import Theme
from textual.worker import Worker, WorkerState, get_current_worker

from tui.commands import PostilCommands
from tui.config import Config, SortOrder, load_config, resolve_corpus, resolve_store, save_config
from tui.corpus.errors import CorpusError
from tui.corpus.model import LoadResult, Post
from tui.corpus.query import Marks
from tui.drafts import Draft, DraftStore
from tui.lifecycle import install_signal_handlers
from tui.messages import AnnotationsChanged, ReadingChanged
from tui.render.cells import clean_cell
from tui.render.script import Script
from tui.screens.library import LibraryData, LibraryIndex, LibraryScreen

if TYPE_CHECKING:
    from annotations.model import Annotation
    from annotations.store import AnnotationStore

PROGRESS_INTERVAL = 0.05
"""Seconds between two progress messages: the loader may call back thousands of times."""


@contextmanager
def kept_for_good() -> Iterator[None]:
    """Build data that lives as long as the app with the cyclic collector off, then freeze it.

    The corpus (and then its index) is hundreds of thousands of objects. While they are
    built, the collector would walk them again and again for nothing (none is garbage);
    afterwards each full collection would walk them all: tens of milliseconds at 50k
    posts, landing in whatever frame happens to allocate (the first list, a filter, an
    open). ``gc.freeze`` moves every object alive now to a generation that is never
    collected and resets the allocation counts, so no big collection follows either;
    reference counting still frees anything dropped later. Cyclic garbage alive at that
    moment is kept for good too: a one-time, bounded cost.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


class PostilApp(App[None]):
    """Browse, filter, read and annotate an archive of post files."""

    CSS_PATH = ["app.tcss", "reader.tcss"]
    TITLE = "postil"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", tooltip="Quit postil.", id="app.quit"),
        Binding(
            "question_mark", "help", "Help", tooltip="Show every key of this screen.", id="app.help"
        ),
        Binding(
            "ctrl+p",
            "command_palette",
            "Commands",
            show=False,
            tooltip="Open the command palette: open a post, filter, sort, export, theme.",
            id="app.palette",
        ),
    ]

    COMMANDS = App.COMMANDS | {PostilCommands}

    @dataclass
    class CorpusProgress(Message):
        """Loading went on: ``done`` of ``total`` files read (posted from the loader thread)."""

        done: int
        total: int

    script: var[Script | None] = var(None, init=False)
    """Chinese shown in simplified or traditional characters (None: as written); the
    reader and the list's titles follow it, and it is remembered in the config file."""

    @dataclass
    class CorpusFailed(Message):
        """The corpus could not be loaded; ``reason`` is one sentence."""

        reason: str

    @dataclass
    class CorpusIndexed(Message):
        """The query index and facets were built (posted from the loader thread)."""

        index: LibraryIndex

    @dataclass
    class CorpusChecked(Message):
        """Every file was checked: ``result`` is the corpus as the folders hold it now.

        Posted after ``CorpusLoaded`` (and its ``CorpusIndexed``) when the list shows what
        the files hold; its posts are the very posts already shown.
        """

        result: LoadResult

    @dataclass
    class CorpusLoaded(Message):
        """The corpus finished loading (posted from the loader thread)."""

        data: LibraryData
        """The corpus and its reading marks (the index follows in ``CorpusIndexed``)."""
        seconds: float
        """How long loading took, for the status line and the benchmark."""

    def __init__(
        self,
        paths: Sequence[Path],
        store: AnnotationStore | Path,
        *,
        config: Config,
        config_path: Path | None = None,
        notices: Sequence[str] = (),
        use_cache: bool = True,
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
            use_cache: Whether the loader may use its metadata cache.
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
        self.corpus: LoadResult = LoadResult(roots=[str(p) for p in self.paths])
        """The loaded corpus; empty until ``CorpusLoaded`` arrives."""
        self.is_loaded = False
        """True once the corpus has loaded."""
        self.load_seconds: float | None = None
        """How long the last corpus load took (to the list shown)."""
        self.use_cache = use_cache
        self._first_list_painted = threading.Event()
        self._notices = list(notices)
        self.drafts: DraftStore = DraftStore()
        """Notes being typed, kept on disk (flushed on SIGHUP/SIGTERM by ``tui.lifecycle``)."""
        self._library: LibraryScreen | None = None
        if config.theme and config.theme in self.available_themes:
            self.theme = config.theme
        self.set_reactive(PostilApp.script, config.script)

    @property
    def store(self) -> AnnotationStore:
        """The annotation store shared by every screen.

        Given as a path, it is opened by the loading worker once the list is painted:
        the memory the store's reading takes for a while is then memory the load has
        just given back, so the two peaks do not add up (26 MB less at 50k posts and
        10k annotations), and the first list never waits for it (see `_show_cached`).
        Asked for sooner (an export from the palette while loading), it is opened there
        and then.
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
        # SIGHUP (terminal closed, SSH dropped) and SIGTERM flush drafts, then exit.
        install_signal_handlers(self)
        self.load_corpus()

    def _notify_read_only(self) -> None:
        """Say once, and until dismissed, that nothing can be saved."""
        if self._read_only_told:
            return
        self._read_only_told = True
        store = self.store
        if getattr(store, "read_only", False):
            reason = getattr(store, "read_only_reason", None) or "it could not be read"
            self.notify(
                f"The annotation store {store.path} is read-only: {reason}",
                title="Store read-only",
                severity="error",
                timeout=float("inf"),
                markup=False,
            )

    # -- loading ---------------------------------------------------------------------------

    @work(
        thread=True, exclusive=True, group="corpus", exit_on_error=False, description="load corpus"
    )
    def load_corpus(self) -> None:
        """Load the corpus in a thread, posting progress at most every few milliseconds.

        With a metadata cache, what the folders held last time is shown at once
        (`_show_cached`) and the files are checked afterwards: the list is replaced only
        if a file was added, removed or changed meanwhile.
        """
        from tui.corpus.loader import load_corpus

        worker = get_current_worker()
        started = time.perf_counter()
        last = 0.0
        shown: LoadResult | None = None

        def progress(done: int, total: int) -> None:
            nonlocal last
            now = time.perf_counter()
            if now - last >= PROGRESS_INTERVAL or done >= total:
                last = now
                if not worker.is_cancelled:
                    self.post_message(self.CorpusProgress(done, total))

        def show_cached(cached: LoadResult) -> None:
            nonlocal shown
            shown = cached
            self._show_cached(cached, time.perf_counter() - started)

        with kept_for_good():
            try:
                result = load_corpus(
                    self.paths, use_cache=self.use_cache, progress=progress, on_cached=show_cached
                )
            except (CorpusError, OSError) as error:
                # E.g. a folder removed since start-up: say so, and show an empty library.
                self.post_message(self.CorpusFailed(str(error)))
                result = LoadResult(roots=[str(p) for p in self.paths])
            if worker.is_cancelled:
                return
            store = self.store  # opened now, after the load (see ``store``)
            if shown is not None and result.posts is shown.posts:
                # Nothing changed since last time: the list and its marks stand.
                index = LibraryIndex.build(result.posts)
                self.post_message(self.CorpusIndexed(index))
                self.post_message(self.CorpusChecked(result))
                return
        data = LibraryData.prepare(result, store)
        if worker.is_cancelled:
            return
        self.post_message(self.CorpusLoaded(data, time.perf_counter() - started))
        # The list is painted from the message above; the index comes second, after the
        # first frame (building it holds the GIL for a while at 50k posts).
        self._first_list_painted.wait(timeout=2.0)
        with kept_for_good():
            index = LibraryIndex.build(result.posts)
        if not worker.is_cancelled:
            self.post_message(self.CorpusIndexed(index))
            self.post_message(self.CorpusChecked(result))

    def _show_cached(self, cached: LoadResult, seconds: float) -> None:
        """Show the posts of the last load from the cache, then read their marks.

        Runs in the loader's thread while a child process scans the files: the list
        first, then (after its frame) the store's read and annotation marks. The index
        is built once the scan is back (a query typed meanwhile waits for it): the
        store's reading then reuses the memory the cache's reading gave back, and the
        index the memory of both (measured at 50k posts and 10k annotations: 143 MB at
        the peak in this order, 148-154 MB in the others).
        """
        if get_current_worker().is_cancelled:
            return
        self.post_message(self.CorpusLoaded(LibraryData(cached, None, checked=False), seconds))
        self._first_list_painted.wait(timeout=2.0)
        self.library.post_message(LibraryScreen.MarksLoaded(Marks.read_from(self.store)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that failed unexpectedly is reported in one sentence, never silently.

        A failed corpus load must not leave "Loading posts…" on screen for ever: the
        library is shown empty with the reason.
        """
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        what = event.worker.description or event.worker.name
        self.notify(
            f"Could not {what}: {error}.", severity="error", timeout=float("inf"), markup=False
        )
        if event.worker.group == "corpus" and not self.is_loaded:
            empty = LoadResult(roots=[str(p) for p in self.paths])
            self.post_message(self.CorpusLoaded(LibraryData(empty, Marks()), 0.0))
            self.post_message(self.CorpusIndexed(LibraryIndex.build([])))
            self.post_message(self.CorpusChecked(empty))

    @on(CorpusProgress)
    def _show_progress(self, event: CorpusProgress) -> None:
        self.library.show_progress(event.done, event.total)

    @on(CorpusLoaded)
    def _corpus_loaded(self, event: CorpusLoaded) -> None:
        first = not self.is_loaded
        self.corpus = event.data.corpus
        self.is_loaded = True
        self.load_seconds = event.seconds
        self.library.set_data(event.data)
        self.call_after_refresh(self._first_list_painted.set)
        if first:
            self._offer_drafts()

    @on(CorpusChecked)
    def _corpus_checked(self, event: CorpusChecked) -> None:
        self._notify_read_only()  # the store is open by now
        self.corpus = event.result
        self.library.set_checked(event.result)

    @on(CorpusFailed)
    def _corpus_failed(self, event: CorpusFailed) -> None:
        self.notify(
            f"The posts could not be loaded: {event.reason}",
            severity="error",
            timeout=float("inf"),
            markup=False,
        )

    @on(CorpusIndexed)
    def _corpus_indexed(self, event: CorpusIndexed) -> None:
        self.library.set_index(event.index)

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

    # -- config ----------------------------------------------------------------------------

    def watch_script(self, script: Script | None) -> None:
        if script != self.config.script:
            self._update_config(replace(self.config, script=script))

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
        except OSError as error:
            self.call_from_thread(
                self.notify,
                f"Could not save the settings: {error.strerror or error}.",
                severity="warning",
                markup=False,
            )

    # -- drafts --------------------------------------------------------------------------

    @work(
        thread=True, exclusive=True, group="drafts", exit_on_error=False, description="read drafts"
    )
    def _offer_drafts(self) -> None:
        """Offer the notes typed when the app last ended without saving them."""
        drafts = self.drafts.pending()
        if drafts:
            self.call_from_thread(self.offer_drafts, drafts)

    def offer_drafts(self, drafts: Sequence[Draft]) -> None:
        """Ask whether to reopen the notes recovered from last time.

        "Restore" opens the first draft's post with its note editor (the reader resumes
        it); the others stay in the draft store and are offered again. "Later" keeps
        them all: nothing typed is ever thrown away without being asked.
        """
        from tui.screens.confirm import ConfirmScreen

        posts: dict[str, Post] = {post.id: post for post in self.corpus.posts}
        usable = [draft for draft in drafts if draft.post_id in posts]
        if not usable:
            return
        count = len(usable)
        noun = "note" if count == 1 else "notes"
        titles = ", ".join(sorted({clean_cell(d.title or posts[d.post_id].title) for d in usable}))

        def answered(restore: bool | None) -> None:
            if restore:
                draft = usable[0]
                self.library.open_post(posts[draft.post_id], resume_draft=draft)
            else:
                self.notify(
                    "The drafts are kept; the palette command 'Restore note drafts' reopens them.",
                    markup=False,
                )

        self.push_screen(
            ConfirmScreen(
                f"{count} unsaved {noun} from last time ({titles}). Reopen now?",
                yes="Restore",
                no="Later",
                default_yes=True,
            ),
            answered,
        )

    def restore_drafts(self) -> None:
        """Offer the recovered drafts again (palette command)."""
        self._offer_drafts()

    def discard_drafts(self) -> None:
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
    use_cache: bool = True,
    config: Config | None = None,
) -> PostilApp:
    """The one factory for the CLI and the tests.

    Args:
        paths: Corpus folders from the command line (empty: environment, config, sample).
        store_path: ``--store``; None falls back to ``POSTIL_STORE``, config, data folder.
        use_cache: Whether the loader may use its metadata cache.
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
    return PostilApp(corpus, store, config=config, notices=notices, use_cache=use_cache)


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
