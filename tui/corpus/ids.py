"""Stable post ids: the same file gets the same id on every machine.

An id is 12 lowercase hex characters of blake2b over ``"url:" + source`` when the post
has a source URL, else over ``"path:" + rel_path``. Two files with the same source URL
(an article mirrored twice) would collide: `dedupe_ids` keeps the plain id for the
first of them (by path) and gives each other one the id of ``"url:" + source +
"\\npath:" + rel_path``, which is just as stable as long as both files stay.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from operator import attrgetter

from tui.corpus.model import Post, PostId

ID_LENGTH = 12


def _digest(key: str) -> PostId:
    # surrogateescape: a file name that is not UTF-8 hashes as its original bytes.
    data = key.encode("utf-8", "surrogateescape")
    return PostId(hashlib.blake2b(data, digest_size=ID_LENGTH // 2).hexdigest())


def post_id(source: str | None, rel_path: str) -> PostId:
    """The id of a post with this source URL (or None) and corpus-relative path.

    Args:
        source: The source URL, or None.
        rel_path: The path relative to the corpus root, POSIX separators.

    Returns:
        12 lowercase hex characters.
    """
    if source:
        return _digest("url:" + source)
    return _digest("path:" + rel_path)


_ID = attrgetter("id")


def dedupe_ids(posts: Sequence[Post]) -> list[Post]:
    """Give every post a distinct id (see the module docstring for the rule).

    Args:
        posts: Posts with ids from `post_id`.

    Returns:
        The same posts in the same order, with the later duplicates' ids replaced.
    """
    if len(set(map(_ID, posts))) == len(posts):
        return list(posts)  # the usual case: nothing to rename
    by_id: dict[str, list[int]] = {}
    for index, post in enumerate(posts):
        by_id.setdefault(post.id, []).append(index)
    result = list(posts)
    taken = set(by_id)
    for indexes in by_id.values():
        if len(indexes) < 2:
            continue
        ordered = sorted(indexes, key=lambda i: posts[i].path)
        for i in ordered[1:]:
            post = posts[i]
            new = _digest(f"url:{post.source or ''}\npath:{post.rel_path}")
            while new in taken:  # a blake2b collision: practically never, but never reuse
                new = _digest(new + post.path)
            taken.add(new)
            result[i] = post._replace(id=new)
    return result
