"""The library screen: the filter bar, the post list, the facet sidebar and the status line.

The app loads the corpus in a thread and hands it over in two steps: :class:`LibraryData`
(posts and reading marks: the list is painted at once) and then :class:`LibraryIndex`
(the query index and corpus-wide facets, which take longer to build at 50k posts; a
query typed meanwhile is applied when the index arrives). Filtering runs on the event
loop (the index filters 50k posts in a few milliseconds); facet counts for a result and
every store access run in workers.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from itertools import compress
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Label, ProgressBar
from textual.worker import get_current_worker

from tui.config import SortOrder
from tui.corpus.facets import Facets, complete_values, indexed_facets
from tui.corpus.model import LoadResult, Post
from tui.corpus.query import Marks
from tui.render.script import ScriptSetting
from tui.widgets.facet_sidebar import FacetSidebar
from tui.widgets.filter_bar import FilterBar, load_history, save_history
from tui.widgets.key_bar import KeyBar
from tui.widgets.post_list import PostList
from tui.widgets.status_line import Status, StatusLine

if TYPE_CHECKING:
    from annotations.store import AnnotationStore
    from tui.corpus.query import PostIndex, Query
    from tui.drafts import Draft

SIDEBAR_MIN_WIDTH = 90
"""Below this terminal width the facet sidebar hides itself."""
FACETS_DELAY = 0.05
"""Seconds between a filter and its facet count (and history save): the list's frame (at
most 1/60 s away) comes first, and filters in quick succession count only the last."""


@dataclass
class LibraryData:
    """The loaded corpus and its marks: enough to paint the list."""

    corpus: LoadResult
    marks: Marks | None
    """None when they are not read yet (they follow in a ``MarksLoaded``)."""
    checked: bool = True
    """False for the list of last time from the metadata cache, until the files are
    checked (see :meth:`LibraryScreen.set_checked`)."""

    @classmethod
    def prepare(cls, corpus: LoadResult, store: AnnotationStore) -> LibraryData:
        """Read the marks (blocking: call from a thread worker)."""
        return cls(corpus=corpus, marks=Marks.read_from(store))


@dataclass
class LibraryIndex:
    """What filtering needs, built after the first paint (a fraction of a second at 50k)."""

    index: PostIndex
    facets: Facets
    """Facet counts over the whole corpus (the first sidebar, the palette's values)."""

    @classmethod
    def build(cls, posts: Sequence[Post]) -> LibraryIndex:
        """Build the query index and the corpus-wide facets (blocking: call from a thread)."""
        from tui.corpus.query import PostIndex

        index = PostIndex(posts)
        return cls(index=index, facets=indexed_facets(index, None))


def sort_order(posts: Sequence[Post], order: SortOrder) -> list[int]:
    """Positions of ``posts`` (newest first, undated last, as the loader gives them) in
    ``order``."""
    count = len(posts)
    if order == "newest":
        return list(range(count))
    if order == "oldest":
        dated = [i for i, post in enumerate(posts) if post.date is not None]
        undated = [i for i, post in enumerate(posts) if post.date is None]
        return dated[::-1] + undated
    if order == "title":
        titles = [post.title.casefold() for post in posts]
        return sorted(range(count), key=titles.__getitem__)
    # Python's sort is stable: within an author, newest first remains.
    authors = [(post.author == "", post.author.casefold()) for post in posts]
    return sorted(range(count), key=authors.__getitem__)


def sort_posts(posts: Sequence[Post], order: SortOrder) -> list[Post]:
    """``posts`` (newest first, undated last, as the loader gives them) in ``order``."""
    return list(map(posts.__getitem__, sort_order(posts, order)))


class LibraryScreen(Screen[None]):
    """The list of posts with its filter bar, facets and status line."""

    HELP = """
## Library

The list of posts. `/` filters with the query language, Enter opens a post,
`f` shows the facets, `r` marks a post read or unread, `a` lists every annotation,
`p` lists the files that did not load. More commands (sort orders, open by title,
export, theme) are in the command palette (`ctrl+p`).
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash",
            "focus_filter",
            "Filter",
            tooltip="Type a query to filter the posts.",
            id="library.filter",
            # A priority binding runs while the app routes the key, before it forwards
            # the next ones: keys that arrive with `/` in one read (a fast typist over
            # ssh, a paste) then reach the filter bar, not the list. check_action lets
            # `/` through to the bar once it has focus.
            priority=True,
        ),
        Binding(
            "f",
            "toggle_sidebar",
            "Facets",
            tooltip="Show or hide the facet sidebar.",
            id="library.facets",
        ),
        Binding(
            "r",
            "toggle_read",
            "Read",
            tooltip="Mark the post read or unread.",
            id="library.read",
        ),
        Binding(
            "a",
            "annotations",
            "Annotations",
            tooltip="List every highlight and note.",
            id="library.annotations",
        ),
        Binding(
            "p",
            "problems",
            "Problems",
            tooltip="List the files that did not load.",
            id="library.problems",
        ),
        Binding(
            "escape",
            "clear_filter",
            "Clear filter",
            show=False,
            tooltip="Show every post again.",
            id="library.clear",
        ),
    ]

    show_sidebar: reactive[bool] = reactive(True, bindings=True)
    """Whether the facet sidebar is shown."""
    is_loading: reactive[bool] = reactive(True, bindings=True)
    """Whether the corpus is still loading."""

    @dataclass
    class MarksLoaded(Message):
        """Marks read from the store in a worker."""

        marks: Marks

    @dataclass
    class FacetsCounted(Message):
        """Facet counts of the current result, computed in a worker."""

        facets: Facets
        generation: int
        """The result they belong to (older counts are dropped)."""

    def __init__(self, *, sort: SortOrder = "newest") -> None:
        """Build the screen; the corpus arrives later through :meth:`set_data`.

        Args:
            sort: The initial sort order.
        """
        super().__init__()
        self.sort: SortOrder = sort
        """The current sort order."""
        self.data: LibraryData | None = None
        """The loaded corpus; None while loading."""
        self.index: LibraryIndex | None = None
        """The query index and facets; None until built."""
        self.filter_query: Query | None = None
        """The applied query; None shows everything."""
        self.marks = Marks()
        """Reading and annotation marks."""
        self.shown: Sequence[Post] = []
        """The posts listed, in display order."""
        self.shown_bits: int | None = None
        """The listed posts as a bitset of index positions; None when every post is."""
        self._orders: dict[SortOrder, list[int]] = {}
        self._ranks: dict[SortOrder, array[int]] = {}
        self._generation = 0
        self._history_saves = 0
        self._facets_stale = True
        self._was_wide = True
        self._was_empty: bool | None = None

    def compose(self) -> ComposeResult:
        """Filter bar on top, list and sidebar, loading bar, status line, footer."""
        yield FilterBar(id="filter")
        with Vertical(id="loading"):
            # The progress bar is mounted by the first progress report of a cold load: a
            # warm load takes about a second, and an animated bar would take CPU (the
            # GIL) from the load itself.
            yield Label("Loading posts…", id="loading-label")
        with Horizontal(id="library-main"):
            yield PostList(id="posts")
            yield FacetSidebar(id="facets")
        yield StatusLine(id="status")
        yield KeyBar()

    # -- typed accessors -------------------------------------------------------------------

    @property
    def post_list(self) -> PostList:
        """The post list."""
        return self.query_one("#posts", PostList)

    @property
    def filter_bar(self) -> FilterBar:
        """The filter bar."""
        return self.query_one("#filter", FilterBar)

    @property
    def sidebar(self) -> FacetSidebar:
        """The facet sidebar."""
        return self.query_one("#facets", FacetSidebar)

    @property
    def store(self) -> AnnotationStore:
        """The app's annotation store."""
        store: AnnotationStore = getattr(self.app, "store")  # noqa: B009 - any App with a store
        return store

    # -- lifecycle -------------------------------------------------------------------------

    def on_mount(self) -> None:
        """Focus the list, size the sidebar, read the query history."""
        self.post_list.focus()
        self.show_sidebar = self.app.size.width >= SIDEBAR_MIN_WIDTH
        self._load_history()
        self._show_status()
        if isinstance(self.app, ScriptSetting):  # titles in the script the reader shows
            self.watch(self.app, "script", self.post_list.set_script)

    def on_resize(self, event: Resize) -> None:
        """Hide the sidebar when the terminal gets narrow, show it when it widens again."""
        wide = event.size.width >= SIDEBAR_MIN_WIDTH
        if wide != self._was_wide:
            self.show_sidebar = wide
        self._was_wide = wide

    def watch_show_sidebar(self, show: bool) -> None:
        """Show or hide the sidebar; counts are brought up to date when it appears."""
        self.sidebar.display = show
        if show and self._facets_stale:
            self._count_facets()

    def watch_is_loading(self, loading: bool) -> None:
        """Swap the loading bar for the list."""
        self.query_one("#loading").display = loading
        self.query_one("#library-main").display = not loading

    # -- data from the app -----------------------------------------------------------------

    def show_progress(self, done: int, total: int) -> None:
        """Move the loading bar (the app forwards the loader's progress).

        The bar appears with the first report of files still to read; a warm start
        (every file in the cache) reports only its end and never shows one.
        """
        if self.data is not None:
            return
        bars = self.query("#loading-bar").results(ProgressBar)
        bar = next(bars, None)
        if bar is None:
            if done >= total:
                return
            bar = ProgressBar(id="loading-bar", show_eta=False)
            self.query_one("#loading", Vertical).mount(bar)
        bar.update(total=max(total, 1), progress=done)
        self.query_one("#loading-label", Label).update(
            f"Loading posts… {done:,} of {total:,} files"
        )

    def set_data(self, data: LibraryData) -> None:
        """Show a freshly loaded corpus (filtering waits for :meth:`set_index`).

        Called again when the files turned out to differ from the cached list shown
        first: the query, the sort order and the post under the cursor are kept.
        """
        self.data = data
        self.index = None
        if data.marks is not None:
            self.marks = data.marks
            self.post_list.set_marks(self.marks.is_read, self.marks.counts)
        self._orders = {}
        self._ranks = {}
        self.is_loading = False
        self._refilter()

    def set_checked(self, corpus: LoadResult) -> None:
        """Every file was checked: ``corpus`` holds the posts shown, and every problem."""
        data = self.data
        if data is not None:
            same = corpus.posts is data.corpus.posts
            self.data = replace(data, corpus=corpus if same else data.corpus, checked=True)
        self._show_status()

    @property
    def checked(self) -> bool:
        """Whether the posts shown were checked against the files (see `set_checked`)."""
        return self.data is not None and self.data.checked

    def set_index(self, index: LibraryIndex) -> None:
        """Enable filtering, completion and facets; apply a query typed while indexing."""
        self.index = index
        self.filter_bar.set_completer(partial(complete_values, index.index))
        if self.filter_query is not None:
            self._refilter()
        elif self.show_sidebar:
            self._count_facets()

    def set_sort(self, sort: SortOrder) -> None:
        """List the posts in ``sort`` order."""
        self.sort = sort
        self._refilter()

    def refresh_marks(self) -> None:
        """Re-read read/annotation marks from the store (in a worker)."""
        self._read_marks()

    # -- messages --------------------------------------------------------------------------

    @on(FilterBar.Applied)
    def _apply_query(self, event: FilterBar.Applied) -> None:
        event.stop()
        self.filter_query = None if not event.text.strip() else event.query
        self._refilter()
        self.post_list.focus()

    @on(FilterBar.Left)
    def _leave_filter(self, event: FilterBar.Left) -> None:
        event.stop()
        self.post_list.focus()

    @on(FilterBar.HistoryChanged)
    def _history_changed(self, event: FilterBar.HistoryChanged) -> None:
        event.stop()
        self._history_saves += 1
        self._save_history(event.history, self._history_saves)

    @on(FacetSidebar.FacetChosen)
    def _facet_chosen(self, event: FacetSidebar.FacetChosen) -> None:
        event.stop()
        self.filter_bar.add_term(event.term)

    @on(PostList.Selected)
    def _post_selected(self, event: PostList.Selected) -> None:
        event.stop()
        self.open_post(event.post)

    @on(MarksLoaded)
    def _marks_loaded(self, event: MarksLoaded) -> None:
        self.marks = event.marks
        self.post_list.set_marks(self.marks.is_read, self.marks.counts)
        if self.filter_query is not None and _uses_state(self.filter_bar.applied_text):
            self._refilter()

    @on(FacetsCounted)
    def _facets_counted(self, event: FacetsCounted) -> None:
        if event.generation == self._generation:
            self.sidebar.set_facets(event.facets)

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide keys that do nothing now (no post, no problems, no filter)."""
        if action in ("toggle_read",):
            return self.post_list.highlighted_post is not None
        if action == "problems":
            return self.data is not None and bool(self.data.corpus.problems)
        if action == "focus_filter" and self.filter_bar.input.has_focus:
            return False
        if action in ("annotations", "focus_filter", "toggle_sidebar"):
            return not self.is_loading
        return True

    def action_focus_filter(self) -> None:
        """Put the cursor in the filter bar."""
        # Screen.set_focus is immediate; Widget.focus() would wait for call_later.
        self.set_focus(self.filter_bar.input)

    def action_toggle_sidebar(self) -> None:
        """Show or hide the facets."""
        self.show_sidebar = not self.show_sidebar

    def action_clear_filter(self) -> None:
        """Drop the query: list everything."""
        if self.filter_query is not None:
            self.filter_bar.apply("")

    def action_toggle_read(self) -> None:
        """Mark the highlighted post read or unread (written in a worker)."""
        post = self.post_list.highlighted_post
        if post is not None:
            self._write_read_state(post.id, not self.marks.is_read(post.id))

    def action_problems(self) -> None:
        """List the files that did not load."""
        from tui.screens.problems import ProblemsScreen

        if self.data is not None:
            self.app.push_screen(ProblemsScreen(self.data.corpus.problems))

    def action_annotations(self) -> None:
        """Show every annotation (the app-reader's screen)."""
        from tui.screens.annotations_screen import AnnotationsScreen

        corpus = self.data.corpus if self.data is not None else LoadResult()
        self.app.push_screen(AnnotationsScreen(self.store, corpus))

    def open_post(self, post: Post, *, resume_draft: Draft | None = None) -> None:
        """Open ``post`` in the reader (reopening a recovered note draft, if given)."""
        from tui.screens.reader import ReaderScreen

        self.app.push_screen(ReaderScreen(post, self.store, resume_draft=resume_draft))

    # -- filtering -------------------------------------------------------------------------

    def _refilter(self) -> None:
        """Apply query and sort order to the corpus and show the result."""
        if self.data is None:
            return
        posts = self.data.corpus.posts
        if self.filter_query is None:
            self.shown_bits = None
            self.shown = posts if self.sort == "newest" else self._in_order(posts, None)
        elif self.index is None:
            self._show_status()
            return  # applied by set_index once the index is built
        else:
            self.shown_bits = self.index.index.filter_bits(self.filter_query, self.marks)
            self.shown = self._in_order(posts, self.shown_bits)
        self.post_list.set_posts(self.shown)
        self._generation += 1
        self._facets_stale = True
        if self.show_sidebar:
            self._count_facets()
        self._show_status()
        # Only when toggle_read's availability may have changed.
        is_empty = not self.shown
        if is_empty != self._was_empty:
            self._was_empty = is_empty
            self.refresh_bindings()

    def _in_order(self, posts: Sequence[Post], bits: int | None) -> list[Post]:
        """The posts of ``bits`` (None: all) in the current sort order.

        A small result is sorted by each post's rank in the sort order; a large one is
        picked from the sorted positions in one pass (cheaper than sorting most of 50k).
        """
        if bits is None:
            positions = self._order(self.sort)
        else:
            assert self.index is not None, "bits come from the index"
            index = self.index.index
            if self.sort == "newest":
                return index.posts_of(bits)  # the index's own posts, picked in one pass
            if bits.bit_count() * 4 < len(posts):
                positions = sorted(index.positions(bits), key=self._rank(self.sort).__getitem__)
            else:
                order = self._order(self.sort)
                wanted = index.selector(bits)
                positions = list(compress(order, map(wanted.__getitem__, order)))
        return list(map(posts.__getitem__, positions))

    def _order(self, sort: SortOrder) -> list[int]:
        """Corpus positions in ``sort`` order (each order sorted once, then kept)."""
        order = self._orders.get(sort)
        if order is None:
            assert self.data is not None
            order = self._orders[sort] = sort_order(self.data.corpus.posts, sort)
        return order

    def _rank(self, sort: SortOrder) -> array[int]:
        """Corpus position -> place in ``sort`` order (built once per order)."""
        rank = self._ranks.get(sort)
        if rank is None:
            order = self._order(sort)
            rank = array("i", bytes(4 * len(order)))
            for place, position in enumerate(order):
                rank[position] = place
            self._ranks[sort] = rank
        return rank

    def _show_status(self) -> None:
        data = self.data
        self.query_one("#status", StatusLine).show(
            Status(
                shown=len(self.shown),
                total=len(data.corpus.posts) if data else 0,
                problems=len(data.corpus.problems) if data else 0,
                store_path=str(self.store.path) if self._has_store() else "",
                read_only=self._has_store() and bool(self.store.read_only),
                loading=data is None,
                indexing=self.filter_query is not None and self.index is None,
                checking=data is not None and not data.checked,
                sort=self.sort,
                query=self.filter_bar.applied_text if self.filter_query is not None else "",
            )
        )

    def _has_store(self) -> bool:
        """Whether the app's store is open (asking for it sooner would open it here)."""
        app = self.app
        return getattr(app, "store_is_open", True) and getattr(app, "store", None) is not None

    # -- workers ---------------------------------------------------------------------------

    def _count_facets(self) -> None:
        if self.index is None:
            return
        self._facets_stale = False
        self._count_facets_worker(self.index, self.shown_bits, self._generation)

    @work(
        thread=True, exclusive=True, group="facets", exit_on_error=False, description="count facets"
    )
    def _count_facets_worker(self, index: LibraryIndex, bits: int | None, generation: int) -> None:
        """Count the result's facets a moment later, once the list's frame is drawn.

        Counting takes a few milliseconds and redrawing the sidebar ~20 ms: neither may
        come before the list. A filter applied meanwhile cancels this one (exclusive).
        """
        worker = get_current_worker()
        time.sleep(FACETS_DELAY)
        if worker.is_cancelled:
            return
        facets = index.facets if bits is None else indexed_facets(index.index, bits)
        if not worker.is_cancelled:
            self.post_message(self.FacetsCounted(facets, generation))

    @work(thread=True, exclusive=True, group="marks", exit_on_error=False, description="read marks")
    def _read_marks(self) -> None:
        self.post_message(self.MarksLoaded(Marks.read_from(self.store)))

    @work(thread=True, group="marks-write", exit_on_error=False, description="mark read")
    def _write_read_state(self, post_id: str, is_read: bool) -> None:
        from annotations.store import StoreError

        try:
            self.store.set_reading(post_id, is_read=is_read)
        except StoreError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error", markup=False)
            return
        self.post_message(self.MarksLoaded(Marks.read_from(self.store)))

    @work(
        thread=True,
        exclusive=True,
        group="history",
        exit_on_error=False,
        description="read history",
    )
    def _load_history(self) -> None:
        history = load_history()
        self.app.call_from_thread(self.filter_bar.set_history, history)

    @work(thread=True, group="history-write", exit_on_error=False, description="save history")
    def _save_history(self, history: list[str], number: int) -> None:
        """Write the history a moment later: a write now would take the GIL from the
        filter's frame. Not cancelled when the app quits; a newer save supersedes it."""
        time.sleep(FACETS_DELAY)
        if number != self._history_saves:
            return  # a newer history is on its way
        try:
            save_history(history)
        except OSError as error:
            self.app.call_from_thread(
                self.notify,
                f"Could not save the query history: {error.strerror or error}.",
                markup=False,
            )


def _uses_state(text: str) -> bool:
    """Whether a query depends on reading or annotation state (then marks refilter it)."""
    folded = text.casefold()
    return "is:" in folded or "has:" in folded
