"""The annotation store: a plain TinyDB JSON file with durable, locked writes.

The file stays what ``tinydb.TinyDB(path)`` reads::

    {"annotations": {"1": {...}, "2": {...}}, "reading": {"1": {...}}}

but every change goes through :meth:`AnnotationStore.transaction`: take the lock file
beside the store, re-read the file if another process changed it, apply the change,
and write a new file durably (temp + fsync + rename + folder fsync). TinyDB's own
``Table`` keeps caches (the next doc id, query results) that go stale when another
process writes, so the store uses TinyDB only as the file format; :class:`DurableStorage`
is still a real TinyDB ``Storage`` for anyone who wants TinyDB queries over the file.

An in-memory copy of the file (and an index of validated annotations) answers reads;
it is trusted only while the file's (inode, size, mtime_ns) are those it was read from.
"""

from __future__ import annotations

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

from annotations.durable import FULL_ERRNOS, atomic_write_chunks, file_lock
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

Data = dict[str, Any]
"""The whole decoded file: table name -> {doc id string -> document}."""

Stamp = tuple[int, int, int]
"""(st_ino, st_size, st_mtime_ns): identifies the file version an in-memory copy holds."""


class StoreError(Exception):
    """Base of the store's errors; ``str()`` is one sentence for the user."""


class StoreCorrupt(StoreError):
    """The store file cannot be parsed; it is left untouched."""


class StoreReadOnly(StoreError):
    """A write was asked of a store opened read-only (it could not be parsed)."""


class StoreFull(StoreError):
    """The disk or quota is full; the store file is unchanged."""


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


class DurableStorage(Storage):
    """A TinyDB storage over one JSON file, written durably and parsed with orjson.

    ``TinyDB(path, storage=DurableStorage)`` works, but TinyDB's read and write are two
    separate calls, so only :meth:`AnnotationStore.transaction` makes a change atomic
    against other processes.
    """

    def __init__(self, path: str | os.PathLike[str], **_: Any) -> None:
        """Open (not create) the store file at ``path``."""
        self.path = Path(path)
        self._data: Data | None = None
        self._stamp: Stamp | None = None
        self._mode = 0o600
        self._pin_fd: int | None = None
        self._doc_bytes: dict[str, _TableBytes] | None = None
        """Per table, each document serialized as last written (None: not tracked)."""
        self._next_ids: dict[str, int] = {}
        """Per table, the next free TinyDB doc id (valid for the current copy)."""

    def current_stamp(self) -> Stamp | None:
        """The file's identity now, or None when it does not exist."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def load(self) -> tuple[Data, bool]:
        """The file's data, re-read only when the file changed.

        Returns:
            (data, changed): the shared in-memory copy (callers inside a transaction may
            mutate it) and whether it was just (re)read.

        Raises:
            StoreCorrupt: the file is not valid JSON or not shaped like a TinyDB file.
            OSError: the file cannot be read.
        """
        stamp = self.current_stamp()
        if self._data is not None and stamp == self._stamp:
            return self._data, False
        if stamp is None:
            self._data, self._stamp = {}, None
            return self._data, True
        with open(self.path, "rb") as handle:
            st = os.fstat(handle.fileno())
            raw = handle.read()
        self._mode = stat.S_IMODE(st.st_mode)
        self._data = parse_store(raw, self.path)
        self._doc_bytes, self._next_ids = {}, {}
        self._stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
        self._pin()
        return self._data, True

    def next_doc_id(self, data: Data, table: str) -> str:
        """TinyDB's rule for a new doc id: one more than the largest integer id."""
        if table not in self._next_ids:
            keys = data.get(table, {})
            self._next_ids[table] = max((int(k) for k in keys if k.isdigit()), default=0) + 1
        doc_id = self._next_ids[table]
        self._next_ids[table] = doc_id + 1
        return str(doc_id)

    def serialize(self, data: Data, changed: set[tuple[str, str]] | None) -> list[bytes]:
        """The file's bytes in pieces, exactly ``orjson.dumps(data)`` once joined.

        With ``changed`` (the (table, doc id) pairs written since the last commit), only
        those documents are serialized again and the rest reused: at 10k annotations
        one ``orjson.dumps`` of the whole file is most of a write's cost.
        """
        if changed is None or self._doc_bytes is None:
            self._doc_bytes = None
            return [orjson.dumps(data)]
        # Pieces joined once by the writer: every `a + b` of 10 MB pieces would copy them.
        pieces: list[bytes] = [b"{"]
        for number, (name, table) in enumerate(data.items()):
            cached = self._doc_bytes.get(name)
            if cached is None or not cached.apply(table, name, changed):
                cached = self._doc_bytes[name] = _TableBytes(table)
            pieces.append(b"," if number else b"")
            pieces.append(orjson.dumps(name) + b":{")
            pieces.extend(_interleave(cached.items))
            pieces.append(b"}")
        pieces.append(b"}")
        return pieces

    def commit(self, data: Data, changed: set[tuple[str, str]] | None = None) -> None:
        """Write ``data`` durably and remember it as the current copy (caller holds the lock).

        Args:
            data: the whole file's content.
            changed: the (table, doc id) pairs changed since the last commit or load, or
                None when unknown (everything is serialized again).

        Raises:
            OSError: the write failed; the file on disk is unchanged.
        """
        try:
            atomic_write_chunks(self.path, self.serialize(data, changed), mode=self._mode)
        except BaseException:
            self.invalidate()
            raise
        self._data = data
        self._stamp = self.current_stamp()
        self._pin()

    def _pin(self) -> None:
        """Keep the file version we hold open, so its inode number cannot be reused.

        The (inode, size, mtime_ns) stamp could otherwise match a later file that got
        the same recycled inode, the same size and a timestamp in the same clock tick.
        """
        old, self._pin_fd = self._pin_fd, None
        if old is not None:
            os.close(old)
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return
        if os.fstat(fd).st_ino == (self._stamp or (None,))[0]:
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
        """Forget the in-memory copy so the next load re-reads the file."""
        self._data, self._stamp = None, None
        self._doc_bytes, self._next_ids = None, {}

    def read(self) -> Data | None:
        """TinyDB's read: a private copy, since TinyDB mutates what it is given."""
        data, _ = self.load()
        return orjson.loads(orjson.dumps(data)) if data else None

    def write(self, data: Data) -> None:
        """TinyDB's write: durable and under the lock (but not atomic with the read)."""
        with file_lock(self.path):
            self.commit(data)


class _TableBytes:
    """One table's documents serialized as ``"key":{...}``, in the table's order."""

    def __init__(self, table: dict[str, Any]) -> None:
        self.keys = list(table)
        self.items = [orjson.dumps(key) + b":" + orjson.dumps(doc) for key, doc in table.items()]
        self.positions = {key: i for i, key in enumerate(self.keys)}

    def apply(self, table: dict[str, Any], name: str, changed: set[tuple[str, str]]) -> bool:
        """Bring the cache up to date with ``table``; False if it cannot be trusted."""
        for changed_table, key in changed:
            if changed_table != name:
                continue
            at = self.positions.get(key)
            if key in table:
                item = orjson.dumps(key) + b":" + orjson.dumps(table[key])
                if at is None:  # a new document goes last, as in the dict
                    self.positions[key] = len(self.keys)
                    self.keys.append(key)
                    self.items.append(item)
                else:
                    self.items[at] = item
            elif at is not None:
                del self.keys[at], self.items[at]
                self.positions = {k: i for i, k in enumerate(self.keys)}
        # A cheap guard against a change nobody reported: same size, same ends.
        return len(self.keys) == len(table) and (
            not self.keys
            or (next(iter(table)) == self.keys[0] and next(reversed(table)) == self.keys[-1])
        )


def _interleave(items: list[bytes]) -> list[bytes]:
    """``items`` with a comma between each two, ready for one ``b"".join``."""
    out = [b","] * (2 * len(items) - 1) if items else []
    out[::2] = items
    return out


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

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Open the store at ``path`` (created on the first write, with mode 0600)."""
        self.path = Path(path)
        self.read_only = False
        """True when the file could not be read or parsed: writes raise StoreReadOnly."""
        self.read_only_reason: str | None = None
        """One sentence saying why the store is read-only."""
        self._storage = DurableStorage(self.path)
        self._lock = threading.RLock()
        self._index: dict[AnnotationId, Annotation] = {}
        self._doc_ids: dict[AnnotationId, str] = {}
        self._reading: dict[str, tuple[str, ReadingState]] = {}
        self._problems: list[str] = []
        self._sorted: list[Annotation] | None = None
        self._by_post: dict[str, list[Annotation]] | None = None
        self._counts: dict[str, tuple[int, int]] | None = None
        self._broken_stamp: Stamp | None = None
        self._swept = False
        self._refresh()

    def close(self) -> None:
        """Release the file descriptor the store keeps on the file version it holds."""
        with self._lock:
            self._storage.close()

    # -- reads ---------------------------------------------------------------------

    @property
    def problems(self) -> list[str]:
        """One sentence per stored document that failed validation (kept on disk)."""
        with self._lock:
            self._refresh()
            return list(self._problems)

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
                self._sorted = sorted(self._index.values(), key=lambda a: (a.created, a.id))
            return list(self._sorted)

    def for_post(self, post_id: str) -> list[Annotation]:
        """The post's annotations in text order."""
        with self._lock:
            self._refresh()
            if self._by_post is None:
                by_post: dict[str, list[Annotation]] = {}
                for ann in self._index.values():
                    by_post.setdefault(ann.post.id, []).append(ann)
                for anns in by_post.values():
                    anns.sort(key=lambda a: (a.target.start, a.target.end, a.created))
                self._by_post = by_post
            return list(self._by_post.get(post_id, ()))

    def post_counts(self) -> dict[str, tuple[int, int]]:
        """Post id -> (annotations with a note, all annotations)."""
        with self._lock:
            self._refresh()
            if self._counts is None:
                counts: dict[str, tuple[int, int]] = {}
                for ann in self._index.values():
                    notes, total = counts.get(ann.post.id, (0, 0))
                    counts[ann.post.id] = (notes + ann.has_note, total + 1)
                self._counts = counts
            return dict(self._counts)

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
    ) -> Annotation:
        """Add an annotation and return it.

        Raises:
            ValueError: ``color`` is not in COLORS.
            StoreReadOnly, StoreFull, StoreError: nothing was written.
        """
        _check_color(color)
        now = utc_now_iso()
        ann = Annotation(
            id=AnnotationId(str(uuid.uuid4())),
            post=post,
            target=target,
            note=note,
            tags=_clean_tags(tags),
            color=color,
            created=now,
            updated=now,
        )
        doc = ann.to_doc()

        def apply(data: Data, changed: set[tuple[str, str]]) -> str:
            table = data.setdefault(ANNOTATIONS_TABLE, {})
            doc_id = self._storage.next_doc_id(data, ANNOTATIONS_TABLE)
            table[doc_id] = doc
            changed.add((ANNOTATIONS_TABLE, doc_id))
            return doc_id

        doc_id = self._transaction(apply)
        with self._lock:
            self._put(doc_id, ann)
        return ann

    def update(
        self,
        ann_id: str,
        *,
        note: str | None = None,
        tags: Sequence[str] | None = None,
        color: str | None = None,
        target: Target | None = None,
    ) -> Annotation:
        """Change an annotation's note, tags, color or target; return the new version.

        Fields left as None keep their value; unknown fields in the stored document
        (written by a newer postil) are kept.

        Raises:
            AnnotationNotFound: no annotation has this id.
            ValueError: ``color`` is not in COLORS.
            StoreReadOnly, StoreFull, StoreError: nothing was written.
        """
        if color is not None:
            _check_color(color)

        def apply(data: Data, changed: set[tuple[str, str]]) -> tuple[str, Annotation]:
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
                updated=utc_now_iso(),
            )
            data[ANNOTATIONS_TABLE][doc_id].update(new.to_doc())
            changed.add((ANNOTATIONS_TABLE, doc_id))
            return doc_id, new

        doc_id, new = self._transaction(apply)
        with self._lock:
            self._put(doc_id, new)
        return new

    def delete(self, ann_id: str) -> None:
        """Remove an annotation (nothing happens when it is already gone).

        Raises:
            StoreReadOnly, StoreFull, StoreError: nothing was written.
        """

        def apply(data: Data, changed: set[tuple[str, str]]) -> bool:
            doc_id = self._doc_ids.get(AnnotationId(ann_id))
            if doc_id is None:
                return False
            del data[ANNOTATIONS_TABLE][doc_id]
            changed.add((ANNOTATIONS_TABLE, doc_id))
            return True

        with self._lock:
            if self._transaction(apply, write_if=bool):
                self._index.pop(AnnotationId(ann_id), None)
                self._doc_ids.pop(AnnotationId(ann_id), None)
                self._changed()

    def set_reading(
        self, post_id: str, *, position: int | None = None, is_read: bool | None = None
    ) -> None:
        """Record the reading position and/or read state of a post (no write if unchanged).

        Raises:
            StoreReadOnly, StoreFull, StoreError: nothing was written.
        """

        def apply(data: Data, changed: set[tuple[str, str]]) -> ReadingState | None:
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
        """Run one read-modify-write of the whole file under the inter-process lock.

        ``fn`` receives the freshly read data (the store's index already reflects it)
        and mutates it in place; the result is then written durably. The store's own
        methods use this too; after a custom change the index is rebuilt from the file.

        Args:
            fn: the change; its return value is returned.
            write_if: when given and false for ``fn``'s result, nothing is written.

        Raises:
            StoreReadOnly: the store could not be parsed.
            StoreFull: no space left; the file is unchanged.
            StoreError: another OS error; the file is unchanged.
        """
        with self._lock:
            result = self._transaction(lambda data, _: fn(data), write_if=write_if, known=False)
            # Unknown changes: re-read and re-validate on the next call.
            self._storage.invalidate()
            self._index_stale()
            return result

    def _transaction(
        self,
        fn: Callable[[Data, set[tuple[str, str]]], T],
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
                    if not self._swept:
                        self._storage.remove_stale_temps()
                        self._swept = True
                    changed: set[tuple[str, str]] = set()
                    try:
                        result = fn(data, changed)
                        if write_if is None or write_if(result):
                            self._storage.commit(data, changed if known else None)
                    except AnnotationNotFound:
                        raise  # raised before anything was changed
                    except BaseException:
                        # fn or the write may have left the shared copy half-changed:
                        # re-read the file (and rebuild the index) next time.
                        self._storage.invalidate()
                        self._index_stale()
                        raise
                    return result
            except OSError as exc:
                raise _os_error(exc, self.path) from exc

    # -- internals -----------------------------------------------------------------

    def _read_only_message(self) -> str:
        reason = self.read_only_reason or "it could not be read"
        return f"the annotation store is read-only, so nothing was saved: {reason}"

    def _refresh(self) -> None:
        """Re-read the file if it changed (cheap stat otherwise); caller holds the lock.

        A file that fails to parse switches the store to read-only and keeps the last
        good copy for reads; its stamp is remembered so it is not re-parsed on every
        call, and a later change to the file (a repair) is picked up again.
        """
        if (
            self.read_only
            and self._broken_stamp is not None
            and (self._storage.current_stamp() == self._broken_stamp)
        ):
            return
        stamp = self._storage.current_stamp()
        previous = (self._storage._data or {}).get(ANNOTATIONS_TABLE, {})
        try:
            data, changed = self._storage.load()
        except StoreCorrupt as exc:
            self._go_read_only(str(exc), stamp)
            return
        except OSError as exc:
            self._go_read_only(
                f"the annotation store {self.path} cannot be read ({exc.strerror});"
                " it is opened read-only.",
                stamp,
            )
            return
        self.read_only, self.read_only_reason, self._broken_stamp = False, None, None
        if changed:
            self._rebuild(data, previous)

    def _go_read_only(self, reason: str, stamp: Stamp | None) -> None:
        self.read_only, self.read_only_reason = True, reason
        self._broken_stamp = stamp

    def _rebuild(self, data: Data, previous: dict[str, Any]) -> None:
        """Validate every document and rebuild the indexes.

        Documents equal to the ones of the previous copy (``previous``, the old
        annotations table) keep their already validated Annotation: another process's
        write usually changes one document of thousands.
        """
        known = {doc_id: self._index[ann_id] for ann_id, doc_id in self._doc_ids.items()}
        self._index, self._doc_ids, self._reading, self._problems = {}, {}, {}, []
        for doc_id, doc in data.get(ANNOTATIONS_TABLE, {}).items():
            ann = known.get(doc_id)
            if ann is None or previous.get(doc_id) != doc:
                try:
                    ann = Annotation.from_doc(doc)
                except InvalidDocument as exc:
                    self._problems.append(f"annotation document {doc_id}: {exc}")
                    continue
            if ann.id in self._index:
                self._problems.append(f"annotation document {doc_id}: duplicate id {ann.id}.")
                continue
            self._index[ann.id] = ann
            self._doc_ids[ann.id] = doc_id
        for doc_id, doc in data.get(READING_TABLE, {}).items():
            state = _reading_from_doc(doc)
            if state is None:
                self._problems.append(f"reading document {doc_id} is not a valid reading state.")
            else:
                self._reading[state.post_id] = (doc_id, state)
        self._changed()

    def _index_stale(self) -> None:
        self._index, self._doc_ids, self._reading = {}, {}, {}
        self._changed()

    def _put(self, doc_id: str, ann: Annotation) -> None:
        self._index[ann.id] = ann
        self._doc_ids[ann.id] = doc_id
        self._changed()

    def _changed(self) -> None:
        self._sorted, self._by_post, self._counts = None, None, None


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


def _os_error(exc: OSError, path: Path) -> StoreError:
    if exc.errno in FULL_ERRNOS:
        return StoreFull(
            f"the disk holding {path} is full, so nothing was saved; the store is unchanged."
        )
    reason = exc.strerror or str(exc)
    return StoreError(f"the annotation store {path} could not be written ({reason}).")
