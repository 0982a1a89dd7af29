"""The store's files: a plain TinyDB JSON file, and a journal of recent changes beside it.

The store file stays what ``tinydb.TinyDB(path)`` reads::

    {"annotations": {"1": {...}, "2": {...}}, "reading": {"1": {...}}}

A change is appended to ``<store file>.journal`` as one checksummed record, fsynced
before the write returns (see :mod:`annotations.journal`), so a write costs an append
and an fsync whatever the store's size. The journal is folded into the store file (a
*compaction*: the whole file written as before, temp + fsync + rename + folder fsync,
then the journal emptied) when it passes a size limit, when a writable store is closed
(and at the exit of a process that wrote to it: :mod:`annotations.exit_fold`), and when
a store is opened with a journal over the limit. So whenever no postil is running, the
store file alone is complete; while one runs, readers must replay the journal too,
which :class:`DurableStorage` (a real TinyDB ``Storage``) does.

The in-memory copy of the files is trusted only while both files' (inode, size,
mtime_ns) are those it was read from, and a journal that only grew is read from where
the copy left off.
"""

from __future__ import annotations

import contextlib
import glob
import os
import stat
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from annotations import journal
from annotations.durable import atomic_write_chunks, file_lock
from annotations.errors import StoreCorrupt
from annotations.journal import JournalDamaged, Op, Stamp, journal_path_for

ANNOTATIONS_TABLE = "annotations"
READING_TABLE = "reading"

DEFAULT_JOURNAL_LIMIT = 1 << 20
"""Journal bytes past which a write folds the journal into the store file (1 MiB: about
1,000 annotation writes, so compactions are rare)."""

Data = dict[str, Any]
"""The whole decoded store: table name -> {doc id string -> document}."""

Key = tuple[str, str]
"""(table, doc id)."""

Touched = dict[Key, Any]
"""The documents a journal replay changed: (table, doc id) -> the document before (None
when there was none)."""

_LOAD_ATTEMPTS = 4
"""Reads do not take the lock: a read that raced a compaction is done again."""


def stamp_of(path: Path) -> Stamp | None:
    """A file's identity now, (inode, size, mtime_ns), or None when it is missing."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class DurableStorage(Storage):
    """A TinyDB storage over the store file and its journal, parsed with orjson.

    :meth:`read` is the store file with the journal replayed. ``TinyDB(path,
    storage=DurableStorage)`` works, but TinyDB's read and write are two separate
    calls, so only :meth:`AnnotationStore.transaction` makes a change atomic against
    other processes. A TinyDB :meth:`write` rewrites the whole store file (after folding
    the journal into it, so that replaying the journal can never undo the write).
    """

    def __init__(
        self, path: str | os.PathLike[str], journal_limit: int = DEFAULT_JOURNAL_LIMIT, **_: Any
    ) -> None:
        """Open (not create) the store file at ``path``.

        Args:
            path: the store file; the journal is ``<path>.journal``.
            journal_limit: journal bytes past which an append folds the journal into
                the store file.
        """
        self.path = Path(path)
        self.journal_path = journal_path_for(self.path)
        self.journal_limit = journal_limit
        self._data: Data | None = None
        self._main_stamp: Stamp | None = None
        """The store file version the copy was read from (None: there was none)."""
        self._journal_stamp: Stamp | None = None
        """The journal as last read (None: there was none)."""
        self._journal_end = 0
        """Offset just past the last good journal record read (and replayed)."""
        self._journal_torn = False
        """Bytes after ``_journal_end`` were seen: a torn write, read again each time."""
        self._mode = 0o600
        self._pin_fd: int | None = None
        self._next_ids: dict[str, int] = {}
        """Per table, the next free TinyDB doc id (valid for the current copy)."""

    # -- reading -------------------------------------------------------------------

    def stamps(self) -> tuple[Stamp | None, Stamp | None]:
        """The store file's and the journal's identities now (None: missing)."""
        return stamp_of(self.path), stamp_of(self.journal_path)

    @property
    def journal_bytes(self) -> int:
        """Bytes of good journal records in the copy (0: the store file is complete)."""
        return self._journal_end

    def table(self, name: str) -> dict[str, Any]:
        """The copy's table ``name`` (empty when there is no copy or no such table)."""
        table: dict[str, Any] = (self._data or {}).get(name, {})
        return table

    def load(self) -> tuple[Data, Touched | None]:
        """Bring the in-memory copy up to date with the files.

        Returns:
            (data, touched): the shared in-memory copy (callers inside a transaction may
            mutate it), and None when it was read again from scratch, else the documents
            replayed from the journal's new records (empty: nothing changed).

        Raises:
            StoreCorrupt: the store file is not valid JSON or not shaped like a TinyDB
                file, or the journal has a damaged record that is not its last line.
            OSError: a file cannot be read.
        """
        for _ in range(_LOAD_ATTEMPTS):
            if self._data is not None and stamp_of(self.path) == self._main_stamp:
                touched = self._load_tail()
                if touched is not None:
                    return self._data, touched
                self.invalidate()  # the journal was emptied or replaced: start over
            elif self._load_whole(check=True):
                break
        else:  # the files kept changing: take one consistent-enough read (a later
            # load sees the newer stamps and reads again)
            self._load_whole(check=False)
        assert self._data is not None
        return self._data, None

    def _load_whole(self, *, check: bool) -> bool:
        """Read the store file and replay the whole journal; False if it changed meanwhile."""
        mode = self._mode
        try:
            with open(self.path, "rb") as handle:
                st = os.fstat(handle.fileno())
                raw = handle.read()
        except FileNotFoundError:
            data: Data = {}
            main: Stamp | None = None
        else:
            data = parse_store(raw, self.path)
            main = (st.st_ino, st.st_size, st.st_mtime_ns)
            mode = stat.S_IMODE(st.st_mode)
            del raw
        read = journal.read_from(self.journal_path, 0)
        buf, stamp = read if read is not None else (b"", None)
        try:
            parsed = journal.parse_records(buf)
        except JournalDamaged as exc:
            if check and self.stamps() != (main, stamp):
                return False  # read while a compaction rewrote the journal: read again
            journal.apply_ops(data, exc.good)
            raise StoreCorrupt(self._damaged(exc.offset), partial=data) from None
        if check and stamp_of(self.path) != main:
            return False  # compacted while we read: the journal may be of a newer file
        journal.apply_ops(data, parsed.ops)
        self._data, self._main_stamp = data, main
        self._journal_stamp, self._journal_end = stamp, parsed.end
        self._journal_torn = parsed.torn
        self._next_ids, self._mode = {}, mode
        self._pin()
        return True

    def _load_tail(self) -> Touched | None:
        """Replay the journal's new records on the copy; None when it must be re-read."""
        assert self._data is not None
        now = stamp_of(self.journal_path)
        if now == self._journal_stamp and not self._journal_torn:
            return {}
        known = self._journal_stamp
        if self._journal_end and (
            now is None or known is None or now[0] != known[0] or now[1] < self._journal_end
        ):
            return None  # emptied by a compaction, or replaced
        read = journal.read_from(self.journal_path, self._journal_end)
        if read is None:
            return None if self._journal_end else {}
        buf, stamp = read
        if self._journal_end and known is not None and stamp[0] != known[0]:
            return None
        try:
            parsed = journal.parse_records(buf)
        except JournalDamaged as exc:
            if self.stamps() != (self._main_stamp, stamp):
                return None  # read while a compaction rewrote the journal: read again
            raise StoreCorrupt(self._damaged(self._journal_end + exc.offset)) from None
        if stamp_of(self.path) != self._main_stamp:
            return None  # a compaction started after our stat: read everything again
        touched = journal.apply_ops(self._data, parsed.ops)
        for table, doc_id in touched:
            self._bump_next_id(table, doc_id)
        self._journal_stamp = stamp
        self._journal_end += parsed.end
        self._journal_torn = parsed.torn
        return touched

    def _damaged(self, offset: int) -> str:
        return (
            f"the annotation store's journal {self.journal_path} has a damaged record at"
            f" byte {offset}; it and the store file are left untouched and the store is"
            " opened read-only."
        )

    def next_doc_id(self, data: Data, table: str) -> str:
        """TinyDB's rule for a new doc id: one more than the largest integer id."""
        if table not in self._next_ids:
            keys = data.get(table, {})
            self._next_ids[table] = max((int(k) for k in keys if k.isdigit()), default=0) + 1
        doc_id = self._next_ids[table]
        self._next_ids[table] = doc_id + 1
        return str(doc_id)

    def _bump_next_id(self, table: str, doc_id: str) -> None:
        """Keep the next free id past an id another process just used."""
        nxt = self._next_ids.get(table)
        if nxt is not None and doc_id.isdigit() and int(doc_id) >= nxt:
            self._next_ids[table] = int(doc_id) + 1

    # -- writing (the caller holds the lock and has just loaded) ---------------------

    def append(self, changed: set[Key]) -> None:
        """Make the changed documents of the copy durable: one journal record.

        A store without a file gets one written whole instead (the first write creates
        the TinyDB file). A journal past the limit is then folded into the store file;
        a failure to fold is not the write's failure (every change is in the journal),
        so it is left for a later write or close.

        Raises:
            OSError: nothing was written; the copy is dropped (re-read next time).
        """
        assert self._data is not None
        if not changed:
            return
        if self._main_stamp is None and not self._journal_end:
            self.replace_all(self._data)
            return
        ops: list[Op] = []
        for table, doc_id in changed:
            docs = self._data.get(table, {})
            if doc_id in docs:
                ops.append(["put", table, doc_id, docs[doc_id]])
            else:
                ops.append(["del", table, doc_id])
        record = journal.encode_record(ops)
        try:
            self._journal_stamp = journal.append(self.journal_path, record, self._journal_end)
        except BaseException:
            self.invalidate()  # the change is in the copy but not on disk: drop the copy
            raise
        self._journal_end += len(record)
        self._journal_torn = False
        if self._journal_end > self.journal_limit or self._main_stamp is None:
            with contextlib.suppress(OSError):
                self.compact()

    def compact(self) -> None:
        """Fold the journal into the store file: rewrite the file, then empty the journal.

        A crash between the two leaves records that are already in the file; replaying
        them again changes nothing.

        Raises:
            OSError: the store file could not be written (it is whole and unchanged, and
                the journal still holds every record), or the journal not emptied.
        """
        assert self._data is not None
        self._write_main(self._data)
        self._journal_stamp = journal.truncate(self.journal_path)
        self._journal_end, self._journal_torn = 0, False

    def replace_all(self, data: Data) -> None:
        """Rewrite the store file with ``data``, an arbitrary change of the copy.

        The journal is folded first (with the copy as it was), so no record in it can
        replay over ``data``.

        Raises:
            OSError: nothing was written; the copy is dropped (re-read next time).
        """
        try:
            if self._journal_end:
                if self._data is data:
                    raise ValueError("the journal must be folded before the copy changes")
                self.compact()
            self._write_main(data)
            if self._journal_torn:  # a torn write's bytes, no record: cut them off
                self._journal_stamp = journal.truncate(self.journal_path)
                self._journal_torn = False
        except BaseException:
            self.invalidate()
            raise
        self._data = data

    def fold_before_change(self) -> None:
        """Fold the journal into the store file before an unknown change of the copy."""
        if self._journal_end or self._journal_torn:
            self.compact()

    def _write_main(self, data: Data) -> None:
        atomic_write_chunks(self.path, [orjson.dumps(data)], mode=self._mode)
        self._main_stamp = stamp_of(self.path)
        self._pin()

    def _pin(self) -> None:
        """Keep the store file version we hold open, so its inode number cannot be reused.

        The (inode, size, mtime_ns) stamp could otherwise match a later file that got
        the same recycled inode, the same size and a timestamp in the same clock tick.
        """
        old, self._pin_fd = self._pin_fd, None
        if old is not None:
            os.close(old)
        if self._main_stamp is None:
            return
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return
        if os.fstat(fd).st_ino == self._main_stamp[0]:
            self._pin_fd = fd
        else:  # replaced in between: the stamp will not match and we re-read anyway
            os.close(fd)

    def close(self) -> None:
        """Release the pinned file descriptor."""
        if self._pin_fd is not None:
            os.close(self._pin_fd)
            self._pin_fd = None

    def remove_stale_temps(self) -> None:
        """Delete temp files left by writers killed mid-write (caller holds the lock).

        Every writer holds the lock while its temp file exists, so under the lock any
        temp file of this store belongs to a writer that died.
        """
        for stale in self.path.parent.glob(f".{glob.escape(self.path.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()

    def invalidate(self) -> None:
        """Forget the in-memory copy so the next load reads both files again."""
        self._data, self._main_stamp, self._journal_stamp = None, None, None
        self._journal_end, self._journal_torn = 0, False
        self._next_ids = {}

    # -- TinyDB's Storage interface ------------------------------------------------

    def read(self) -> Data | None:
        """TinyDB's read: the store file with the journal replayed, as a private copy
        (TinyDB mutates what it is given)."""
        data, _ = self.load()
        return orjson.loads(orjson.dumps(data)) if data else None

    def write(self, data: Data) -> None:
        """TinyDB's write: durable and under the lock (but not atomic with the read).

        Raises:
            StoreCorrupt: the store cannot be parsed; it is never overwritten.
            OSError: nothing was written.
        """
        with file_lock(self.path):
            self.load()
            self.replace_all(data)


def parse_store(raw: bytes, path: Path) -> Data:
    """Decode a store file's bytes, checking it has the TinyDB shape.

    Raises:
        StoreCorrupt: one sentence saying where (line and column) and why.
    """
    if not raw.strip():
        return {}  # TinyDB treats an empty file as an empty database.
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise StoreCorrupt(
            f"the annotation store {path} cannot be parsed ({exc.msg} at line {exc.lineno},"
            f" column {exc.colno}); it is left untouched and opened read-only."
        ) from exc
    if not isinstance(data, dict):
        raise StoreCorrupt(
            f"the annotation store {path} is not a JSON object of tables;"
            " it is left untouched and opened read-only."
        )
    for name, table in data.items():
        if not isinstance(table, dict):
            raise StoreCorrupt(
                f"table {name!r} of the annotation store {path} is not a JSON object;"
                " the store is left untouched and opened read-only."
            )
    return data
