"""The annotation store: the user's highlights, notes and reading state, in one TinyDB file.

Every change goes through :meth:`AnnotationStore.transaction`: take the lock file beside
the store, bring the in-memory copy up to date with the files (the store file and its
journal: :mod:`annotations.storage`), apply the change, and append it to the journal,
fsynced before the write returns. TinyDB's own ``Table`` keeps caches (the next doc id,
query results) that go stale when another process writes, so the store uses TinyDB only
as the file format; reads are answered by an index of the validated documents and its
derived views (:mod:`annotations.store_index`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from annotations import exit_fold
from annotations.durable import file_lock
from annotations.errors import (
    AnnotationExists,
    AnnotationNotFound,
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreReadOnly,
    os_error,
)
from annotations.journal import Stamp
from annotations.model import (
    COLORS,
    Annotation,
    AnnotationId,
    PostSnapshot,
    ReadingState,
    Target,
    utc_now_iso,
)
from annotations.storage import (
    ANNOTATIONS_TABLE,
    DEFAULT_JOURNAL_LIMIT,
    READING_TABLE,
    Data,
    DurableStorage,
    Key,
    parse_store,
    stamp_of,
)
from annotations.store_index import StoreIndex

__all__ = [
    "ANNOTATIONS_TABLE",
    "DEFAULT_JOURNAL_LIMIT",
    "READING_TABLE",
    "AnnotationExists",
    "AnnotationNotFound",
    "AnnotationStore",
    "DurableStorage",
    "ReadingState",
    "StoreCorrupt",
    "StoreError",
    "StoreFull",
    "StoreReadOnly",
    "parse_store",
]

T = TypeVar("T")


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
        self._index = StoreIndex()
        """The validated documents and the views derived from them."""
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
                journal_now = stamp_of(self._storage.journal_path)
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
                raise os_error(exc, self.path, folding=True) from exc

    # -- reads ---------------------------------------------------------------------

    @property
    def problems(self) -> list[str]:
        """One sentence per stored document that failed validation (kept on disk)."""
        with self._lock:
            self._refresh()
            return list(self._index.problems.values())

    def get(self, ann_id: str) -> Annotation | None:
        """The annotation with this id, or None."""
        with self._lock:
            self._refresh()
            return self._index.annotations.get(AnnotationId(ann_id))

    def all(self) -> list[Annotation]:
        """Every valid annotation, oldest first."""
        with self._lock:
            self._refresh()
            return self._index.all()

    def for_post(self, post_id: str) -> list[Annotation]:
        """The post's annotations in text order."""
        with self._lock:
            self._refresh()
            return self._index.for_post(post_id)

    def post_counts(self) -> dict[str, tuple[int, int]]:
        """Post id -> (annotations with a note, all annotations)."""
        with self._lock:
            self._refresh()
            return self._index.post_counts()

    def reading(self, post_id: str) -> ReadingState:
        """The post's reading state (position 0, unread when never recorded)."""
        with self._lock:
            self._refresh()
            entry = self._index.reading.get(post_id)
            return entry[1] if entry else ReadingState(post_id)

    def read_post_ids(self) -> set[str]:
        """Ids of the posts marked read."""
        with self._lock:
            self._refresh()
            return self._index.read_post_ids()

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
            if ann.id in self._index.annotations:
                raise AnnotationExists(f"an annotation already has the id {ann.id}.")
            table = data.setdefault(ANNOTATIONS_TABLE, {})
            doc_id = self._storage.next_doc_id(data, ANNOTATIONS_TABLE)
            table[doc_id] = doc
            changed.add((ANNOTATIONS_TABLE, doc_id))
            return doc_id

        with self._lock:
            doc_id = self._transaction(apply)
            self._index.put(doc_id, None, ann)
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
            old = self._index.annotations.get(key)
            doc_id = self._index.doc_ids.get(key)
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
            self._index.put(doc_id, old, new)
        return new

    def delete(self, ann_id: str) -> None:
        """Remove an annotation (nothing happens when it is already gone).

        Raises:
            StoreReadOnly, StoreFull, StoreError: nothing was written.
        """

        def apply(data: Data, changed: set[Key]) -> str | None:
            doc_id = self._index.doc_ids.get(AnnotationId(ann_id))
            if doc_id is None:
                return None
            del data[ANNOTATIONS_TABLE][doc_id]
            changed.add((ANNOTATIONS_TABLE, doc_id))
            return doc_id

        with self._lock:
            doc_id = self._transaction(apply, write_if=lambda result: result is not None)
            old = self._index.annotations.get(AnnotationId(ann_id))
            if doc_id is not None and old is not None:
                self._index.put(doc_id, old, None)

    def set_reading(
        self, post_id: str, *, position: int | None = None, is_read: bool | None = None
    ) -> None:
        """Record the reading position and/or read state of a post (no write if unchanged).

        Raises:
            StoreReadOnly, StoreFull, StoreError: nothing was written.
        """

        def apply(data: Data, changed: set[Key]) -> ReadingState | None:
            entry = self._index.reading.get(post_id)
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
            table[doc_id] = new.to_doc()
            self._index.put_reading(doc_id, new)
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
            self._index.clear()
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
                        self._index.clear()
                        raise
                    return result
            except OSError as exc:
                raise os_error(exc, self.path) from exc

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
            if exc.partial is not None and not self._index.annotations:
                self._index.rebuild(exc.partial, {})
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
            self._index.rebuild(data, previous)
        elif touched:
            self._index.replay(data, touched)

    def _go_read_only(self, reason: str, stamps: tuple[Stamp | None, Stamp | None]) -> None:
        self.read_only, self.read_only_reason = True, reason
        self._broken_stamps = stamps


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
