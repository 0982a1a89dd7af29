"""Annotations follow a post file that was renamed.

A post's id comes from its source URL when it has one (a rename changes nothing), else
from its path: renaming such a file gives it a new id. The index's sync tells which ids
a rename changed; `follow_renames` moves each annotation of an old id to the new one,
with the post's new snapshot, so nothing the reader wrote is left behind as an orphan.
"""

from __future__ import annotations

from collections.abc import Iterable

from annotations.model import PostSnapshot
from annotations.store import AnnotationStore


def follow_renames(store: AnnotationStore, renamed: Iterable[tuple[str, PostSnapshot]]) -> int:
    """Move the annotations of each old post id to its renamed post.

    Args:
        store: A writable store.
        renamed: (old post id, the renamed post's snapshot) pairs.

    Returns:
        How many annotations moved.

    Raises:
        StoreError: A write failed (what was written before stays).
    """
    moved = 0
    for old_id, post in renamed:
        for ann in store.for_post(old_id):
            store.update(ann.id, post=post)
            moved += 1
    return moved
