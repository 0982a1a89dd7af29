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
from annotations.placing import Placer, highlight_at
from annotations.store import AnnotationStore
from tui.corpus.model import Post
from tui.corpus.text import sanitize
from tui.drafts import Draft, draft_key
from tui.reading.find import Matches
from tui.reading.highlights import Highlight
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

    def at(self, span: Span) -> Annotation | None:
        """The shown highlight of exactly ``span``, if there is one (`highlight_at`: the
        reader makes it current rather than add a copy)."""
        return highlight_at(((self.annotations[i], at) for i, at in self.spans.items()), span)

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

    def highlights(self) -> list[Highlight]:
        """The placed annotations as the post view paints them."""
        return [
            Highlight(ann.id, *self.spans[ann.id], color=ann.color, has_note=ann.has_note)
            for ann in self.annotations.values()
            if ann.id in self.spans
        ]

    def orphan_notice(self) -> str | None:
        """The line over the post when some annotations could not be placed."""
        count = len(self.orphans)
        if not count:
            return None
        noun = "highlight" if count == 1 else "highlights"
        return f"{count} {noun} could not be placed in this text: see the annotations screen."

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


def delete_question(ann: Annotation) -> str:
    """What the reader and the annotations screen ask before deleting ``ann``."""
    quote = " ".join(sanitize(ann.target.exact).split())
    if len(quote) > 60:
        quote = quote[:59] + "…"
    what = "highlight and its note" if ann.has_note else "highlight"
    return f"Delete this {what}?\n“{quote}”"


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


def note_line(
    selection: Span | None, current: Annotation | None, matches: Matches, *, no_text: bool = False
) -> tuple[str, bool]:
    """The line under the post, and whether it is a hint: what is selected, else the
    current highlight's note, tags and colour, else where the search is, else the keys
    (or, for a post with ``no_text``, that it has none: a body of markup alone).

    It always shows something, so the post does not jump as it changes.
    """
    if selection is not None:
        chars = selection[1] - selection[0]
        plural = "s" if chars != 1 else ""
        return (
            f"{chars} character{plural} selected · h highlight · n note · y copy · esc cancel",
            False,
        )
    if current is None and matches:
        return matches.hint(), True
    if current is None and no_text:
        return "this post has no text · o opens its source · ? all keys", True
    if current is None:
        return "v select a sentence · ] [ highlights · / find · ? all keys", True
    parts = [f"✎ {' '.join(sanitize(current.note).split())}" if current.note else "highlight"]
    if current.tags:
        parts.append(" ".join(f"#{sanitize(t)}" for t in current.tags))
    parts.append(current.color)
    return " · ".join(parts), False
