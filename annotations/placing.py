"""The placing policy: where each annotation is in its post's current text, and what is saved.

One policy, used alike by the reader, the annotations screen, ``postil notes``,
``postil export`` and ``postil import``:

- **find**: :func:`annotations.anchor.reanchor` (stored offsets; the quote's only or
  best-placed exact occurrence; the quote with whitespace ignored; approximate matches;
  else an orphan);
- **save after a move**: the rule of :func:`settled_target`. A target is written again
  only when the quote was found *verbatim*: its offsets and its 32 characters of context
  either side are then taken from the current text (the quote itself is the same). A
  place found with spacing, punctuation or a few characters changed is shown there, but
  nothing is saved: the user's quote and its original context stay the evidence for the
  next search, so an approximate guess never feeds the next one, and a stored quote
  always equals the text at its stored offsets or is searched for again;
- **unplaced**: an imported annotation that matched no post (:func:`is_unplaced`) is
  kept and listed, never searched for in a text;
- **quote lookup** for ``postil highlight --quote``: :func:`find_quote`.

Reading a post's canonical text is the caller's (``tui`` renders posts): a
:class:`Placer` is given a function from a post snapshot to its text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol, TypeAlias

from annotations.anchor import Anchor, make_target, reanchor, respaced_spans
from annotations.model import Annotation, AnnotationId, PostSnapshot, Target

PlaceStatus = Literal["anchored", "moved", "orphan", "unplaced"]
"""``anchored`` at the stored offsets, ``moved`` elsewhere, ``orphan`` (the quote or the
post file is gone), ``unplaced`` (imported, and no post matched its source)."""

TextSource = Callable[[PostSnapshot], "str | None"]
"""A post's current canonical text, or None when its file is gone or unreadable."""

Found: TypeAlias = tuple[Anchor, Target | None] | None
"""Where an annotation is in its post's text and what to save (:func:`locate`); None when
the post has no text."""


class Saver(Protocol):
    """What a Placer needs of the store to save a moved target."""

    @property
    def read_only(self) -> bool:
        """True when nothing can be saved."""
        ...

    def update(self, ann_id: str, *, target: Target | None = None) -> Annotation:
        """Store the new target of the annotation ``ann_id``."""
        ...


@dataclass(frozen=True, slots=True)
class Placement:
    """An annotation as stored after placing, and where it is in the current text."""

    annotation: Annotation
    status: PlaceStatus
    start: int | None = None
    end: int | None = None

    @property
    def is_orphan(self) -> bool:
        """True when the annotation could not be placed in its post's text."""
        return self.status == "orphan"

    @property
    def is_placed(self) -> bool:
        """True when it has a place in the text (anchored or moved)."""
        return self.start is not None and self.end is not None

    @property
    def span(self) -> tuple[int, int] | None:
        """(start, end) in the current text, or None."""
        if self.start is None or self.end is None:
            return None
        return self.start, self.end

    def as_json(self) -> dict[str, object]:
        """The ``anchor`` object of ``notes --json``: ``{status, start, end}``."""
        return {"status": self.status, "start": self.start, "end": self.end}


def is_unplaced(ann: Annotation) -> bool:
    """True for an imported annotation that matched no post (its snapshot has no file)."""
    return not ann.post.path


def settled_target(text: str, stored: Target, anchor: Anchor) -> Target | None:
    """The target to save after finding ``stored`` at ``anchor``, or None to save nothing.

    The rule (see the module docstring): only a verbatim find is saved, with fresh
    offsets and context, and only when that differs from what is stored.
    """
    if anchor.start is None or anchor.end is None:
        return None
    if text[anchor.start : anchor.end] != stored.exact:
        return None  # approximate: shown where found, the stored evidence kept
    fresh = make_target(text, anchor.start, anchor.end)
    return None if fresh == stored else fresh


def locate(text: str, target: Target) -> tuple[Anchor, Target | None]:
    """Find ``target`` in ``text`` and say what to save (see :func:`settled_target`)."""
    anchor = reanchor(text, target)
    return anchor, settled_target(text, target, anchor)


def locate_each(text: str | None, targets: Iterable[Target]) -> list[Found]:
    """:func:`locate` for each of a post's targets (None each when it has no text)."""
    if text is None:
        return [None for _ in targets]
    return [locate(text, target) for target in targets]


class Placer:
    """Places annotations in their posts' current texts and saves what the rule says.

    Each post's text is asked of ``texts`` once; an annotation in ``found`` (by id: what
    :func:`locate_each` answered elsewhere, e.g. in worker processes) is not searched for
    again. Saving needs a writable ``store``; a failed save is reported through ``warn``
    and the annotation is still placed.
    """

    def __init__(
        self,
        texts: TextSource,
        store: Saver | None = None,
        *,
        warn: Callable[[str], None] | None = None,
        found: Mapping[AnnotationId, Found] | None = None,
    ) -> None:
        self._texts = texts
        self._store = store
        self._warn = warn
        self._found = found or {}
        self._cache: dict[str, str | None] = {}

    def text_of(self, post: PostSnapshot) -> str | None:
        """The post's current text (read once per post)."""
        if post.id not in self._cache:
            self._cache[post.id] = self._texts(post)
        return self._cache[post.id]

    def place(self, ann: Annotation) -> Placement:
        """Where ``ann`` is now; a verbatim move is saved (the stored version returned)."""
        if is_unplaced(ann):
            return Placement(ann, "unplaced")
        if ann.id in self._found:
            found = self._found[ann.id]
        else:
            [found] = locate_each(self.text_of(ann.post), [ann.target])
        if found is None:
            return Placement(ann, "orphan")
        anchor, target = found
        if anchor.start is None or anchor.end is None:
            return Placement(ann, "orphan")
        if target is not None:
            ann = self._save(ann, target)
        return Placement(ann, anchor.status, anchor.start, anchor.end)

    def place_all(self, anns: Iterable[Annotation]) -> list[Placement]:
        """:meth:`place` for each annotation, in the order given."""
        return [self.place(ann) for ann in anns]

    def _save(self, ann: Annotation, target: Target) -> Annotation:
        store = self._store
        if store is None or store.read_only:
            return ann
        from annotations.store import StoreError  # the store imports nothing of this

        try:
            return store.update(ann.id, target=target)
        except StoreError as error:
            if self._warn is not None:
                self._warn(str(error))
            return ann


def highlight_at(
    placed: Iterable[tuple[Annotation, tuple[int, int] | None]], span: tuple[int, int]
) -> Annotation | None:
    """Of the (annotation, where it is now) pairs, the annotation of exactly ``span``, if
    any: the same passage highlighted again is that highlight, not a copy (the reader
    makes it current, `postil highlight` adds nothing)."""
    return next((ann for ann, where in placed if where == span), None)


@dataclass(frozen=True, slots=True)
class QuoteMatch:
    """Where a quote given by the user was found in a canonical text."""

    start: int
    end: int
    count: int
    """How many times it occurs (the first is taken)."""


def find_quote(text: str, quote: str) -> QuoteMatch | None:
    """Find a quote typed or pasted by the user (``postil highlight --quote``).

    Verbatim first; else after NFC with whitespace ignored, as the placing policy's
    whitespace step does (a quote copied with other spacing, or across a paragraph
    break, is found). Returns None when it does not occur.
    """
    if quote and (start := text.find(quote)) >= 0:
        return QuoteMatch(start, start + len(quote), text.count(quote))
    spans = respaced_spans(text, unicodedata.normalize("NFC", quote))
    if not spans:
        return None
    return QuoteMatch(spans[0][0], spans[0][1], len(spans))
