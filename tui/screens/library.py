"""The library screen: the filter bar, the post list, the facet sidebar and the status line.

The app opens the corpus's index and hands the screen a `Library` (its read side) and the
list of every post, newest first (`set_library`); the list reads its rows a page at a
time, so it costs the same for 500 posts as for 500,000. The app's indexing process
reports its progress through `index_progress`: filtering waits for the posts' fields
(a query typed meanwhile is applied then), a text query answers from what is indexed
and says so while the text is still being indexed. Every search, facet count, mark and
store access runs in a worker; only the rows coming into view are read on the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import get_current_worker

from tui.config import SortOrder
from tui.corpus.facets import complete_values
from tui.corpus.index.library import Library, ResultRows
from tui.corpus.model import Post, Problem
from tui.corpus.query import Marks, Query, SortKey
from tui.listing import IndexState, result_rows, uses_state
from tui.render.script import ScriptSetting
from tui.screens.library_status import library_status, list_order, open_store
from tui.store_writer import store_writer_for
from tui.widgets.facet_sidebar import FacetSidebar
from tui.widgets.filter_bar import FilterBar
from tui.widgets.key_bar import KeyBar
from tui.widgets.loading_panel import LoadingPanel
from tui.widgets.post_list import PostList
from tui.widgets.snippet_line import SnippetLine
from tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from collections.abc import Sequence

    from annotations.store import AnnotationStore
    from tui.drafts import Draft

__all__ = ["LibraryScreen"]

SIDEBAR_MIN_WIDTH = 90
"""Below this terminal width the facet sidebar hides itself."""


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
    """Whether the list is not there yet (a first run reads every file)."""

    @dataclass
    class MarksLoaded(Message):
        """Marks read from the store in a worker."""

        marks: Marks

    @dataclass
    class IndexGone(Message):
        """The index folder was removed while the app ran (found by a search, in a worker):
        the app opens it again."""

        library: Library

    @dataclass
    class Filtered(Message):
        """A result to show, computed in a worker."""

        rows: Sequence[Post]
        generation: int
        cursor: int | None
        """The row to put the cursor on (the post it was on, where it still is)."""

    @dataclass
    class ProblemsRead(Message):
        """The files that did not load, read in a worker."""

        problems: list[Problem]

    @dataclass
    class ValuesRead(Message):
        """The corpus's values for completion, read in a worker."""

        values: dict[str, dict[str, int]]

    def __init__(self, *, sort: SortOrder = "newest") -> None:
        """Build the screen; the index arrives later through :meth:`set_library`.

        Args:
            sort: The initial sort order.
        """
        super().__init__()
        self.sort: SortOrder = sort
        """The current sort order."""
        self.library: Library | None = None
        """The index's read side; None until the app has opened it."""
        self.state = IndexState()
        """How far the app's indexing process is."""
        self.filter_query: Query | None = None
        """The applied query; None shows everything."""
        self.marks = Marks()
        """Reading and annotation marks."""
        self.shown: Sequence[Post] = []
        """The posts listed, in display order (read a page at a time)."""
        self.total = 0
        """How many posts there are in all."""
        self.problems: list[Problem] = []
        """The files that did not load."""
        self.values: dict[str, dict[str, int]] = {}
        """The corpus's tags, authors, categories, hosts and years with their counts."""
        self._generation = 0
        self._facets_stale = True
        self._was_wide = True
        self._was_empty: bool | None = None
        self._focus_list_with_rows = False
        """Whether the list takes the focus when the next rows are shown (see
        `_apply_query`)."""

    def compose(self) -> ComposeResult:
        """Filter bar on top, list and sidebar, passage, loading bar, status line, footer."""
        yield FilterBar(id="filter")
        yield LoadingPanel(id="loading")
        with Horizontal(id="library-main"):
            yield PostList(id="posts")
            yield FacetSidebar(id="facets")
        yield SnippetLine(id="snippet")
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
    def snippet(self) -> SnippetLine:
        """The passage under the list."""
        return self.query_one("#snippet", SnippetLine)

    @property
    def store(self) -> AnnotationStore:
        """The app's annotation store."""
        store: AnnotationStore = getattr(self.app, "store")  # noqa: B009 - any App with a store
        return store

    @property
    def checked(self) -> bool:
        """Whether the list shows what the files hold (the indexing process compared them)."""
        return self.state.checked

    # -- lifecycle -------------------------------------------------------------------------

    def on_mount(self) -> None:
        """Focus the list, size the sidebar, show the status."""
        self.post_list.focus()
        self.snippet.display = False
        self.show_sidebar = self.app.size.width >= SIDEBAR_MIN_WIDTH
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
        """Move the loading bar while a first run reads every file."""
        if self.is_loading:
            self.query_one("#loading", LoadingPanel).show_progress(done, total)

    def set_library(self, library: Library, rows: ResultRows | None) -> None:
        """Show the index's posts (``rows``: every post, newest first; None while a
        first run has not listed them yet)."""
        self.library = library
        if rows is None:
            return
        self.total = len(rows)
        self.is_loading = False
        if self.filter_query is None and self.sort == "newest":
            self._show_rows(rows, None)
        else:
            self._refilter()

    def show_failed(self) -> None:
        """The index could not be opened: show an empty library (the app says why)."""
        self.is_loading = False
        self._show_rows([], None)

    def set_state(self, state: IndexState, *, changed: bool = False) -> None:
        """The indexing process went on: ``changed`` when the files differed from the
        index (the list is read again, keeping the query and the post under the cursor)."""
        before = self.state
        self.state = state
        if changed or (state.checked and not before.checked and self.is_loading):
            self._reload()
        if state.fields and not before.fields:
            self._read_values()
            self._refilter()
        elif state.text_complete and not before.text_complete and self._text_query() is not None:
            self._refilter()  # the complete answer, now that every post's text is in
        if state.checked and not before.checked:
            self._read_problems()
        self._show_status()

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
        if self.library is not None and self.state.fields:
            # The list takes the focus in the frame that shows the result, a few ms
            # from now: a frame of its own now would hold that one back (Textual draws
            # the next frame one to two frame periods after the last).
            self._focus_list_with_rows = True
        else:  # the index cannot answer yet
            self.post_list.focus()

    @on(FilterBar.Left)
    def _leave_filter(self, event: FilterBar.Left) -> None:
        event.stop()
        self.post_list.focus()

    @on(FacetSidebar.FacetChosen)
    def _facet_chosen(self, event: FacetSidebar.FacetChosen) -> None:
        event.stop()
        self.filter_bar.add_term(event.term)

    @on(PostList.Selected)
    def _post_selected(self, event: PostList.Selected) -> None:
        event.stop()
        self.open_post(event.post)

    @on(PostList.Highlighted)
    def _post_highlighted(self, event: PostList.Highlighted) -> None:
        event.stop()
        query = self._text_query()
        if query is not None:
            self.snippet.find(event.post, query)

    @on(MarksLoaded)
    def _marks_loaded(self, event: MarksLoaded) -> None:
        self.marks = event.marks
        self.post_list.set_marks(self.marks.is_read, self.marks.counts)
        if self.filter_query is not None and uses_state(self.filter_bar.applied_text):
            self._refilter()

    @on(Filtered)
    def _filtered(self, event: Filtered) -> None:
        if event.generation == self._generation:
            self._show_rows(event.rows, event.cursor)

    @on(ProblemsRead)
    def _problems_read(self, event: ProblemsRead) -> None:
        self.problems = event.problems
        self._show_status()
        self.refresh_bindings()

    @on(ValuesRead)
    def _values_read(self, event: ValuesRead) -> None:
        self.values = event.values
        self.filter_bar.set_completer(partial(complete_values, event.values))

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide keys that do nothing now (no post, no problems, no filter)."""
        if action in ("toggle_read",):
            return self.post_list.highlighted_post is not None
        if action == "problems":
            return bool(self.problems)
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

        self.app.push_screen(ProblemsScreen(self.problems))

    def action_annotations(self) -> None:
        """Show every annotation."""
        from tui.screens.annotations_screen import AnnotationsScreen

        library = self.library
        self.app.push_screen(
            AnnotationsScreen(self.store, library.find if library is not None else _nothing)
        )

    def apply_query(self, text: str) -> None:
        """Filter by ``text``, as if it were typed in the filter bar."""
        self.filter_bar.apply(text)

    def open_post(self, post: Post, *, resume_draft: Draft | None = None) -> None:
        """Open ``post`` in the reader (reopening a recovered note draft, if given); from a
        text query, at its first match with every match marked."""
        from tui.screens.reader import ReaderScreen

        self.app.push_screen(
            ReaderScreen(post, self.store, resume_draft=resume_draft, search=self._text_query())
        )

    # -- filtering -------------------------------------------------------------------------

    def _text_query(self) -> Query | None:
        """The applied query when it has text terms (for passages and the reader)."""
        query = self.filter_query
        return query if query is not None and query.has_text_terms else None

    def _refilter(self) -> None:
        """Apply query and sort order (in a worker) and show the result."""
        library = self.library
        if library is None or self.is_loading and self.filter_query is None:
            return
        self._generation += 1
        self._facets_stale = True
        self.sidebar.drop_counts()
        if self.filter_query is None and self.sort == "newest":
            self._start_search(library, None)
        elif not self.state.fields:
            self._show_status()  # applied once the fields are indexed (set_state)
        else:
            self._start_search(library, self.filter_query)

    def _reload(self) -> None:
        """The index changed: read the list again (query, order and cursor kept)."""
        if self.library is not None:
            self.is_loading = False
            self._generation += 1
            self._facets_stale = True
            self.sidebar.drop_counts()
            self._start_search(self.library, self.filter_query)

    def _show_rows(self, rows: Sequence[Post], cursor: int | None) -> None:
        self.shown = rows
        if self.filter_query is None and self.sort == "newest":
            self.total = len(rows)
        self.post_list.set_posts(rows, cursor=cursor)
        # Shown or hidden with the rows: a layout of its own ahead of them took a frame.
        self.snippet.display = self._text_query() is not None
        if self._focus_list_with_rows:
            self._focus_list_with_rows = False
            self.post_list.focus()
        if self.show_sidebar:
            self._count_facets()
        self._show_status()
        # Only when toggle_read's availability may have changed.
        is_empty = not rows
        if is_empty != self._was_empty:
            self._was_empty = is_empty
            self.refresh_bindings()

    def _show_status(self) -> None:
        self.query_one("#status", StatusLine).show(
            library_status(
                self.state,
                shown=len(self.shown),
                total=self.total,
                problems=len(self.problems),
                store=open_store(self.app),
                loading=self.is_loading,
                query=self.filter_query,
                query_text=self.filter_bar.applied_text,
                sort=self.sort,
            )
        )

    # -- workers ---------------------------------------------------------------------------

    def _start_search(self, library: Library, query: Query | None) -> None:
        current = self.post_list.highlighted_post
        self._search(
            library,
            query,
            list_order(self.sort, query),
            self.marks,
            current.id if current else None,
            self._generation,
        )

    @work(thread=True, exclusive=True, group="filter", exit_on_error=False, description="filter")
    def _search(
        self,
        library: Library,
        query: Query | None,
        order: SortKey,
        marks: Marks,
        current: str | None,
        generation: int,
    ) -> None:
        """Run a query (None: every post) and post its rows, the first page read, with
        the row of the post that was under the cursor."""
        try:
            found = result_rows(library, query, order, marks, current)
        except Exception:
            # The engine or the database failing with their files deleted under them.
            if not library.is_gone():
                raise
            found = None
        if found is None and library.is_gone():
            self.post_message(self.IndexGone(library))
            return
        if found is not None and not get_current_worker().is_cancelled:
            rows, cursor = found
            self.post_message(self.Filtered(rows, generation, cursor))

    def _count_facets(self) -> None:
        library = self.library
        if library is None or not self.state.fields:
            return
        self._facets_stale = False
        self.sidebar.count(library, self.filter_query, self.marks)

    @work(thread=True, exclusive=True, group="marks", exit_on_error=False, description="read marks")
    def _read_marks(self) -> None:
        self.post_message(self.MarksLoaded(Marks.read_from(self.store)))

    @work(thread=True, exclusive=True, group="problems", exit_on_error=False)
    def _read_problems(self) -> None:
        if self.library is not None:
            self.post_message(self.ProblemsRead(self.library.problems()))

    @work(thread=True, exclusive=True, group="values", exit_on_error=False)
    def _read_values(self) -> None:
        if self.library is not None:
            self.post_message(self.ValuesRead(self.library.values()))

    def _write_read_state(self, post_id: str, is_read: bool) -> None:
        """Mark a post read or unread through the app's writer, then read the marks again."""
        from annotations.store import StoreError

        store = self.store

        def write() -> None:
            try:
                store.set_reading(post_id, is_read=is_read)
            except StoreError as error:
                # notify is thread-safe.
                self.notify(str(error), severity="error", markup=False)
                return
            self.post_message(self.MarksLoaded(Marks.read_from(store)))

        store_writer_for(self.app).run(self.app, write, "mark read")


def _nothing(post_id: str) -> Post | None:
    return None
