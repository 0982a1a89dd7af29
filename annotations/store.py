"""The annotation store: a plain TinyDB JSON file, and a journal of recent changes beside it.

The store file stays what ``tinydb.TinyDB(path)`` reads::

    {"annotations": {"1": {...}, "2": {...}}, "reading": {"1": {...}}}

Every change goes through :meth:`AnnotationStore.transaction`: take the lock file beside
the store, bring the in-memory copy up to date with both files, apply the change, and
append it as one checksummed record to ``<store file>.journal``, fsynced before the
write returns (see :mod:`annotations.journal`). A write therefore costs an append and an
fsync, whatever the store's size. The journal is folded into the store file (a
*compaction*: the whole file written as before, temp + fsync + rename + folder fsync,
then the journal emptied) when it passes a size limit, when a writable store is closed
(and at the exit of a process that wrote to it: :mod:`annotations.exit_fold`), and when
a store is opened with a journal over the limit. So whenever no postil is running, the
store file alone is complete; while one runs, readers must replay the journal too,
which :class:`DurableStorage` (a real TinyDB ``Storage``) does.

TinyDB's own ``Table`` keeps caches (the next doc id, query results) that go stale when
another process writes, so the store uses TinyDB only as the file format. An in-memory
copy of the files (and an index of validated annotations) answers reads; it is trusted
only while both files' (inode, size, mtime_ns) are those it was read from, and a journal
that only grew is read from where the copy left off.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import glob
import os
import stat
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import orjson
from tinydb.storages import Storage

from annotations import exit_fold, journal
from annotations.durable import FULL_ERRNOS, atomic_write_chunks, file_lock
from annotations.journal import JournalDamaged, Op, Stamp, journal_path_for
from annotations.model import (
    COLORS,
    Annotation,
    AnnotationId,
    InvalidDocument,
    PostSnapshot,
    Target,
    utc_now_iso,
)

T = TypeVar("T")

ANNOTATIONS_TABLE = "annotations"
READING_TABLE = "reading"

DEFAULT_JOURNAL_LIMIT = 1 << 20
"""Journal bytes past which a write folds the journal into the store file (1 MiB: about
1,000 annotation writes, so a compaction's cost, some 25 ms at 10k annotations, is rare)."""

Data = dict[str, Any]
"""The whole decoded store: table name -> {doc id string -> document}."""

Key = tuple[str, str]
"""(table, doc id)."""

Touched = dict[Key, Any]
"""The documents a journal replay changed: (table, doc id) -> the document before (None
when there was none)."""

_LOAD_ATTEMPTS = 4
"""Reads do not take the lock: a read that raced a compaction is done again."""


class StoreError(Exception):
    """Base of the store's errors; ``str()`` is one sentence for the user."""


class StoreCorrupt(StoreError):
    """The store file or its journal cannot be parsed; both are left untouched."""

    def __init__(self, message: str, partial: Data | None = None) -> None:
        super().__init__(message)
        self.partial = partial
        """What could be read (the store file and the journal's good records before the
        damage), for a read-only view; None when nothing could."""


class AnnotationExists(StoreError):
    """An annotation with the id given to ``create`` is already stored."""


class StoreReadOnly(StoreError):
    """A write was asked of a store opened read-only (it could not be parsed)."""


class StoreFull(StoreError):
    """The disk or quota is full; the store is unchanged."""


class AnnotationNotFound(StoreError, KeyError):
    """No annotation has the given id (another process may have deleted it)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "no such annotation."


@dataclass(frozen=True, slots=True)
class ReadingState:
    """Where the reader left a post and whether it was read."""

    post_id: str
    position: int = 0
    """Canonical-text offset of the first visible character."""
    is_read: bool = False
    updated: str | None = None
    """ISO 8601 UTC of the last change; None when never recorded."""


def _stat(path: Path) -> Stamp | None:
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
        return _stat(self.path), _stat(self.journal_path)

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
            if self._data is not None and _stat(self.path) == self._main_stamp:
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
        if check and _stat(self.path) != main:
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
        now = _stat(self.journal_path)
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
        if _stat(self.path) != self._main_stamp:
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
        self._main_stamp = _stat(self.path)
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


class AnnotationStore:
    """The user's highlights, notes and reading state, in one TinyDB JSON file.

    Every method is synchronous and thread-safe; a write is durable when it returns.
    A store that cannot be parsed opens read-only (``read_only_reason`` says where and
    why) and is never overwritten; documents that fail validation stay in the file as
    they are and are listed in :attr:`problems`.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, journal_limit: int = DEFAULT_JOURNAL_LIMIT
    ) -> None:
        """Open the store at ``path`` (created on the first write, with mode 0600).

        Args:
            path: the store file.
            journal_limit: journal bytes past which a write folds the journal into the
                store file; a store opened with a bigger journal folds it at once.
        """
        self.path = Path(path)
        self.read_only = False
        """True when a file could not be read or parsed: writes raise StoreReadOnly."""
        self.read_only_reason: str | None = None
        """One sentence saying why the store is read-only."""
        self._storage = DurableStorage(self.path, journal_limit=journal_limit)
        self._lock = threading.RLock()
        self._index: dict[AnnotationId, Annotation] = {}
        self._doc_ids: dict[AnnotationId, str] = {}
        self._reading: dict[str, tuple[str, ReadingState]] = {}
        self._problems: dict[Key, str] = {}
        self._duplicates = 0
        """How many of the problems are duplicate ids (their fix needs a full rebuild)."""
        self._sorted: list[Annotation] | None = None
        self._by_post: dict[str, list[Annotation]] | None = None
        """Post id -> its annotations; a post's list is sorted on its first for_post."""
        self._sorted_posts: set[str] = set()
        """The posts whose list in ``_by_post`` is in text order."""
        self._counts: dict[str, tuple[int, int]] | None = None
        self._broken_stamps: tuple[Stamp | None, Stamp | None] | None = None
        self._swept = False
        self._absolute = self.path.absolute()
        """The store file's path as written down for the fold at exit."""
        self._refresh()
        if not self.read_only and self._storage.journal_bytes > journal_limit:
            with contextlib.suppress(StoreError):
                self.compact()
        exit_fold.opened(self)

    def close(self) -> None:
        """Fold the journal into the store file and release the store file's descriptor.

        Afterwards the store file alone holds everything (for TinyDB or any JSON
        reader). A fold that fails (a full disk) is left for later: every change is
        still in the journal. A read-only store writes nothing. The store stays usable.
        """
        with self._lock:
            try:
                journal_now = _stat(self._storage.journal_path)
                if not self.read_only and journal_now is not None and journal_now[1]:
                    self.compact()
            except StoreError:
                pass
            finally:
                self._storage.close()
                exit_fold.closed(self)

    def compact(self) -> None:
        """Fold the journal into the store file now (nothing happens when it is empty).

        Raises:
            StoreReadOnly: the store could not be parsed.
            StoreFull: no space left; the store file is unchanged and the journal
                still holds every change.
            StoreError: another OS error, with the same guarantees.
        """
        with self._lock:
            try:
                with file_lock(self.path):
                    self._refresh()
                    if self.read_only:
                        raise StoreReadOnly(self._read_only_message())
                    self._sweep()
                    self._storage.fold_before_change()
            except OSError as exc:
                raise _os_error(exc, self.path, folding=True) from exc

    # -- reads ---------------------------------------------------------------------

    @property
    def problems(self) -> list[str]:
        """One sentence per stored document that failed validation (kept on disk)."""
        with self._lock:
            self._refresh()
            return list(self._problems.values())

    def get(self, ann_id: str) -> Annotation | None:
        """The annotation with this id, or None."""
        with self._lock:
            self._refresh()
            return self._index.get(AnnotationId(ann_id))

    def all(self) -> list[Annotation]:
        """Every valid annotation, oldest first."""
        with self._lock:
            self._refresh()
            if self._sorted is None:
                self._sorted = sorted(self._index.values(), key=_created_order)
            return list(self._sorted)

    def for_post(self, post_id: str) -> list[Annotation]:
        """The post's annotations in text order."""
        with self._lock:
            self._refresh()
            anns = self._grouped().get(post_id)
            if not anns:
                return []
            if post_id not in self._sorted_posts:
                anns.sort(key=_text_order)
                self._sorted_posts.add(post_id)
            return list(anns)

    def post_counts(self) -> dict[str, tuple[int, int]]:
        """Post id -> (annotations with a note, all annotations)."""
        with self._lock:
            self._refresh()
            if self._counts is None:
                # ``ann.has_note``, inlined: a property call per annotation costs 2x.
                self._counts = {
                    post_id: (len([ann for ann in anns if ann.note.strip()]), len(anns))
                    for post_id, anns in self._grouped().items()
                }
            return dict(self._counts)

    def _grouped(self) -> dict[str, list[Annotation]]:
        """The annotations grouped by post (each post's list sorted on demand)."""
        if self._by_post is None:
            by_post: dict[str, list[Annotation]] = {}
            for ann in self._index.values():
                post_id = ann.post.id
                anns = by_post.get(post_id)
                if anns is None:
                    by_post[post_id] = [ann]
                else:
                    anns.append(ann)
            self._by_post, self._sorted_posts = by_post, set()
        return self._by_post

    def reading(self, post_id: str) -> ReadingState:
        """The post's reading state (position 0, unread when never recorded)."""
        with self._lock:
            self._refresh()
            entry = self._reading.get(post_id)
            return entry[1] if entry else ReadingState(post_id)

    def read_post_ids(self) -> set[str]:
        """Ids of the posts marked read."""
        with self._lock:
            self._refresh()
            return {pid for pid, (_, state) in self._reading.items() if state.is_read}

    # -- writes --------------------------------------------------------------------

    def create(
        self,
        post: PostSnapshot,
        target: Target,
        *,
        note: str = "",
        tags: Sequence[str] = (),
        color: str = "yellow",
        ann_id: str | None = None,
        created: str | None = None,
        updated: str | None = None,
    ) -> Annotation:
        """Add an annotation and return it.

        ``ann_id`` is the caller's id (the reader shows and edits a highlight before this
        returns; an import gives each record the same id every time), else a new uuid4;
        ``created`` and ``updated`` default to now (an import keeps the originals).

        Raises:
            ValueError: ``color`` is not in COLORS.
            AnnotationExists: an annotation already has ``ann_id`` (nothing written).
            StoreReadOnly, StoreFull, StoreError: nothing was written.
        """
        _check_color(color)
        now = created or utc_now_iso()
        ann = Annotation(
            id=AnnotationId(ann_id or str(uuid.uuid4())),
            post=post,
            target=target,
            note=note,
            tags=_clean_tags(tags),
            color=color,
            created=now,
            updated=updated or now,
        )
        doc = ann.to_doc()

        def apply(data: Data, changed: set[Key]) -> str:
            if ann.id in self._index:
                raise AnnotationExists(f"an annotation already has the id {ann.id}.")
            table = data.setdefault(ANNOTATIONS_TABLE, {})
            doc_id = self._storage.next_doc_id(data, ANNOTATIONS_TABLE)
            table[doc_id] = doc
            changed.add((ANNOTATIONS_TABLE, doc_id))
            return doc_id

        with self._lock:
            doc_id = self._transaction(apply)
            self._index_put(doc_id, None, ann)
        return ann

    def update(
        self,
        ann_id: str,
        *,
        note: str | None = None,
        tags: Sequence[str] | None = None,
        color: str | None = None,
        target: Target | None = None,
        post: PostSnapshot | None = None,
    ) -> Annotation:
        """Change an annotation's note, tags, color, target or post; return the new version.

        Fields left as None keep their value; unknown fields in the stored document
        (written by a newer postil) are kept.

        Raises:
            AnnotationNotFound: no annotation has this id.
            ValueError: ``color`` is not in COLORS.
            StoreReadOnly, StoreFull, StoreError: nothing was written.
        """
        if color is not None:
            _check_color(color)

        def apply(data: Data, changed: set[Key]) -> tuple[str, Annotation, Annotation]:
            key = AnnotationId(ann_id)
            old = self._index.get(key)
            doc_id = self._doc_ids.get(key)
            if old is None or doc_id is None:
                raise AnnotationNotFound(f"no annotation has the id {ann_id}.")
            new = dataclasses.replace(
                old,
                note=old.note if note is None else note,
                tags=old.tags if tags is None else _clean_tags(tags),
                color=old.color if color is None else color,
                target=old.target if target is None else target,
                post=old.post if post is None else post,
                updated=utc_now_iso(),
            )
            table = data[ANNOTATIONS_TABLE]
            # A new dict, not an update in place: a reader's copy may share documents.
            table[doc_id] = {**table[doc_id], **new.to_doc()}
            changed.add((ANNOTATIONS_TABLE, doc_id))
            return doc_id, old, new

        with self._lock:
            doc_id, old, new = self._transaction(apply)
            self._index_put(doc_id, old, new)
        return new

    def delete(self, ann_id: str) -> None:
        """Remove an annotation (nothing happens when it is already gone).

        Raises:
            StoreReadOnly, StoreFull, StoreError: nothing was written.
        """

        def apply(data: Data, changed: set[Key]) -> str | None:
            doc_id = self._doc_ids.get(AnnotationId(ann_id))
            if doc_id is None:
                return None
            del data[ANNOTATIONS_TABLE][doc_id]
            changed.add((ANNOTATIONS_TABLE, doc_id))
            return doc_id

        with self._lock:
            doc_id = self._transaction(apply, write_if=lambda result: result is not None)
            old = self._index.get(AnnotationId(ann_id))
            if doc_id is not None and old is not None:
                self._index_put(doc_id, old, None)

    def set_reading(
        self, post_id: str, *, position: int | None = None, is_read: bool | None = None
    ) -> None:
        """Record the reading position and/or read state of a post (no write if unchanged).

        Raises:
            StoreReadOnly, StoreFull, StoreError: nothing was written.
        """

        def apply(data: Data, changed: set[Key]) -> ReadingState | None:
            entry = self._reading.get(post_id)
            old = entry[1] if entry else ReadingState(post_id)
            new = dataclasses.replace(
                old,
                position=old.position if position is None else max(0, int(position)),
                is_read=old.is_read if is_read is None else bool(is_read),
            )
            if entry is not None and new == old:
                return None
            new = dataclasses.replace(new, updated=utc_now_iso())
            table = data.setdefault(READING_TABLE, {})
            doc_id = entry[0] if entry else self._storage.next_doc_id(data, READING_TABLE)
            changed.add((READING_TABLE, doc_id))
            table[doc_id] = {
                "post_id": post_id,
                "position": new.position,
                "is_read": new.is_read,
                "updated": new.updated,
            }
            self._reading[post_id] = (doc_id, new)
            return new

        self._transaction(apply, write_if=lambda result: result is not None)

    def transaction(
        self, fn: Callable[[Data], T], *, write_if: Callable[[T], bool] | None = None
    ) -> T:
        """Run one read-modify-write of the whole store under the inter-process lock.

        ``fn`` receives the freshly read data (the store file with the journal
        replayed; the store's index already reflects it) and mutates it in place; the
        result is then written durably. The store's own methods say which documents
        they changed and append them to the journal; a change made here is unknown, so
        the whole store file is rewritten (after folding the journal into it) and the
        index is rebuilt from the files on the next call.

        Args:
            fn: the change; its return value is returned.
            write_if: when given and false for ``fn``'s result, nothing is written.

        Raises:
            StoreReadOnly: the store could not be parsed.
            StoreFull: no space left; the store is unchanged.
            StoreError: another OS error; the store is unchanged.
        """
        with self._lock:
            result = self._transaction(lambda data, _: fn(data), write_if=write_if, known=False)
            # Unknown changes: re-read and re-validate on the next call.
            self._storage.invalidate()
            self._index_stale()
            return result

    def _transaction(
        self,
        fn: Callable[[Data, set[Key]], T],
        *,
        write_if: Callable[[T], bool] | None = None,
        known: bool = True,
    ) -> T:
        """:meth:`transaction` for the store's own changes, which say what they changed."""
        with self._lock:
            try:
                with file_lock(self.path):
                    self._refresh()
                    if self.read_only:
                        raise StoreReadOnly(self._read_only_message())
                    data, _ = self._storage.load()
                    self._sweep()
                    if not known:
                        self._storage.fold_before_change()
                    changed: set[Key] = set()
                    try:
                        result = fn(data, changed)
                        if write_if is None or write_if(result):
                            exit_fold.wrote(self._absolute)
                            if known:
                                self._storage.append(changed)
                            else:
                                self._storage.replace_all(data)
                    except (AnnotationNotFound, AnnotationExists):
                        raise  # raised before anything was changed
                    except BaseException:
                        # fn or the write may have left the shared copy half-changed:
                        # re-read the files (and rebuild the index) next time.
                        self._storage.invalidate()
                        self._index_stale()
                        raise
                    return result
            except OSError as exc:
                raise _os_error(exc, self.path) from exc

    # -- internals -----------------------------------------------------------------

    def _sweep(self) -> None:
        if not self._swept:
            self._storage.remove_stale_temps()
            self._swept = True

    def _read_only_message(self) -> str:
        reason = self.read_only_reason or "it could not be read"
        return f"the annotation store is read-only, so nothing was saved: {reason}"

    def _refresh(self) -> None:
        """Bring the index up to date with the files (two stats when nothing changed).

        A file that fails to parse switches the store to read-only and keeps the last
        good copy for reads (or, when opening, what could be read before the damage);
        the files' stamps are remembered so they are not re-parsed on every call, and a
        later change to either file (a repair) is picked up again.
        """
        stamps = self._storage.stamps()
        if self.read_only and self._broken_stamps == stamps:
            return
        previous = self._storage.table(ANNOTATIONS_TABLE)
        try:
            data, touched = self._storage.load()
        except StoreCorrupt as exc:
            if exc.partial is not None and not self._index:
                self._rebuild(exc.partial, {})
            self._go_read_only(str(exc), stamps)
            return
        except OSError as exc:
            which = (
                f"the annotation store's journal {self._storage.journal_path}"
                if exc.filename == str(self._storage.journal_path)
                else f"the annotation store {self.path}"
            )
            self._go_read_only(
                f"{which} cannot be read ({exc.strerror}); it is opened read-only.", stamps
            )
            return
        self.read_only, self.read_only_reason, self._broken_stamps = False, None, None
        if touched is None:
            self._rebuild(data, previous)
        elif touched:
            self._replay(data, touched)

    def _go_read_only(self, reason: str, stamps: tuple[Stamp | None, Stamp | None]) -> None:
        self.read_only, self.read_only_reason = True, reason
        self._broken_stamps = stamps

    def _rebuild(
        self, data: Data, previous: dict[str, Any], stale: frozenset[str] = frozenset()
    ) -> None:
        """Validate every document and rebuild the indexes.

        Documents equal to the ones of the previous copy (``previous``, the old
        annotations table) keep their already validated Annotation, unless their doc id
        is in ``stale``.
        """
        known = {doc_id: self._index[ann_id] for ann_id, doc_id in self._doc_ids.items()}
        self._index, self._doc_ids, self._reading, self._problems = {}, {}, {}, {}
        self._duplicates = 0
        table = data.get(ANNOTATIONS_TABLE, {})
        compare = previous is not table
        for doc_id, doc in table.items():
            ann = known.get(doc_id)
            if ann is None or doc_id in stale or (compare and previous.get(doc_id) != doc):
                try:
                    ann = Annotation.from_doc(doc)
                except InvalidDocument as exc:
                    self._problems[ANNOTATIONS_TABLE, doc_id] = (
                        f"annotation document {doc_id}: {exc}"
                    )
                    continue
            if ann.id in self._index:
                self._problems[ANNOTATIONS_TABLE, doc_id] = (
                    f"annotation document {doc_id}: duplicate id {ann.id}."
                )
                self._duplicates += 1
                continue
            self._index[ann.id] = ann
            self._doc_ids[ann.id] = doc_id
        for doc_id, doc in data.get(READING_TABLE, {}).items():
            self._put_reading(doc_id, doc)
        self._derived_stale()
        # Group by post now (a few ms at 10k, beside the validation's hundreds): the
        # first for_post then only sorts that post's few annotations.
        self._grouped()

    def _replay(self, data: Data, touched: Touched) -> None:
        """Update the index for the documents another process's records changed."""
        for (table, doc_id), before in touched.items():
            now = data.get(table, {}).get(doc_id)
            if table == ANNOTATIONS_TABLE and not self._replay_annotation(doc_id, before, now):
                stale = frozenset(d for t, d in touched if t == ANNOTATIONS_TABLE)
                self._rebuild(data, data.get(ANNOTATIONS_TABLE, {}), stale)
                return
            if table == READING_TABLE:
                post_id = before.get("post_id") if isinstance(before, dict) else None
                if isinstance(post_id, str) and self._reading.get(post_id, ("",))[0] == doc_id:
                    del self._reading[post_id]
                self._problems.pop((READING_TABLE, doc_id), None)
                if now is not None:
                    self._put_reading(doc_id, now)

    def _replay_annotation(self, doc_id: str, before: Any, now: Any) -> bool:
        """Re-index one replayed annotation document; False when a full rebuild is due."""
        old_id = before.get("id") if isinstance(before, dict) else None
        old = None
        if isinstance(old_id, str) and self._doc_ids.get(AnnotationId(old_id)) == doc_id:
            old = self._index[AnnotationId(old_id)]
        if self._problems.pop((ANNOTATIONS_TABLE, doc_id), None) is not None or (
            old is not None and self._duplicates
        ):
            return False  # a duplicate may be resolved (or a problem's order matters)
        new = None
        if now is not None:
            try:
                new = Annotation.from_doc(now)
            except InvalidDocument as exc:
                self._problems[ANNOTATIONS_TABLE, doc_id] = f"annotation document {doc_id}: {exc}"
            if new is not None and new.id in self._doc_ids and self._doc_ids[new.id] != doc_id:
                return False  # a duplicate id
        self._index_put(doc_id, old, new)
        return True

    def _put_reading(self, doc_id: str, doc: Any) -> None:
        state = _reading_from_doc(doc)
        if state is None:
            self._problems[READING_TABLE, doc_id] = (
                f"reading document {doc_id} is not a valid reading state."
            )
        else:
            self._reading[state.post_id] = (doc_id, state)

    def _index_stale(self) -> None:
        self._index, self._doc_ids, self._reading = {}, {}, {}
        self._derived_stale()

    def _index_put(self, doc_id: str, old: Annotation | None, new: Annotation | None) -> None:
        """Replace ``old`` (stored at ``doc_id``) by ``new`` in the index and the views."""
        if old is not None and (new is None or new.id != old.id):
            del self._index[old.id], self._doc_ids[old.id]
        if new is not None:
            self._index[new.id] = new
            self._doc_ids[new.id] = doc_id
        if self._sorted is not None:
            if old is not None:
                _remove_sorted(self._sorted, old, _created_order)
            if new is not None:
                bisect.insort(self._sorted, new, key=_created_order)
        if self._by_post is not None:
            if old is not None:
                post_id = old.post.id
                anns = self._by_post.get(post_id, [])
                if post_id in self._sorted_posts:
                    _remove_sorted(anns, old, _text_order)
                else:
                    _remove_same(anns, old)
                if not anns:
                    self._by_post.pop(post_id, None)
                    self._sorted_posts.discard(post_id)
            if new is not None:
                anns = self._by_post.setdefault(new.post.id, [])
                if new.post.id in self._sorted_posts:
                    bisect.insort(anns, new, key=_text_order)
                else:
                    anns.append(new)
        if self._counts is not None:
            for ann, sign in ((old, -1), (new, 1)):
                if ann is None:
                    continue
                notes, total = self._counts.get(ann.post.id, (0, 0))
                notes, total = notes + sign * ann.has_note, total + sign
                if total:
                    self._counts[ann.post.id] = (notes, total)
                else:
                    self._counts.pop(ann.post.id, None)

    def _derived_stale(self) -> None:
        self._sorted, self._by_post, self._counts = None, None, None


def _created_order(ann: Annotation) -> tuple[str, str]:
    return (ann.created, ann.id)


def _text_order(ann: Annotation) -> tuple[int, int, str, str]:
    return (ann.target.start, ann.target.end, ann.created, ann.id)


def _remove_sorted(
    items: list[Annotation], ann: Annotation, key: Callable[[Annotation], Any]
) -> None:
    """Remove ``ann`` (by identity) from ``items``, sorted by ``key``."""
    at = bisect.bisect_left(items, key(ann), key=key)
    while at < len(items) and items[at] is not ann:
        at += 1
    if at < len(items):
        del items[at]
    else:  # not where its key says: look everywhere (it is there at most once)
        _remove_same(items, ann)


def _remove_same(items: list[Annotation], ann: Annotation) -> None:
    """Remove ``ann`` itself (not an equal annotation) from ``items``."""
    for i, item in enumerate(items):
        if item is ann:
            del items[i]
            return


def _reading_from_doc(doc: object) -> ReadingState | None:
    if not isinstance(doc, dict):
        return None
    post_id, position = doc.get("post_id"), doc.get("position", 0)
    is_read, updated = doc.get("is_read", False), doc.get("updated")
    if not isinstance(post_id, str) or not isinstance(is_read, bool):
        return None
    if not isinstance(position, int) or isinstance(position, bool):
        return None
    if updated is not None and not isinstance(updated, str):
        return None
    return ReadingState(post_id, position, is_read, updated)


def _clean_tags(tags: Sequence[str]) -> tuple[str, ...]:
    """Strip, drop empties and duplicates, keep the order given."""
    seen: dict[str, None] = {}
    for tag in tags:
        tag = tag.strip()
        if tag:
            seen.setdefault(tag, None)
    return tuple(seen)


def _check_color(color: str) -> None:
    if color not in COLORS:
        raise ValueError(f"unknown color {color!r}; choose one of {', '.join(COLORS)}.")


def _os_error(exc: OSError, path: Path, *, folding: bool = False) -> StoreError:
    if exc.errno in FULL_ERRNOS:
        if folding:
            return StoreFull(
                f"the disk holding {path} is full, so its journal could not be folded into"
                " it; the store file is unchanged and the journal still holds every change."
            )
        return StoreFull(
            f"the disk holding {path} is full, so nothing was saved; the store is unchanged."
        )
    reason = exc.strerror or str(exc)
    return StoreError(f"the annotation store {path} could not be written ({reason}).")
