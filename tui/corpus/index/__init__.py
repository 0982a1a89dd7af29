"""The on-disk index of a set of corpus folders: its front door.

`CorpusIndex` holds the database (`db`: every post file's size, mtime and fields) and
the search engine (`engine`: what queries ask about), both in the user cache folder.
The CLI and the app's indexing process go through it:

- `sync` brings the database up to date with the files (only what changed is read);
- `feed_fields` / `feed_text` bring the engine up to date with the database;
- `search` answers a parsed query; `posts_newest_first` lists without one.

Everything here is a cache of the post files: a damaged, older or newer index is rebuilt
with a one-line notice (`notices`), never trusted, and deleting it loses nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from tui.corpus.errors import CorpusError, FileProblem, PostNotFound
from tui.corpus.index.db import Database, Stage, open_database, remove_index
from tui.corpus.index.sync import Progress, SyncReport
from tui.corpus.model import Post
from tui.corpus.query import EMPTY_STATE, PostState, Query, SortKey
from tui.corpus.scan import resolve_roots

if TYPE_CHECKING:
    from tui.corpus.index.engine import Engine
    from tui.corpus.index.search import Search

__all__ = ["CorpusIndex", "IndexFailed", "SyncReport"]


SYNC_WAIT_NOTICE: Final[str] = (
    "postil: another postil process is reading these post files; waiting for it to finish."
)
"""What a process says when it waits for another's sync (see `CorpusIndex.sync`)."""


class IndexFailed(CorpusError):
    """The index could not be written (a full disk, no rights): one sentence why."""


class CorpusIndex:
    """The database and search engine of one set of corpus folders."""

    def __init__(self, paths: Sequence[str | Path]) -> None:
        """Open (or create) the index of ``paths``.

        Raises:
            MissingPath: A path does not exist.
            IndexFailed: The cache folder cannot be written.
        """
        self.roots = resolve_roots(paths)
        self.notices: list[str] = []
        """One-line notices for the user (an index rebuilt, and why)."""
        try:
            self.db: Database = open_database(self.roots, notices=self.notices)
        except (OSError, sqlite3.Error) as exc:
            raise IndexFailed(_failure("open", exc)) from exc
        self._engine: Engine | None = None

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    # -- keeping up to date ----------------------------------------------------------------

    def sync(
        self,
        progress: Progress | None = None,
        workers: int | None = None,
        waiting: Callable[[], None] | None = None,
    ) -> SyncReport:
        """Bring the database up to date with the files (see `tui.corpus.index.sync`).

        One process syncs an index at a time: two walking the same folders at once would
        each take the other's new files for its own and write them twice. A process that
        finds another syncing calls ``waiting`` (to say so), waits for it to finish, then
        syncs (reading only what changed since).

        Raises:
            MissingPath: A corpus folder was removed.
            IndexFailed: The database could not be written (it stays as it was).
        """
        from tui.corpus.index.sync import sync

        with self._lock("sync.lock", waiting):
            try:
                return sync(self.db, progress=progress, workers=workers)
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError):
                    raise IndexFailed(_failure("update", exc)) from exc
                self._rebuild(f"its database is damaged: {exc}")
                return sync(self.db, progress=progress, workers=workers)

    @contextlib.contextmanager
    def _lock(self, name: str, waiting: Callable[[], None] | None) -> Iterator[None]:
        """Hold the lock file ``name`` of the index folder for the block, waiting for
        another process that holds it (``waiting()`` is called first)."""
        fd = os.open(self.db.folder / name, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if waiting is not None:
                    waiting()
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    @property
    def engine(self) -> Engine:
        """The search engine, opened on first use (rebuilt if it cannot be read)."""
        if self._engine is None:
            from tui.corpus.index.engine import Engine, EngineUnusable

            try:
                engine = Engine(self.db.folder)
            except EngineUnusable as exc:
                self.notices.append(f"postil: rebuilding the search index ({exc}).")
                import shutil

                shutil.rmtree(self.db.folder / "text", ignore_errors=True)
                engine = Engine(self.db.folder)
            self._check_engine(engine)
            self._engine = engine
        return self._engine

    def _check_engine(self, engine: Engine) -> None:
        """Make the database's stages true of this engine (a new or emptied engine holds
        no document, whatever the database says)."""
        _, fields, _ = self.db.stage_counts()
        documents = engine.searcher().num_docs
        if documents < fields:
            with self.db.writing() as conn:
                conn.execute("UPDATE files SET stage = ? WHERE stage > ?", (Stage.NONE, Stage.NONE))
                conn.execute("DELETE FROM gone")
            if not engine.fresh:
                self.notices.append("postil: the search index had lost documents; refilling it.")

    def feed_fields(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Give every post its searchable fields (~10 s per 100,000 posts); forget
        removed posts. ``progress`` is called with (posts with fields, all posts) as it
        goes (see `feed.feed_fields`).

        Raises:
            EngineBusy: Another process keeps the engine's writer.
            IndexFailed: The engine could not be written.
        """
        from tui.corpus.index.feed import feed_fields

        try:
            return feed_fields(self.db, self.engine, progress=progress)
        except (OSError, ValueError, sqlite3.OperationalError) as exc:
            raise IndexFailed(_failure("update", exc)) from exc

    def feed_text(
        self,
        progress: Callable[[int, int], None] | None = None,
        workers: int | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> int:
        """Index the text of every post not yet indexed (see `feed.feed_text`).

        Raises:
            EngineBusy: Another process keeps the engine's writer.
            IndexFailed: The engine could not be written (what was committed is kept).
        """
        from tui.corpus.index.feed import feed_text

        try:
            return feed_text(
                self.db, self.engine, progress=progress, workers=workers, should_stop=should_stop
            )
        except (OSError, ValueError, sqlite3.OperationalError) as exc:
            raise IndexFailed(_failure("update", exc)) from exc

    @contextlib.contextmanager
    def text_indexer(self) -> Iterator[bool]:
        """Whether this process may index text now (one process at a time does).

        Yields True while this process holds the text indexer's lock, False when another
        process is indexing (its progress shows in `stage_counts`).
        """
        fd = os.open(self.db.folder / "text.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

    def stage_counts(self) -> tuple[int, int, int]:
        """(posts, posts whose fields are searchable, posts whose text is)."""
        return self.db.stage_counts()

    # -- reading ------------------------------------------------------------------------------

    def search(
        self, query: Query, state: PostState = EMPTY_STATE, order: SortKey | None = None
    ) -> Search:
        """Run ``query`` on the engine (its fields must be fed first)."""
        from tui.corpus.index.search import Search

        return Search.run(self.engine, query, state, order)

    def resolve(self, ref: str) -> Post:
        """The post a user means: a post file's path, a post id or a unique id prefix.

        A path that is not part of the corpus is read on its own.

        Raises:
            PostNotFound: No post (or more than one) matches ``ref``.
            CorpusError: ``ref`` is a file that cannot be read as a post.
        """
        if os.path.isfile(ref):
            found = self.db.post_at_path(os.path.abspath(ref))
            return found if found is not None else load_single(ref)
        key = ref.strip().lower()
        if key:
            post = self.db.find_post(key)
            if post is not None:
                return post
            matches = self.db.posts_with_prefix(key)
            if len(matches) == 1:
                return matches[0]
            if matches:
                raise PostNotFound(
                    f"'{ref}' matches several posts; give more characters of the id."
                )
        roots = self.db.roots
        where = ", ".join(roots[:3]) + (f" and {len(roots) - 3} more" if len(roots) > 3 else "")
        raise PostNotFound(f"no post file or post id matches '{ref}' in {where}.")

    def _rebuild(self, why: str) -> None:
        self.notices.append(f"postil: rebuilding the search index ({why}).")
        self.db.close()
        remove_index(self.db.folder)
        self._engine = None
        self.db = open_database(self.roots, notices=self.notices)


def load_single(path: str | Path) -> Post:
    """Parse one post file on its own (``postil show FILE`` outside a corpus).

    Raises:
        CorpusError: The file is missing, or cannot be read as a post (a `FileProblem`).
    """
    from tui.corpus.parse import parse_file

    name = os.fspath(path)
    absolute = os.path.abspath(name)
    if not os.path.isfile(absolute):
        raise FileProblem(f"'{name}' is not a regular file.")
    try:
        info = os.stat(absolute)
    except OSError as exc:
        raise FileProblem(f"'{name}' cannot be read: {exc.strerror or exc}.") from exc
    parsed = parse_file(absolute, os.path.basename(absolute), info.st_size, info.st_mtime_ns)
    if parsed.post is None:
        problem = parsed.problems[0]
        error = FileProblem(f"'{name}' cannot be read: {problem.reason}")
        error.kind = problem.kind
        raise error
    return parsed.post


def _failure(what: str, exc: BaseException) -> str:
    """One sentence for an index that could not be opened or written."""
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    if "full" in reason.lower() or getattr(exc, "errno", None) == 28:
        return f"could not {what} the search index: the disk is full (the last index is kept)."
    return f"could not {what} the search index: {reason}."
