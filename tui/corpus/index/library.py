"""What the app reads of an index: the list a page at a time, searches, facets, values.

The app never holds the whole corpus: a list is a `ResultRows`, a sequence that knows its
length and reads the rows it is asked for a page at a time (from the database in the
default order, from the engine for a query or another order), keeping the pages it read
last. `Library` lends each thread a SQLite connection of its own while it reads, so the
list (on the event loop) and the workers (searches, facets) read side by side; it never
writes: the app's indexing process does (`tui.corpus.index.build`).
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, overload

from tui.corpus.index.db import (
    BUSY_TIMEOUT_S,
    DATABASE_FILE,
    Database,
    index_folder,
)
from tui.corpus.model import Post, Problem
from tui.corpus.query import EMPTY_STATE, PostState, Query, SortKey

if TYPE_CHECKING:
    from tui.corpus.facets import Facets
    from tui.corpus.index.engine import Engine
    from tui.corpus.index.search import Search

PAGE: Final[int] = 100
"""Rows read at a time."""

PAGES_KEPT: Final[int] = 64
"""Pages a list keeps (the rest are read again if scrolled back to)."""

SCAN_LIMIT: Final[int] = 5_000
"""How far `ResultRows.position_of` looks for a post in an order it cannot count in."""


def _identity(path: Path) -> tuple[int, int] | None:
    """The (device, inode) of a file, or None when it is not there."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


class Library:
    """Read access to the index of a set of corpus roots, from any thread."""

    def __init__(self, roots: Sequence[str]) -> None:
        """Read the index of ``roots`` (it must exist: the app opens it first)."""
        self.roots = list(roots)
        self.folder: Path = index_folder(self.roots)
        self._idle: queue.SimpleQueue[Database] = queue.SimpleQueue()
        self._count_lock = threading.Lock()
        self._counter: Database | None = None
        """The connection `count` asks (its data version says whether others wrote)."""
        self._counted: tuple[int, int] | None = None
        """(the counter's data version, the count then)."""
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()
        self._identity = _identity(self.folder / DATABASE_FILE)
        """The database file this library reads (see `is_gone`)."""

    def is_gone(self) -> bool:
        """Whether the index folder was removed (or made again) since this library was
        opened: its open connections read the old files, new ones would read the new,
        and the answers would mix the two. The app then opens the index again."""
        return _identity(self.folder / DATABASE_FILE) != self._identity

    # -- the database -----------------------------------------------------------------------

    @contextlib.contextmanager
    def _database(self) -> Iterator[Database]:
        """A connection to the database, for one thread at a time.

        Connections are kept and lent again: each search runs in a thread of its own (a
        Textual worker), and a new connection would read the pages it needs again (its
        page cache is its own), a few ms a search.
        """
        try:
            db = self._idle.get_nowait()
        except queue.Empty:
            db = self._connect()
        try:
            yield db
        finally:
            self._idle.put(db)

    def _connect(self) -> Database:
        conn = sqlite3.connect(
            self.folder / DATABASE_FILE,
            timeout=BUSY_TIMEOUT_S,
            isolation_level=None,
            check_same_thread=False,
        )
        return Database(self.folder, self.roots, conn)

    def count(self) -> int:
        """How many posts there are, counted again only after the database changed
        (counting reads an index entry per post: milliseconds at 500,000)."""
        with self._count_lock:
            if self._counter is None:
                self._counter = self._connect()
            version = int(self._counter.conn.execute("PRAGMA data_version").fetchone()[0])
            if self._counted is None or self._counted[0] != version:
                self._counted = (version, self._counter.post_count())
            return self._counted[1]

    def stage_counts(self) -> tuple[int, int, int]:
        """(posts, posts whose fields are searchable, posts whose text is)."""
        with self._database() as db:
            return db.stage_counts()

    def problems(self) -> list[Problem]:
        """The files that could not be read properly."""
        with self._database() as db:
            return db.problems()

    def find(self, post_id: str) -> Post | None:
        """The post with this id, if any."""
        with self._database() as db:
            return db.find_post(post_id)

    def everything(self) -> ResultRows:
        """Every post, newest first, from the database (no engine needed)."""
        count = self.count()
        return ResultRows(
            count,
            self._newest_page,
            self._newest_position,
        )

    def _newest_page(self, offset: int, limit: int) -> list[Post]:
        with self._database() as db:
            return db.posts_newest_first(offset, limit)

    def _newest_position(self, post_id: str) -> int | None:
        """The row of a post in the newest-first list: how many posts sort before it."""
        with self._database() as db:
            row = db.conn.execute(
                "SELECT sort_new FROM files WHERE id = ? AND base_id IS NOT NULL", (post_id,)
            ).fetchone()
            if row is None:
                return None
            before = db.conn.execute(
                "SELECT count(*) FROM files WHERE base_id IS NOT NULL AND sort_new > ?",
                (row[0],),
            ).fetchone()
        return int(before[0])

    # -- the engine ---------------------------------------------------------------------------

    @property
    def engine(self) -> Engine | None:
        """The search engine, once the indexing process has made it (else None)."""
        if self._engine is None:
            with self._engine_lock:
                if self._engine is None and (self.folder / "text" / "meta.json").exists():
                    from tui.corpus.index.engine import Engine, EngineUnusable

                    try:
                        self._engine = Engine(self.folder)
                    except EngineUnusable:
                        return None
        return self._engine

    def search(
        self, query: Query, state: PostState = EMPTY_STATE, order: SortKey | None = None
    ) -> ResultRows | None:
        """The posts matching ``query`` (in ``order``, else the query's own), or None
        while there is no engine yet."""
        engine = self.engine
        if engine is None:
            return None
        from tui.corpus.index.search import Search

        search = Search.run(engine, query, state, order)
        return ResultRows(
            search.count,
            lambda offset, limit: self._posts(search.keys(offset, limit)),
            lambda post_id: self._position_in(search, post_id),
            search,
        )

    def _posts(self, keys: list[int]) -> list[Post]:
        with self._database() as db:
            return db.posts_by_key(keys)

    def _position_in(self, search: Search, post_id: str) -> int | None:
        """Where the post is in a search's order: counted for newest and oldest first,
        looked for in the first `SCAN_LIMIT` otherwise."""
        with self._database() as db:
            post = db.find_post(post_id)
            key = db.keys_of_ids([post_id]) if post is not None else []
        if post is None or not key:
            return None
        located = search.position_of(key[0], post)
        if located is not None:
            return located
        keys = search.keys(0, SCAN_LIMIT)
        return keys.index(key[0]) if key[0] in keys else None

    def facets(
        self, query: Query | None, state: PostState = EMPTY_STATE, limit: int | None = None
    ) -> Facets | None:
        """The facets of ``query``'s result (None: every post), or None without an engine."""
        engine = self.engine
        if engine is None:
            return None
        import tantivy

        from tui.corpus.facets import engine_facets
        from tui.corpus.index.search import count_of, engine_query

        searcher = engine.searcher()
        if query is None or query.is_empty:
            tq = tantivy.Query.all_query()
        else:
            tq = engine_query(engine, query, state)
        total = count_of(searcher, tq)
        return engine_facets(searcher, tq, total, limit)

    def values(self) -> dict[str, dict[str, int]]:
        """The corpus's values for completion (empty without an engine)."""
        engine = self.engine
        if engine is None:
            return {}
        from tui.corpus.facets import corpus_values

        return corpus_values(engine.searcher())


class ResultRows(Sequence[Post]):
    """A list of posts read a page at a time: what the post list shows.

    Reading a page costs about a millisecond (an indexed read of the database, and for a
    search one engine call), so the list reads rows as they come into view.
    """

    def __init__(
        self,
        count: int,
        fetch: Callable[[int, int], list[Post]],
        locate: Callable[[str], int | None],
        search: Search | None = None,
    ) -> None:
        """``fetch(offset, limit)`` reads rows; ``locate(post_id)`` finds a post's row."""
        self._count = count
        self._fetch = fetch
        self._locate = locate
        self.search = search
        """The engine's search this list answers (None: every post, from the database)."""
        self._pages: OrderedDict[int, list[Post]] = OrderedDict()

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Post: ...

    @overload
    def __getitem__(self, index: slice) -> list[Post]: ...

    def __getitem__(self, index: int | slice) -> Post | list[Post]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        page, row = divmod(index, PAGE)
        rows = self._page(page)
        if row >= len(rows):
            raise IndexError(index)  # the index changed under this list: a shorter page
        return rows[row]

    def __iter__(self) -> Iterator[Post]:
        for page in range((self._count + PAGE - 1) // PAGE):
            yield from self._page(page)

    def _page(self, page: int) -> list[Post]:
        rows = self._pages.get(page)
        if rows is None:
            rows = self._fetch(page * PAGE, PAGE)
            self._pages[page] = rows
            if len(self._pages) > PAGES_KEPT:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        return rows

    def position_of(self, post_id: str) -> int | None:
        """The row of the post with this id, or None when it is not listed."""
        for page, rows in self._pages.items():
            for row, post in enumerate(rows):
                if post.id == post_id:
                    return page * PAGE + row
        return self._locate(post_id)

    def prefetch(self, count: int = PAGE, *, at: int = 0) -> None:
        """Read ``count`` rows from row ``at`` now (a worker does, so the list's first
        frame need not)."""
        for page in range(at // PAGE, (min(at + count, self._count) + PAGE - 1) // PAGE):
            self._page(page)
