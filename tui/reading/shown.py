"""The open post's annotations as the reader shows them, ahead of the store.

A highlight the user makes is shown at once, with the id the store will take, and an
edit as soon as it is made; the writes follow in order (`tui.store_writer`). What the
store answers then replaces what is shown, keeping the edits made meanwhile. Placing
(re-anchoring) is the one policy of `annotations.placing`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from annotations.model import COLORS, Annotation, AnnotationId, PostSnapshot, Target, utc_now_iso
from annotations.placing import Placer
from annotations.store import AnnotationStore
from tui.corpus.model import Post
from tui.drafts import Draft, draft_key
from tui.reading.selection import Span


@dataclass
class ShownAnnotations:
    """The post's annotations: those placed in its text, with their spans, and orphans."""

    annotations: dict[str, Annotation] = field(default_factory=dict)
    """The annotations shown in the text, by id."""
    spans: dict[str, Span] = field(default_factory=dict)
    """Where each shown annotation sits in the current text."""
    orphans: list[Annotation] = field(default_factory=list)
    """The annotations that could not be placed in the text."""

    @classmethod
    def placed(
        cls, text: str, annotations: Sequence[Annotation], store: AnnotationStore
    ) -> ShownAnnotations:
        """Place each annotation in ``text`` with the one policy, which saves what its
        rule says after a move (blocking: call from a thread)."""
        shown = cls()
        for placement in Placer(lambda _post: text, store).place_all(annotations):
            ann, span = placement.annotation, placement.span
            if span is None:
                shown.orphans.append(ann)
            else:
                shown.annotations[ann.id] = ann
                shown.spans[ann.id] = span
        return shown

    def keep(self, earlier: ShownAnnotations) -> None:
        """Keep the highlights ``earlier`` shows (made while these were being placed)."""
        self.annotations.update(earlier.annotations)
        self.spans.update(earlier.spans)

    def add(self, ann: Annotation) -> None:
        """Show a new highlight where its target is."""
        self.annotations[ann.id] = ann
        self.spans[ann.id] = (ann.target.start, ann.target.end)

    def change(self, ann_id: str, **changes: object) -> bool:
        """Show an edit before it is written; False when the annotation is not shown."""
        shown = self.annotations.get(ann_id)
        if shown is None:
            return False
        self.annotations[ann_id] = replace(shown, **changes)  # type: ignore[arg-type]
        return True

    def saved(self, ann: Annotation) -> bool:
        """Show the stored version of an edit; False when it was deleted meanwhile."""
        if ann.id not in self.annotations:
            return False
        self.annotations[ann.id] = ann
        return True

    def created(self, ann: Annotation) -> bool:
        """Take the stored version of a new highlight; False when it was deleted meanwhile.

        The edits made since are queued behind the create: until they are written, they
        are shown as the user made them.
        """
        shown = self.annotations.get(ann.id)
        if shown is None:
            return False
        self.annotations[ann.id] = replace(ann, note=shown.note, tags=shown.tags, color=shown.color)
        return True

    def remove(self, ann_id: str) -> None:
        """Stop showing an annotation (deleted, or never saved)."""
        self.annotations.pop(ann_id, None)
        self.spans.pop(ann_id, None)

    def for_draft(self, draft: Draft) -> Annotation | None:
        """The shown annotation a note draft belongs to: by id, else by place."""
        ann = self.annotations.get(draft.annotation_id or "")
        if ann is not None:
            return ann
        place = (draft.start, draft.end)
        return next(
            (a for a in self.annotations.values() if (a.target.start, a.target.end) == place),
            None,
        )


def new_highlight(post: Post, target: Target) -> Annotation:
    """A highlight of ``target`` in ``post``, with the id the store is to take."""
    now = utc_now_iso()
    return Annotation(
        id=AnnotationId(str(uuid.uuid4())),
        post=PostSnapshot.from_post(post),
        target=target,
        note="",
        tags=(),
        color=COLORS[0],
        created=now,
        updated=now,
    )


def draft_for(post: Post, ann: Annotation | None, target: Target) -> Draft:
    """The note draft of ``ann`` (None: a highlight not made yet) at ``target``."""
    return Draft(
        key=draft_key(post.id, ann.id if ann else None, target.start, target.end),
        post_id=post.id,
        text="",
        annotation_id=ann.id if ann else None,
        start=target.start,
        end=target.end,
        quote=target.exact,
        title=post.title,
    )
