"""The index's database: every post file's size, mtime and parsed fields, in SQLite.

One database per set of corpus roots, in the user cache folder (a 0700 folder, the
files 0600), never inside a corpus folder. It is a cache: `open_database` rebuilds it
(and says so in one line) when it is missing, damaged, of another format or written
by a newer postil, and deleting it loses nothing.

It is the corpus's home: `postil ls` and the library's unfiltered list read their rows
from it (newest first is an index walk, not a sort), the sync (`tui.corpus.index.sync`)
upserts what changed, and the search engine (`tui.corpus.index.engine`) is filled from
it. WAL mode: readers never wait for a writer, and a writer waits a moment (the busy
timeout) for another.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import orjson

from tui import __version__, locations
from tui.corpus.model import Post, Problem, ProblemKind, post_from_row

FORMAT: Final[int] = 6
"""The database and engine format. Bump it whenever the schema, the parsing of post files,
the canonical text or the tokenizing change: every index is then rebuilt once."""

BUSY_TIMEOUT_S: Final[float] = 5.0
"""How long a writer waits for another process's write to end before giving up."""

TIE_BITS: Final[int] = 23
"""Low bits of a sort key that order posts with the same date (by their key)."""
_TIE_MASK: Final[int] = (1 << TIE_BITS) - 1
_DATE_OFFSET: Final[int] = 1 << 39
"""Added to a date in seconds so keys stay positive for ±17,000 years around 1970."""
_UNDATED_LAST: Final[int] = (1 << 40) - 1

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files(
    key INTEGER PRIMARY KEY,
    grp BLOB NOT NULL,
    path BLOB NOT NULL,
    rel_start INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    base_id TEXT,
    id TEXT,
    title TEXT,
    date_us INTEGER,
    author TEXT,
    tags TEXT,
    categories TEXT,
    source TEXT,
    extras TEXT,
    encoding TEXT,
    sort_new INTEGER,
    stage INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS problems(
    key INTEGER NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    recovered INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS problems_key ON problems(key);
CREATE TABLE IF NOT EXISTS walk_problems(
    path BLOB NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS groups(grp BLOB PRIMARY KEY, signature BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS gone(key INTEGER PRIMARY KEY);
"""


def stored_path(path: str) -> bytes:
    """A path as the database keeps it: its bytes (a file name that is not UTF-8 is
    kept as it is, which SQLite's text cannot hold): `os.fsencode` of text, without its
    type checks."""
    return path.encode(_FS_ENCODING, _FS_ERRORS)


def path_of(stored: bytes) -> str:
    """The path of `stored_path` (`os.fsdecode` of bytes, without its type checks)."""
    return stored.decode(_FS_ENCODING, _FS_ERRORS)


_FS_ENCODING = sys.getfilesystemencoding()
_FS_ERRORS = sys.getfilesystemencodeerrors()


POST_COLUMNS: Final[str] = (
    "key, path, rel_start, id, title, date_us, author, tags, categories, source, extras,"
    " size, mtime_ns, encoding"
)
"""What `post_of` needs, in its order."""


class Stage:
    """How far a post is in the search engine (the ``stage`` column)."""

    NONE: Final[int] = 0
    """Not in the engine (new, or changed since)."""
    FIELDS: Final[int] = 1
    """Its fields are searchable; its text is not yet."""
    TEXT: Final[int] = 2
    """Fully searchable."""


NOT_INDEXED: Final[str] = "stage < 2"
"""The condition of the ``files_stage`` index, which holds only the posts not fully
searchable. A query for some of them states it as it is: SQLite uses a partial index only
when the query's own terms imply its condition, and ``stage < ?`` does not (the value is
not known when the query is planned), so without it every row is read."""


def sort_keys(date: datetime | None, key: int) -> tuple[int, int]:
    """(newest-first key, oldest-first key) of a post: larger is newer / later.

    Newest first sorts by the first descending, oldest first by the second ascending;
    undated posts come last in both, and posts with the same date (to the second) by
    their key, ascending (the order in which the index first met them: path order for
    the files of one walk).
    """
    tie = key & _TIE_MASK
    if date is None:
        return _TIE_MASK - tie, (_UNDATED_LAST << TIE_BITS) | tie
    seconds = (date - _EPOCH) // timedelta(seconds=1) + _DATE_OFFSET
    return (seconds << TIE_BITS) | (_TIE_MASK - tie), (seconds << TIE_BITS) | tie


def sort_key_us(date_us: int | None, key: int) -> int:
    """The newest-first key of `sort_keys`, from the date in microseconds."""
    tie = _TIE_MASK - (key & _TIE_MASK)
    if date_us is None:
        return tie
    return ((date_us // 1_000_000 + _DATE_OFFSET) << TIE_BITS) | tie


def date_to_us(date: datetime | None) -> int | None:
    """A UTC datetime as microseconds since the epoch (exact)."""
    return None if date is None else (date - _EPOCH) // _MICROSECOND


def us_to_date(micros: int | None) -> datetime | None:
    """The UTC datetime of ``date_to_us``."""
    return None if micros is None else _EPOCH + timedelta(microseconds=micros)


def post_of(row: Sequence[Any]) -> Post:
    """The post of a row selected with `POST_COLUMNS`."""
    (_, path, start, pid, title, date_us, author, tags, cats, source, extras, size, mtime, enc) = (
        row
    )
    return post_from_row(
        (
            pid,  # a PostId: the index stores only post ids in this column
            path_of(path),
            start,
            title,
            us_to_date(date_us),
            author,
            tuple(orjson.loads(tags)),
            tuple(orjson.loads(cats)),
            source,
            tuple(map(tuple, orjson.loads(extras))),
            size,
            mtime,
            enc,
        )
    )


def index_folder(roots: Sequence[str]) -> Path:
    """The folder of the index of a set of corpus roots (order does not matter)."""
    key = "\0".join(sorted(roots)).encode("utf-8", "surrogateescape")
    digest = hashlib.blake2b(key, digest_size=8).hexdigest()
    return locations.cache_dir() / f"index-{digest}"


class IndexUnusable(Exception):
    """The database cannot be used as it is (damaged, other format): it must be rebuilt."""


@dataclass(slots=True)
class Database:
    """An open index database (one connection: use it from one thread at a time)."""

    folder: Path
    roots: list[str]
    conn: sqlite3.Connection

    @property
    def path(self) -> Path:
        """The database file."""
        return self.folder / DATABASE_FILE

    # -- reading -----------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        """A value of the ``meta`` table."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def post_count(self) -> int:
        """How many files gave a post."""
        return int(self.conn.execute(_COUNT_POSTS).fetchone()[0])

    def posts_newest_first(self, offset: int = 0, limit: int = -1) -> list[Post]:
        """Posts in the library's default order (newest first, undated last)."""
        rows = self.conn.execute(
            f"SELECT {POST_COLUMNS} FROM files WHERE base_id IS NOT NULL"
            " ORDER BY sort_new DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return list(map(post_of, rows))

    def iter_rows_newest_first(
        self, columns: str, limit: int | None = None, batch: int = 2000
    ) -> Iterator[tuple[Any, ...]]:
        """These columns of every post (or the first ``limit``), newest first, read a
        batch at a time (``postil ls`` reads only what it prints)."""
        cursor = self.conn.execute(
            f"SELECT {columns} FROM files WHERE base_id IS NOT NULL ORDER BY sort_new DESC LIMIT ?",
            (-1 if limit is None else limit,),
        )
        while rows := cursor.fetchmany(batch):
            yield from rows

    def rows_by_key(self, keys: Sequence[int], columns: str) -> list[tuple[Any, ...]]:
        """These columns (the first one ``key``) of the posts with these keys, in the
        order of ``keys`` (missing ones left out)."""
        found: dict[int, tuple[Any, ...]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(f"SELECT {columns} FROM files WHERE key IN ({marks})", chunk)
            for row in rows:
                found[row[0]] = row
        return [found[key] for key in keys if key in found]

    def posts_by_key(self, keys: Sequence[int]) -> list[Post]:
        """The posts with these keys, in the order of ``keys`` (missing ones left out)."""
        return list(map(post_of, self.rows_by_key(keys, POST_COLUMNS)))

    def keys_of_ids(self, ids: Iterable[str]) -> list[int]:
        """The keys of the posts with these ids."""
        wanted = list(ids)
        keys: list[int] = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(f"SELECT key FROM files WHERE id IN ({marks})", chunk)
            keys += [row[0] for row in rows]
        return keys

    def find_post(self, post_id: str) -> Post | None:
        """The post with this id, or None."""
        row = self.conn.execute(
            f"SELECT {POST_COLUMNS} FROM files WHERE id = ?", (post_id,)
        ).fetchone()
        return None if row is None else post_of(row)

    def posts_with_prefix(self, prefix: str, limit: int = 2) -> list[Post]:
        """Up to ``limit`` posts whose id starts with ``prefix`` (lower-case hex)."""
        rows = self.conn.execute(
            f"SELECT {POST_COLUMNS} FROM files WHERE id >= ? AND id < ? LIMIT ?",
            (prefix, prefix + "\uffff", limit),
        )
        return list(map(post_of, rows))

    def post_at_path(self, path: str) -> Post | None:
        """The post of the file at ``path`` (as the walk spelled it), or None."""
        row = self.conn.execute(
            f"SELECT {POST_COLUMNS} FROM files WHERE path = ? AND base_id IS NOT NULL",
            (stored_path(path),),
        ).fetchone()
        return None if row is None else post_of(row)

    def file_count(self) -> int:
        """How many post files were found (with a post or not)."""
        return int(self.conn.execute("SELECT count(*) FROM files").fetchone()[0])

    def authors(self) -> list[str]:
        """Every distinct author of the posts (the rows of files that could not be read
        have none), in one pass over the table: asking for ``base_id IS NOT NULL`` instead
        would read it through that column's index, a row at a time."""
        rows = self.conn.execute("SELECT DISTINCT author FROM files WHERE author IS NOT NULL")
        return [row[0] for row in rows]

    def problems(self) -> list[Problem]:
        """Every problem met by the last sync, by path."""
        rows = self.conn.execute(
            "SELECT f.path, p.kind, p.reason, p.recovered FROM problems p"
            " JOIN files f ON f.key = p.key"
            " UNION ALL SELECT path, kind, reason, 0 FROM walk_problems"
        ).fetchall()
        problems = [
            Problem(path_of(path), _kind(kind), why, bool(rec)) for path, kind, why, rec in rows
        ]
        problems.sort(key=lambda p: p.path)
        return problems

    def stage_counts(self) -> tuple[int, int, int]:
        """(posts, posts whose fields are searchable, posts whose text is).

        The posts still behind are counted through the index of those (few, once
        indexed), the posts through the list's index: no read of the whole table. One
        statement, so that the three agree while another process writes.
        """
        total, no_fields, no_text = self.conn.execute(
            f"SELECT ({_COUNT_POSTS}), count(*) FILTER (WHERE stage < 1), count(*) FROM files"
            f" WHERE {NOT_INDEXED} AND base_id IS NOT NULL"
        ).fetchone()
        return int(total), int(total) - int(no_fields), int(total) - int(no_text)

    # -- writing -----------------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, taken at once (BEGIN IMMEDIATE), committed on success."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    def is_empty(self) -> bool:
        """Whether no file has a row yet (a first sync)."""
        return self.conn.execute("SELECT 1 FROM files LIMIT 1").fetchone() is None

    def drop_indexes(self) -> None:
        """Drop the files table's indexes, for a first sync to write its rows without
        them (`make_indexes` makes them again; the next open does, if that never comes)."""
        with self.writing() as conn:
            for name in FILES_INDEXES:
                conn.execute(f"DROP INDEX IF EXISTS {name}")

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


DATABASE_FILE: Final[str] = "posts.sqlite3"
"""The database's file in its index folder."""

_COUNT_POSTS = "SELECT count(*) FROM files WHERE base_id IS NOT NULL"

_KINDS: Final[frozenset[str]] = frozenset(
    ("yaml", "not-mapping", "encoding", "empty", "binary", "unreadable", "loop", "fields")
)


def _kind(kind: str) -> ProblemKind:
    return kind if kind in _KINDS else "unreadable"  # type: ignore[return-value]


def open_database(roots: Sequence[str], *, notices: list[str] | None = None) -> Database:
    """Open (or create, or rebuild) the index database of ``roots``.

    Args:
        roots: The absolute corpus roots.
        notices: Gets one line when an existing index had to be rebuilt (and why).

    Returns:
        The open database.

    Raises:
        OSError: The cache folder cannot be created or written (a full disk, no rights).
        sqlite3.Error: SQLite refused even a new, empty database.
    """
    folder = index_folder(roots)
    locations.ensure_private_dir(folder.parent)
    locations.ensure_private_dir(folder)
    path = folder / DATABASE_FILE
    try:
        return _open(folder, path, roots)
    except (IndexUnusable, sqlite3.DatabaseError) as exc:
        if notices is not None:
            notices.append(f"postil: rebuilding the search index ({exc}).")
    remove_index(folder)
    locations.ensure_private_dir(folder)
    return _open(folder, path, roots)


def open_reader(path: str) -> sqlite3.Connection:
    """Another connection to an open index's database, for reading only (a worker
    process's: a connection must not cross a fork)."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    conn.execute("PRAGMA query_only = ON")
    return conn


def remove_index(folder: Path) -> None:
    """Delete an index folder's files (the database and the engine's)."""
    import shutil

    for name in (DATABASE_FILE, f"{DATABASE_FILE}-wal", f"{DATABASE_FILE}-shm"):
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
    shutil.rmtree(folder / "text", ignore_errors=True)


def _open(folder: Path, path: Path, roots: Sequence[str]) -> Database:
    if not path.exists():
        # Made private before SQLite writes anything into it (its -wal and -shm files
        # take the database's mode).
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        _check_format(conn)
    except BaseException:
        conn.close()
        raise
    return Database(folder, list(roots), conn)


FILES_INDEXES: Final[dict[str, str]] = {
    "files_grp": "CREATE INDEX IF NOT EXISTS files_grp ON files(grp)",
    "files_new": (
        "CREATE INDEX IF NOT EXISTS files_new ON files(sort_new) WHERE base_id IS NOT NULL"
    ),
    "files_id": "CREATE INDEX IF NOT EXISTS files_id ON files(id)",
    "files_stage": f"CREATE INDEX IF NOT EXISTS files_stage ON files(stage) WHERE {NOT_INDEXED}",
    "files_base": (
        "CREATE INDEX IF NOT EXISTS files_base ON files(base_id, id) WHERE base_id IS NOT NULL"
    ),
}
"""The files table's indexes, made apart from the schema. Each row written changes pages
all over them (folders, ids, dates and base ids come in no order they share), so a first
sync writes its rows without them and makes them after: at 500k rows, 6.6 s instead of
22 s. An index found without one of them (a first sync killed midway, or written before
the base ids had theirs, which other readers of the format ignore) gets it when opened."""


def make_indexes(conn: sqlite3.Connection) -> None:
    """Make the files table's indexes that are missing (`FILES_INDEXES`)."""
    for statement in FILES_INDEXES.values():
        conn.execute(statement)


def _check_format(conn: sqlite3.Connection) -> None:
    """Create the schema in a new database; refuse one of another format."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "meta" not in tables:
        if tables:
            raise IndexUnusable("it is not an index postil knows")
        conn.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
        conn.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            (("format", str(FORMAT)), ("postil", __version__)),
        )
    else:
        row = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        found = None if row is None else row[0]
        if found != str(FORMAT):
            newer = found is not None and found.isdigit() and int(found) > FORMAT
            what = "a newer postil" if newer else "an older postil"
            raise IndexUnusable(f"it was written by {what}")
    indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    if not indexes.issuperset(FILES_INDEXES):
        with contextlib.suppress(sqlite3.OperationalError):  # another writer: next time
            make_indexes(conn)
