"""The canonical text of an annotated post, for the placing policy (``annotations.placing``).

An annotation's snapshot names its post's id and path; the post is looked up in the
loaded corpus by id first (the file may have moved), else read at the snapshot's path.
Blocking: call it from a worker or the CLI.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from annotations.model import PostSnapshot


def canonical_text(path: str) -> str:
    """The canonical text of the post file at ``path``.

    Raises:
        CorpusError: the file cannot be read.
    """
    from tui.corpus.files import read_body
    from tui.render import build_document

    return build_document(read_body(path)).text


class PostTexts:
    """A ``TextSource``: snapshot -> the post's current canonical text, or None if gone.

    Args:
        paths: Post id -> file path of the loaded corpus, or a function that gives it
            (called once, only when a snapshot's own path is not a file).
    """

    def __init__(self, paths: Mapping[str, str] | Callable[[], Mapping[str, str]]) -> None:
        self._paths = paths

    def __call__(self, post: PostSnapshot) -> str | None:
        """The text of ``post`` (None: no file for it, or it cannot be read)."""
        from tui.corpus.errors import CorpusError

        path = self._path_of(post)
        if path is None:
            return None
        try:
            return canonical_text(path)
        except (CorpusError, OSError, UnicodeError, ValueError):
            return None

    def _path_of(self, post: PostSnapshot) -> str | None:
        """The corpus's file for the post's id, else the snapshot's path if it is a file."""
        if isinstance(self._paths, Mapping) and post.id in self._paths:
            return self._paths[post.id]
        if post.path and os.path.isfile(post.path):
            return post.path
        if not isinstance(self._paths, Mapping):
            self._paths = self._paths()  # loaded once, only for a post that moved
        return self._paths.get(post.id)
