"""Stable post ids: the same file gets the same id on every machine.

An id is 12 lowercase hex characters of blake2b over ``"url:" + source`` when the post
has a source URL, else over ``"path:" + rel_path``. Two files with the same source URL
(an article mirrored twice) would collide: the index keeps the plain id for the
first of them (by path) and gives each other one the id of ``"url:" + source +
"\\npath:" + rel_path`` (`derived_id`), which is just as stable as long as both stay.
"""

from __future__ import annotations

import hashlib

from tui.corpus.model import PostId

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


def derived_id(source: str | None, rel_path: str) -> PostId:
    """The id of a post whose source URL an earlier file (by path) has already.

    Args:
        source: The source URL shared with the other file.
        rel_path: This file's path relative to the corpus root.
    """
    return _digest(f"url:{source or ''}\npath:{rel_path}")
