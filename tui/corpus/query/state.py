"""The reading and annotation state the ``has:``, ``is:``, ``note:`` and ``quote:`` terms ask.

:class:`PostState` is what an evaluator asks about a post; :class:`Marks` is the one the
app and the CLI read from the annotation store (:meth:`Marks.read_from`), which also
knows each post's annotations (:class:`AnnotationTexts`) for ``note:`` and ``quote:``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tui.corpus.textmatch import fold as text_fold


class PostState(Protocol):
    """Per-post annotation and reading state the ``has:`` and ``is:`` terms ask about."""

    def is_read(self, post_id: str) -> bool:
        """Whether the post is marked read."""
        ...

    def has_notes(self, post_id: str) -> bool:
        """Whether the post has at least one annotation with a note."""
        ...

    def has_highlights(self, post_id: str) -> bool:
        """Whether the post has at least one annotation."""
        ...


class _EmptyState:
    """A state with no reading marks and no annotations."""

    def is_read(self, post_id: str) -> bool:
        return False

    def has_notes(self, post_id: str) -> bool:
        return False

    def has_highlights(self, post_id: str) -> bool:
        return False


EMPTY_STATE: PostState = _EmptyState()
"""No post is read or annotated: ``is:read``/``has:…`` match nothing, ``is:unread`` all."""


class AnnotationTexts(Protocol):
    """A state that also knows each post's annotations, for ``note:`` and ``quote:``."""

    def annotation_texts(self, post_id: str) -> Sequence[tuple[str, str]]:
        """(folded note, folded quote) of each of the post's annotations."""
        ...

    def annotated_ids(self) -> Iterable[str]:
        """Ids of the posts with annotations."""
        ...


class MarkSource(Protocol):
    """Where reading marks and annotation counts come from (the annotation store)."""

    def read_post_ids(self) -> set[str]:
        """Ids of the posts marked read."""
        ...

    def post_counts(self) -> dict[str, tuple[int, int]]:
        """Post id -> (annotations with notes, all annotations)."""
        ...

    def all(self) -> Sequence[AnnotationLike]:
        """Every annotation."""
        ...


class _SnapshotLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def author(self) -> str: ...
    @property
    def tags(self) -> Sequence[str]: ...
    @property
    def source(self) -> str | None: ...
    @property
    def date(self) -> str | None: ...


class _TargetLike(Protocol):
    @property
    def exact(self) -> str: ...


class AnnotationLike(Protocol):
    """The attributes of ``annotations.model.Annotation`` the annotation query reads."""

    @property
    def post(self) -> _SnapshotLike:
        """The snapshot of the annotated post."""
        ...

    @property
    def note(self) -> str:
        """The note (empty for a plain highlight)."""
        ...

    @property
    def tags(self) -> Sequence[str]:
        """The annotation's own tags."""
        ...

    @property
    def color(self) -> str:
        """The highlight colour name."""
        ...

    @property
    def target(self) -> _TargetLike:
        """The quote selector; ``exact`` is the quoted text."""
        ...


@dataclass
class Marks:
    """Reading and annotation state per post: a ``PostState`` and the library's marks."""

    read: set[str] = field(default_factory=set)
    """Ids of posts marked read."""
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Post id -> (annotations with notes, all annotations)."""
    annotations: Sequence[AnnotationLike] = ()
    """Every annotation, for ``note:`` and ``quote:`` (folded by post when first asked)."""
    _folded: dict[str, list[tuple[str, str]]] | None = field(
        default=None, repr=False, compare=False
    )

    def annotation_texts(self, post_id: str) -> Sequence[tuple[str, str]]:
        """(folded note, folded quote) of each of the post's annotations."""
        return self._texts().get(post_id, ())

    def annotated_ids(self) -> Iterable[str]:
        """Ids of the posts with annotations."""
        return self._texts().keys()

    def _texts(self) -> dict[str, list[tuple[str, str]]]:
        """Post id -> folded (note, quote) pairs, folded on first need (not when the
        marks are read: the library reads them after every change, and only these terms
        need the texts)."""
        if self._folded is None:
            grouped: dict[str, list[tuple[str, str]]] = {}
            for ann in self.annotations:
                pair = (text_fold(ann.note), text_fold(ann.target.exact))
                grouped.setdefault(ann.post.id, []).append(pair)
            self._folded = grouped
        return self._folded

    def is_read(self, post_id: str) -> bool:
        """Whether the post was marked read."""
        return post_id in self.read

    def has_notes(self, post_id: str) -> bool:
        """Whether the post has an annotation with a note."""
        return self.counts.get(post_id, (0, 0))[0] > 0

    def has_highlights(self, post_id: str) -> bool:
        """Whether the post has any annotation (a note is a highlight too)."""
        return self.counts.get(post_id, (0, 0))[1] > 0

    def noted_ids(self) -> set[str]:
        """Ids of the posts with an annotation with a note."""
        return {post_id for post_id, (notes, _) in self.counts.items() if notes > 0}

    def highlighted_ids(self) -> set[str]:
        """Ids of the posts with any annotation."""
        return {post_id for post_id, (_, anns) in self.counts.items() if anns > 0}

    @classmethod
    def read_from(cls, store: MarkSource) -> Marks:
        """Read the marks from ``store`` (blocking: call from a worker)."""
        return cls(read=store.read_post_ids(), counts=store.post_counts(), annotations=store.all())
