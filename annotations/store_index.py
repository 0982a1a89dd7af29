"""The in-memory index of an annotation store's documents, and the views derived from it.

The store validates each document once and keeps the result here: the annotations by
id, their TinyDB doc ids, the reading states by post, and a sentence per document that
failed validation. The views the app asks for often (every annotation oldest first, a
post's annotations in text order, the counts per post) are derived on first use and
then kept up to date change by change, never rebuilt after a write.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Any

from annotations.model import Annotation, AnnotationId, InvalidDocument, ReadingState
from annotations.storage import ANNOTATIONS_TABLE, READING_TABLE, Data, Key, Touched


class StoreIndex:
    """Validated annotations and reading states of one store, with their derived views.

    Not thread-safe on its own: :class:`annotations.store.AnnotationStore` holds its lock
    around every call.
    """

    def __init__(self) -> None:
        self.annotations: dict[AnnotationId, Annotation] = {}
        """Every valid annotation, by id."""
        self.doc_ids: dict[AnnotationId, str] = {}
        """The TinyDB doc id each annotation is stored under."""
        self.reading: dict[str, tuple[str, ReadingState]] = {}
        """Post id -> (doc id, reading state)."""
        self.problems: dict[Key, str] = {}
        """One sentence per document that failed validation (kept in the file as it is)."""
        self._duplicates = 0
        """How many of the problems are duplicate ids (their fix needs a full rebuild)."""
        self._sorted: list[Annotation] | None = None
        self._by_post: dict[str, list[Annotation]] | None = None
        """Post id -> its annotations; a post's list is sorted on its first for_post."""
        self._sorted_posts: set[str] = set()
        """The posts whose list in ``_by_post`` is in text order."""
        self._counts: dict[str, tuple[int, int]] | None = None

    # -- views -------------------------------------------------------------------------

    def all(self) -> list[Annotation]:
        """Every valid annotation, oldest first."""
        if self._sorted is None:
            self._sorted = sorted(self.annotations.values(), key=_created_order)
        return list(self._sorted)

    def for_post(self, post_id: str) -> list[Annotation]:
        """The post's annotations in text order."""
        anns = self._grouped().get(post_id)
        if not anns:
            return []
        if post_id not in self._sorted_posts:
            anns.sort(key=_text_order)
            self._sorted_posts.add(post_id)
        return list(anns)

    def post_counts(self) -> dict[str, tuple[int, int]]:
        """Post id -> (annotations with a note, all annotations)."""
        if self._counts is None:
            # ``ann.has_note``, inlined: a property call per annotation costs twice as much.
            self._counts = {
                post_id: (len([ann for ann in anns if ann.note.strip()]), len(anns))
                for post_id, anns in self._grouped().items()
            }
        return dict(self._counts)

    def read_post_ids(self) -> set[str]:
        """Ids of the posts marked read."""
        return {pid for pid, (_, state) in self.reading.items() if state.is_read}

    def _grouped(self) -> dict[str, list[Annotation]]:
        """The annotations grouped by post (each post's list sorted on demand)."""
        if self._by_post is None:
            by_post: dict[str, list[Annotation]] = {}
            for ann in self.annotations.values():
                post_id = ann.post.id
                anns = by_post.get(post_id)
                if anns is None:
                    by_post[post_id] = [ann]
                else:
                    anns.append(ann)
            self._by_post, self._sorted_posts = by_post, set()
        return self._by_post

    # -- keeping up with the files -------------------------------------------------------

    def clear(self) -> None:
        """Forget everything (the files are read again and the index rebuilt next time)."""
        self.annotations, self.doc_ids, self.reading = {}, {}, {}
        self._derived_stale()

    def rebuild(
        self, data: Data, previous: dict[str, Any], stale: frozenset[str] = frozenset()
    ) -> None:
        """Validate every document and rebuild the indexes.

        Documents equal to the ones of the previous copy (``previous``, the old
        annotations table) keep their already validated Annotation, unless their doc id
        is in ``stale``.
        """
        known = {doc_id: self.annotations[ann_id] for ann_id, doc_id in self.doc_ids.items()}
        self.annotations, self.doc_ids, self.reading, self.problems = {}, {}, {}, {}
        self._duplicates = 0
        table = data.get(ANNOTATIONS_TABLE, {})
        compare = previous is not table
        for doc_id, doc in table.items():
            ann = known.get(doc_id)
            if ann is None or doc_id in stale or (compare and previous.get(doc_id) != doc):
                try:
                    ann = Annotation.from_doc(doc)
                except InvalidDocument as exc:
                    self.problems[ANNOTATIONS_TABLE, doc_id] = (
                        f"annotation document {doc_id}: {exc}"
                    )
                    continue
            if ann.id in self.annotations:
                self.problems[ANNOTATIONS_TABLE, doc_id] = (
                    f"annotation document {doc_id}: duplicate id {ann.id}."
                )
                self._duplicates += 1
                continue
            self.annotations[ann.id] = ann
            self.doc_ids[ann.id] = doc_id
        for doc_id, doc in data.get(READING_TABLE, {}).items():
            self._put_reading(doc_id, doc)
        self._derived_stale()
        # Group by post now (little beside the validation): the first for_post then
        # only sorts that post's few annotations.
        self._grouped()

    def replay(self, data: Data, touched: Touched) -> None:
        """Update the index for the documents another process's records changed."""
        for (table, doc_id), before in touched.items():
            now = data.get(table, {}).get(doc_id)
            if table == ANNOTATIONS_TABLE and not self._replay_annotation(doc_id, before, now):
                stale = frozenset(d for t, d in touched if t == ANNOTATIONS_TABLE)
                self.rebuild(data, data.get(ANNOTATIONS_TABLE, {}), stale)
                return
            if table == READING_TABLE:
                post_id = before.get("post_id") if isinstance(before, dict) else None
                if isinstance(post_id, str) and self.reading.get(post_id, ("",))[0] == doc_id:
                    del self.reading[post_id]
                self.problems.pop((READING_TABLE, doc_id), None)
                if now is not None:
                    self._put_reading(doc_id, now)

    def _replay_annotation(self, doc_id: str, before: Any, now: Any) -> bool:
        """Re-index one replayed annotation document; False when a full rebuild is due."""
        old_id = before.get("id") if isinstance(before, dict) else None
        old = None
        if isinstance(old_id, str) and self.doc_ids.get(AnnotationId(old_id)) == doc_id:
            old = self.annotations[AnnotationId(old_id)]
        if self.problems.pop((ANNOTATIONS_TABLE, doc_id), None) is not None or (
            old is not None and self._duplicates
        ):
            return False  # a duplicate may be resolved (or a problem's order matters)
        new = None
        if now is not None:
            try:
                new = Annotation.from_doc(now)
            except InvalidDocument as exc:
                self.problems[ANNOTATIONS_TABLE, doc_id] = f"annotation document {doc_id}: {exc}"
            if new is not None and new.id in self.doc_ids and self.doc_ids[new.id] != doc_id:
                return False  # a duplicate id
        self.put(doc_id, old, new)
        return True

    def _put_reading(self, doc_id: str, doc: Any) -> None:
        state = ReadingState.from_doc(doc)
        if state is None:
            self.problems[READING_TABLE, doc_id] = (
                f"reading document {doc_id} is not a valid reading state."
            )
        else:
            self.reading[state.post_id] = (doc_id, state)

    # -- one change ------------------------------------------------------------------------

    def put(self, doc_id: str, old: Annotation | None, new: Annotation | None) -> None:
        """Replace ``old`` (stored at ``doc_id``) by ``new`` in the index and the views."""
        if old is not None and (new is None or new.id != old.id):
            del self.annotations[old.id], self.doc_ids[old.id]
        if new is not None:
            self.annotations[new.id] = new
            self.doc_ids[new.id] = doc_id
        if self._sorted is not None:
            if old is not None:
                _remove_sorted(self._sorted, old, _created_order)
            if new is not None:
                bisect.insort(self._sorted, new, key=_created_order)
        if self._by_post is not None:
            self._put_by_post(old, new)
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

    def _put_by_post(self, old: Annotation | None, new: Annotation | None) -> None:
        """`put` for the per-post lists."""
        assert self._by_post is not None
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

    def put_reading(self, doc_id: str, state: ReadingState) -> None:
        """Record a reading state just written at ``doc_id``."""
        self.reading[state.post_id] = (doc_id, state)

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
