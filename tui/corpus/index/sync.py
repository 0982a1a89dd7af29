"""Bringing the database up to date with the files: only what was added, changed or removed.

`sync` walks the corpus folders (`scan.walk`) a folder at a time. Each folder's files
(names, sizes, mtimes) have a signature; a folder whose signature is the one recorded is
skipped whole, so an unchanged archive costs the walk and one comparison a folder. In a
folder that changed, the files are compared with their rows; new and changed files are
parsed (in worker processes when there are many) and written, removed ones deleted. A
file that disappeared while a file with the same inode, size and mtime appeared is a
rename: it keeps its key, and its place in the search engine when nothing in its fields
changed.

The database is written in transactions of a few thousand files, and a folder's
signature only once all its files are written: a sync killed at any point leaves a
database that the next sync completes. Posts the search engine must forget are listed
in ``gone`` (the engine may be updated later, by another process).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from tui.corpus.ids import derived_id
from tui.corpus.index.db import (
    Database,
    Stage,
    date_to_us,
    make_indexes,
    open_reader,
    path_of,
    sort_key_us,
    stored_path,
)
from tui.corpus.model import Problem
from tui.corpus.scan import (
    FileBatch,
    OnBatch,
    OnDone,
    PartWalked,
    parts_agree,
    resolve_roots,
    split_root,
    walk,
    walk_part,
)
from tui.corpus.workers import default_workers, run_chunks

Progress = Callable[[int, int], None]
"""progress(done, total): files parsed so far out of those to parse."""

RETRY_KINDS: Final[frozenset[str]] = frozenset({"unreadable", "loop"})
"""Problems a chmod or a new link can cure without changing a file's size or mtime: such
files are read again at every sync."""

_RETRY_SIZE: Final[int] = -1
"""The size recorded for a file to read again (no file has it)."""

CHUNK: Final[int] = 400
"""Files per parsing task: large enough to amortise a worker's round trip."""

BATCH: Final[int] = 4000
"""Files written per transaction."""

WALK_SPLIT_FROM: Final[int] = 20_000
"""Files (as many as the last sync recorded) from which the walk is split in parts."""


@dataclass(slots=True)
class SyncReport:
    """What a sync did."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    renamed: list[tuple[str, str]] = field(default_factory=list)
    """(old id, new id) of renamed posts whose id follows their path."""
    walk_problems: list[Problem] = field(default_factory=list)

    @property
    def touched(self) -> bool:
        """Whether anything changed."""
        return bool(self.added or self.changed or self.removed or self.renamed)


@dataclass(slots=True)
class _Group:
    """A folder's files as the walk found them."""

    prefix: str = ""
    rel_start: int = 0
    names: list[str] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    mtimes: list[int] = field(default_factory=list)
    inos: list[int] = field(default_factory=list)

    def add(self, batch: FileBatch) -> None:
        """Add a batch of the folder's files."""
        self.names += batch.names
        self.sizes += [info.st_size for info in batch.infos]
        self.mtimes += [info.st_mtime_ns for info in batch.infos]
        self.inos += [info.st_ino for info in batch.infos]

    def signature(self) -> bytes:
        digest = hashlib.blake2b(digest_size=16)
        digest.update("\0".join(self.names).encode("utf-8", "surrogateescape"))
        digest.update(array("q", self.sizes).tobytes())
        digest.update(array("q", self.mtimes).tobytes())
        digest.update(array("q", self.inos).tobytes())
        return digest.digest()


@dataclass(slots=True)
class _Todo:
    """A file to parse: new, changed, or the new name of a renamed one."""

    group: str
    path: str
    rel_start: int
    size: int
    mtime_ns: int
    ino: int
    key: int | None = None
    """Its row's key when it has one already (changed, renamed)."""
    old_id: str | None = None
    """A renamed post's id before the rename."""


@dataclass(slots=True)
class _Diff:
    todo: list[_Todo] = field(default_factory=list)
    removed: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    """key -> (ino, size, mtime) of rows whose file is gone."""
    signatures: dict[str, bytes] = field(default_factory=dict)
    """New signatures of the folders that changed."""
    gone_groups: list[str] = field(default_factory=list)


def sync(
    db: Database, *, progress: Progress | None = None, workers: int | None = None
) -> SyncReport:
    """Bring ``db`` up to date with the files below its roots.

    Args:
        db: The open database (its roots are walked).
        progress: Called now and then while files are parsed.
        workers: Worker processes for parsing (see `run_chunks`).

    Returns:
        What changed.

    Raises:
        MissingPath: A root no longer exists.
        sqlite3.Error: The database could not be written (a full disk: nothing of this
            sync's transaction is kept, the database stays as it was).
    """
    diff = _Diff()
    known = {
        path_of(grp): signature
        for grp, signature in db.conn.execute("SELECT grp, signature FROM groups")
    }

    def settle(name: str, signature: bytes, changes: _Changes | None) -> None:
        """A folder walked: take what changed in it if its signature did (``changes``:
        None only when the signature is the recorded one)."""
        if known.pop(name, None) == signature:
            return
        if changes is None:  # a part left out a folder that changed
            raise RuntimeError(f"the walk lost the files of {name!r}")
        diff.todo += changes[0]
        diff.removed.update(changes[1])
        diff.signatures[name] = signature

    parts = _walk_in_parts(db, known)
    if parts is None:
        problems, _ = walk(db.roots, *_collector(settle, db.conn))
    else:
        problems = []
        for part in parts:
            problems += part.walked.problems
            for done in part.groups:
                settle(*done)
    for name in known:  # folders that are gone, whole
        diff.gone_groups.append(name)
        for key, ino, size, mtime in db.conn.execute(
            "SELECT key, ino, size, mtime_ns FROM files WHERE grp = ?", (stored_path(name),)
        ):
            diff.removed[key] = (ino, size, mtime)
    report = SyncReport(walk_problems=problems)
    _match_renames(db, diff, report)
    _write(db, diff, report, progress, workers)
    return report


_Changes = tuple[list[_Todo], dict[int, tuple[int, int, int]]]
"""What changed in a folder: the files to parse, and the rows whose file is gone (as
`_Diff` holds them)."""

Settle = Callable[[str, bytes, "_Changes | None"], None]
"""settle(folder's group name, its signature, what changed in it or None when its
signature is the recorded one)."""


def _collector(
    settle: Settle, conn: sqlite3.Connection, known: dict[str, bytes] | None = None
) -> tuple[OnBatch, OnDone]:
    """The walk's callbacks: gather each folder's files, then ``settle`` it, with what
    changed (its files compared with their rows in ``conn``) unless its signature is
    the one in ``known``, if given."""
    groups: dict[str, _Group] = {}

    def on_batch(batch: FileBatch) -> None:
        group = groups.get(batch.group)
        if group is None:
            group = groups[batch.group] = _Group(batch.prefix, batch.rel_start)
        group.add(batch)

    def on_done(name: str) -> None:
        group = groups.pop(name, None) or _Group()
        signature = group.signature()
        if known is not None and known.get(name) == signature:
            settle(name, signature, None)
        else:
            settle(name, signature, _compare(conn, name, group))

    return on_batch, on_done


@dataclass(slots=True)
class _Part:
    """A run of a root's folders walked in a worker process (`_walk_run`)."""

    groups: list[tuple[str, bytes, _Changes | None]]
    """Each folder as `sync`'s ``settle`` takes it, in walk order."""
    walked: PartWalked


def _walk_in_parts(db: Database, known: dict[str, bytes]) -> list[_Part] | None:
    """The walk of a lone root folder with many files, its subfolders cut in runs
    walked side by side in worker processes, one a core (stat() is most of a walk, and
    the kernel serves several processes at once: threads did not help); each worker
    also compares the folders that changed with their rows. None when it is not worth
    it or cannot be done so (then `scan.walk` walks it whole)."""
    roots = resolve_roots(db.roots)
    if len(roots) != 1 or not os.path.isdir(roots[0]):
        return None
    files = db.conn.execute("SELECT max(key) FROM files").fetchone()[0]
    if files is None or files < WALK_SPLIT_FROM:
        return None
    workers = default_workers()
    runs = split_root(roots[0], workers) if workers > 1 else None
    if runs is None:
        return None
    last = len(runs) - 1
    path = str(db.path)
    tasks = [(path, roots[0], run, index == last, known) for index, run in enumerate(runs)]
    parts = list(run_chunks(_walk_run, tasks, workers=workers))
    if any(part is None for part in parts):
        return None
    done = [part for part in parts if part is not None]
    return done if parts_agree([part.walked for part in done]) else None


def _walk_run(task: tuple[str, str, list[str], bool, dict[str, bytes]]) -> _Part | None:
    """Worker task: walk a run of the root's folders (see `scan.walk_part`), comparing
    those that changed with the database at ``path`` (this sync's process holds the
    sync lock: no other writes their rows meanwhile); None when the root cannot be
    reached any more (the whole walk then says why)."""
    path, root, folders, own_files, known = task
    groups: list[tuple[str, bytes, _Changes | None]] = []
    conn = open_reader(path)
    try:
        on_batch, on_done = _collector(lambda *done: groups.append(done), conn, known)
        walked = walk_part(0, root, folders, own_files, on_batch, on_done)
    except OSError:
        return None
    finally:
        conn.close()
    return _Part(groups, walked)


def _compare(conn: sqlite3.Connection, name: str, group: _Group) -> _Changes:
    """What changed in a folder whose signature did."""
    todo: list[_Todo] = []
    rows = {
        row[0]: row[1:]
        for row in conn.execute(
            "SELECT path, key, size, mtime_ns, ino FROM files WHERE grp = ?",
            (stored_path(name),),
        )
    }
    prefix = group.prefix
    for name_, size, mtime, ino in zip(
        group.names, group.sizes, group.mtimes, group.inos, strict=True
    ):
        path = prefix + name_
        row = rows.pop(stored_path(path), None)
        if row is None:
            todo.append(_Todo(name, path, group.rel_start, size, mtime, ino))
        elif (row[1], row[2], row[3]) != (size, mtime, ino):
            # Changed; or the same size and time but another file (replaced in place).
            todo.append(_Todo(name, path, group.rel_start, size, mtime, ino, key=row[0]))
    return todo, {key: (ino, size, mtime) for key, size, mtime, ino in rows.values()}


def _match_renames(db: Database, diff: _Diff, report: SyncReport) -> None:
    """New files that are removed ones under another name take over their rows."""
    if not diff.removed or not diff.todo:
        return
    by_file = {(ino, size, mtime): key for key, (ino, size, mtime) in diff.removed.items()}
    for todo in diff.todo:
        if todo.key is not None:
            continue
        key = by_file.pop((todo.ino, todo.size, todo.mtime_ns), None)
        if key is not None:
            del diff.removed[key]
            todo.key = key
            row = db.conn.execute("SELECT id FROM files WHERE key = ?", (key,)).fetchone()
            todo.old_id = row[0]


def _write(
    db: Database, diff: _Diff, report: SyncReport, progress: Progress | None, workers: int | None
) -> None:
    todo = diff.todo
    total = len(todo)
    chunks = [
        [(t.path, t.rel_start) for t in todo[start : start + CHUNK]]
        for start in range(0, total, CHUNK)
    ]
    if db.is_empty():
        db.drop_indexes()  # made again in the last transaction (see `db.FILES_INDEXES`)
    results = run_chunks(_parse_chunk, chunks, workers=workers)
    done = 0
    pending: list[tuple[_Todo, _Parsed]] = []
    for chunk_result in results:
        pending += zip(todo[done : done + len(chunk_result)], chunk_result, strict=True)
        done += len(chunk_result)
        if progress is not None:
            progress(done, total)
        if len(pending) >= BATCH:
            _write_batch(db, pending, report)
            pending = []
    with db.writing() as conn:
        touched = _touched_bases(db, diff, pending)
        _write_rows(conn, pending, report)
        _remove(conn, diff, report)
        conn.executemany(
            "INSERT OR REPLACE INTO groups VALUES (?, ?)",
            [(stored_path(grp), signature) for grp, signature in diff.signatures.items()],
        )
        conn.execute("DELETE FROM walk_problems")
        conn.executemany(
            "INSERT INTO walk_problems VALUES (?, ?, ?)",
            [(stored_path(p.path), p.kind, p.reason) for p in report.walk_problems],
        )
        make_indexes(conn)
        if diff.todo or diff.removed:
            _dedupe(conn, touched)
            conn.execute("INSERT OR REPLACE INTO meta VALUES (?, '1')", (IDS_SETTLED,))


def _write_batch(db: Database, pending: list[tuple[_Todo, _Parsed]], report: SyncReport) -> None:
    with db.writing() as conn:
        conn.execute("DELETE FROM meta WHERE key = ?", (IDS_SETTLED,))
        _write_rows(conn, pending, report)


IDS_SETTLED: Final[str] = "ids_settled"
"""The ``meta`` key present while every post's id is settled (`_dedupe`): a sync that
writes rows in more than one transaction removes it first and sets it again in its
last, so the sync after a killed one settles the ids of every source."""


def _touched_bases(
    db: Database, diff: _Diff, pending: list[tuple[_Todo, _Parsed]]
) -> set[str] | None:
    """The base ids whose posts' ids the last transaction may change (before it writes):
    those of the rows it writes, replaces or deletes; None for all of them, when rows
    were written before it (by this sync or a killed one: `IDS_SETTLED`)."""
    if db.meta(IDS_SETTLED) is None:
        return None
    bases = {wire[0] for _, (wire, _) in pending if wire is not None}
    keys = [todo.key for todo, _ in pending if todo.key is not None]
    keys += diff.removed
    bases.update(base for _, base in db.rows_by_key(keys, "key, base_id") if base is not None)
    return bases


_Parsed = tuple[list[Any] | None, list[tuple[str, str, bool]]]
"""What a worker sends back for one file: its fields as the database stores them (the
date as microseconds, lists as JSON) or None, and its problems as (kind, reason,
recovered)."""


def _parse_chunk(files: list[tuple[str, int]]) -> list[_Parsed]:
    """Worker task: parse a chunk of files."""
    from tui.corpus.parse import parse_fields  # not imported by a sync with nothing to read

    out: list[_Parsed] = []
    for path, rel_start in files:
        fields, problems = parse_fields(path, rel_start)
        wire: list[Any] | None = None
        if fields is not None:
            pid, title, date, author, tags, categories, source, extras, encoding = fields
            wire = [
                pid,
                title,
                date_to_us(date),
                author,
                _json(tags),
                _json(categories),
                source,
                _json(extras),
                encoding,
            ]
        out.append((wire, [(p.kind, p.reason, p.recovered) for p in problems]))
    return out


_UPSERT: Final[str] = (
    "INSERT OR REPLACE INTO files(key, grp, path, rel_start, size, mtime_ns, ino, base_id, id,"
    " title, date_us, author, tags, categories, source, extras, encoding, sort_new, stage)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _write_rows(conn: Any, pending: list[tuple[_Todo, _Parsed]], report: SyncReport) -> None:
    """Upsert parsed files (keys kept for changed and renamed files)."""
    next_key = _next_key(conn)
    rows: list[list[Any]] = []
    problem_rows: list[tuple[int, str, str, int]] = []
    known: list[tuple[int]] = []
    for todo, (wire, problems) in pending:
        key = todo.key
        if key is None:
            key, next_key = next_key, next_key + 1
            report.added += 1
        else:
            known.append((key,))
            if todo.old_id is None:
                report.changed += 1
        size = todo.size
        if problems:
            if any(kind in RETRY_KINDS for kind, _, _ in problems):
                size = _RETRY_SIZE
            problem_rows += [(key, kind, why, int(recovered)) for kind, why, recovered in problems]
        row = _row(todo, key, size, wire)
        if todo.old_id is not None:
            row[18] = _renamed(conn, key, row, todo.old_id, report)
        rows.append(row)
    conn.executemany("DELETE FROM problems WHERE key = ?", known)
    conn.executemany(_UPSERT, rows)
    conn.executemany("INSERT INTO problems VALUES (?, ?, ?, ?)", problem_rows)


def _renamed(conn: Any, key: int, row: list[Any], old_id: str, report: SyncReport) -> int:
    """The stage a renamed file's row may keep (its new row replaces the old one).

    Its engine document stays right when nothing it holds changed (the path is not in
    it); a post whose id follows its path is listed in the report.
    """
    old = conn.execute(
        "SELECT id, title, date_us, author, tags, categories, source, extras, encoding, stage"
        " FROM files WHERE key = ?",
        (key,),
    ).fetchone()
    if row[8] is not None and row[8] != old_id:
        report.renamed.append((old_id, row[8]))
    if old is not None and tuple(old[:9]) == tuple(row[8:17]):
        return int(old[9])
    return Stage.NONE


def _row(todo: _Todo, key: int, size: int, wire: list[Any] | None) -> list[Any]:
    head = [
        key,
        stored_path(todo.group),
        stored_path(todo.path),
        todo.rel_start,
        size,
        todo.mtime_ns,
        todo.ino,
    ]
    if wire is None:
        return head + [None] * 11 + [Stage.NONE]
    pid, title, date_us, author, tags, categories, source, extras, encoding = wire
    return head + [
        pid,
        pid,
        title,
        date_us,
        author,
        tags,
        categories,
        source,
        extras,
        encoding,
        sort_key_us(date_us, key),
        Stage.NONE,
    ]


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _next_key(conn: Any) -> int:
    row = conn.execute("SELECT max(key) FROM files").fetchone()
    return 1 if row[0] is None else int(row[0]) + 1


def _remove(conn: Any, diff: _Diff, report: SyncReport) -> None:
    """Delete the rows of files that are gone; the engine forgets them later (``gone``)."""
    keys = [(key,) for key in diff.removed]
    report.removed += len(keys)
    conn.executemany("INSERT OR IGNORE INTO gone VALUES (?)", keys)
    conn.executemany("DELETE FROM problems WHERE key = ?", keys)
    conn.executemany("DELETE FROM files WHERE key = ?", keys)
    conn.executemany(
        "DELETE FROM groups WHERE grp = ?", [(stored_path(g),) for g in diff.gone_groups]
    )


def _dedupe(conn: Any, bases: set[str] | None) -> None:
    """Give every post of these base ids (None: of all) a distinct id again.

    The first file of a source URL (by path) keeps the plain id; the others get one that
    also holds their relative path (`ids.derived_id`). A post whose id changes is put
    back to stage 0, since its engine document holds its id. (For all of them, one pass
    over the base ids' index finds the groups to look at; each group is then read
    through it.)
    """
    if bases is None:
        bases = {
            row[0]
            for row in conn.execute(
                "SELECT base_id FROM files WHERE base_id IS NOT NULL GROUP BY base_id"
                " HAVING count(*) > 1 OR max(id IS NOT base_id)"
            )
        }
    for base in sorted(bases):
        rows = conn.execute(
            "SELECT key, path, rel_start, source, id FROM files WHERE base_id = ? ORDER BY path",
            (base,),
        ).fetchall()
        for index, (key, path, rel_start, source, current) in enumerate(rows):
            wanted = base if index == 0 else derived_id(source, path_of(path)[rel_start:])
            if wanted != current:
                conn.execute(
                    "UPDATE files SET id = ?, stage = ? WHERE key = ?", (wanted, Stage.NONE, key)
                )
