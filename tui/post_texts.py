"""The canonical text of an annotated post, for the placing policy (``annotations.placing``).

An annotation's snapshot names its post's id and path; the post is looked up in the
loaded corpus by id first (the file may have moved), else read at the snapshot's path.
Blocking: call it from a worker or the CLI.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from annotations.model import PostSnapshot

if TYPE_CHECKING:
    from tui.corpus.model import Post


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
        path = self.path_of(post)
        return None if path is None else _text_at(path)

    def read_all(
        self, posts: Iterable[PostSnapshot], progress: Progress | None = None
    ) -> dict[str, str | None]:
        """The texts of these posts by id, each read once, rendered in worker processes
        when there are many (`run_chunks`): rendering is most of what placing thousands
        of annotations costs (`postil notes` and `export`).

        Args:
            posts: The posts.
            progress: Called with (posts read, posts to read) as the chunks come back.
        """
        from tui.corpus.workers import run_chunks

        paths: dict[str, str | None] = {}
        for post in posts:
            if post.id not in paths:
                paths[post.id] = self.path_of(post)
        texts: dict[str, str | None] = {pid: None for pid, path in paths.items() if not path}
        ids = [pid for pid, path in paths.items() if path]
        chunks = [ids[start : start + TEXTS_CHUNK] for start in range(0, len(ids), TEXTS_CHUNK)]
        files = ([paths[pid] or "" for pid in chunk] for chunk in chunks)
        done = 0
        for chunk, chunk_texts in zip(chunks, run_chunks(_texts_chunk, files), strict=True):
            texts.update(zip(chunk, chunk_texts, strict=True))
            done += len(chunk)
            if progress is not None:
                progress(done, len(ids))
        return texts

    def path_of(self, post: PostSnapshot) -> str | None:
        """The corpus's file for the post's id, else the snapshot's path if it is a file."""
        if isinstance(self._paths, Mapping) and (found := self._paths.get(post.id)):
            return found
        if post.path and os.path.isfile(post.path):
            return post.path
        if not isinstance(self._paths, Mapping):
            self._paths = self._paths()  # loaded once, only for a post that moved
        return self._paths.get(post.id)


TEXTS_CHUNK = 50
"""Posts rendered per worker task by `PostTexts.read_all`."""

Progress = Callable[[int, int], None]
"""progress(done, total)."""


def _text_at(path: str) -> str | None:
    """The canonical text of the post file at ``path``, None when it cannot be read."""
    from tui.corpus.errors import CorpusError
    from tui.render.document import canonical_text

    try:
        return canonical_text(path)
    except (CorpusError, OSError, UnicodeError, ValueError):
        return None


def _texts_chunk(paths: list[str]) -> list[str | None]:
    """Worker task: the texts of a chunk of post files."""
    return [_text_at(path) for path in paths]


class PathsOf(Mapping[str, str]):
    """Post id -> its file's path, each looked up when asked (in the corpus's index)."""

    def __init__(self, find_post: Callable[[str], Post | None]) -> None:
        """``find_post``: the corpus's post with an id, if any."""
        self._find = find_post

    def __getitem__(self, post_id: str) -> str:
        post = self._find(post_id)
        if post is None:
            raise KeyError(post_id)
        return post.path

    def __iter__(self) -> Iterator[str]:
        return iter(())  # looked up one by one, never listed

    def __len__(self) -> int:
        return 0
