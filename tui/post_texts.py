"""The canonical text of an annotated post, for the placing policy (``annotations.placing``),
and where many annotations are in their posts' texts, found in worker processes.

An annotation's snapshot names its post's id and path; the post is looked up in the
loaded corpus by id first (the file may have moved), else read at the snapshot's path.
Blocking: call it from a worker or the CLI.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, TypeVar

from annotations.model import Annotation, AnnotationId, PostSnapshot, Target
from annotations.placing import Found, is_unplaced, locate_each

if TYPE_CHECKING:
    from tui.corpus.model import Post

K = TypeVar("K")

Placeable = tuple[K, PostSnapshot, Target]
"""A target to find in a post's text, and the key its answer is given under."""


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

    def locate_all(
        self, items: Iterable[Placeable[K]], progress: Progress | None = None
    ) -> dict[K, Found]:
        """Where each target is in its post's current text, by its key (`locate_chunks`),
        all at once.

        Args:
            items: (key, post, target) triples (`placeable` makes them of annotations).
            progress: Called with (posts done, posts to do) as the chunks come back.
        """
        found: dict[K, Found] = {}
        chunks = self.locate_chunks(items)
        for chunk in chunks:
            found.update(chunk)
            if progress is not None:
                progress(chunks.done, chunks.total)
        return found

    def locate_chunks(self, items: Iterable[Placeable[K]], *, pool_from: int = 2) -> Located[K]:
        """Where each target is in its post's current text (`placing.locate_each`), by
        its key, a chunk of posts at a time; in worker processes when there are many:
        rendering the posts and searching for quotes that moved or went is all of what
        placing thousands of annotations costs (`postil notes`, `export` and `import`,
        the annotations screen), and in the app it would take the event loop's turn.

        Args:
            items: (key, post, target) triples (`placeable` makes them of annotations).
            pool_from: Use worker processes only for at least this many chunks of
                `TEXTS_CHUNK` posts (starting them costs a moment).
        """
        groups: dict[str, list[tuple[K, Target]]] = {}
        paths: dict[str, str | None] = {}
        for key, post, target in items:
            group = groups.get(post.id)
            if group is None:
                group = groups[post.id] = []
                paths[post.id] = self.path_of(post)
            group.append((key, target))
        return Located(groups, paths, pool_from)

    def path_of(self, post: PostSnapshot) -> str | None:
        """The corpus's file for the post's id, else the snapshot's path if it is a file."""
        if isinstance(self._paths, Mapping) and (found := self._paths.get(post.id)):
            return found
        if post.path and os.path.isfile(post.path):
            return post.path
        if not isinstance(self._paths, Mapping):
            self._paths = self._paths()  # loaded once, only for a post that moved
        return self._paths.get(post.id)


class Located(Iterator[dict[K, Found]]):
    """Where targets are (key -> `Found`), a chunk of posts at a time in the posts'
    order; closing it (or the end) stops the worker processes.

    Args:
        groups: Each post's keys and targets, by post id.
        paths: Each post's file, by post id (None: no file: its targets are not found).
        pool_from: See `PostTexts.locate_chunks`.
    """

    def __init__(
        self,
        groups: dict[str, list[tuple[K, Target]]],
        paths: dict[str, str | None],
        pool_from: int,
    ) -> None:
        from tui.corpus.workers import run_chunks

        self.total = len(groups)
        """How many posts there are to read."""
        self.done = 0
        """How many posts' targets were given so far."""
        ids = [pid for pid in groups if paths[pid]]
        chunks = [ids[at : at + TEXTS_CHUNK] for at in range(0, len(ids), TEXTS_CHUNK)]
        self._chunks = iter(chunks)
        self._results = run_chunks(
            _locate_chunk,
            (
                [(paths[pid] or "", [target for _, target in groups[pid]]) for pid in chunk]
                for chunk in chunks
            ),
            pool_from=pool_from,
        )
        self._groups = groups
        self._missing = [pid for pid, path in paths.items() if not path]

    def __next__(self) -> dict[K, Found]:
        found: dict[K, Found] = {}
        if self._missing:  # first, the posts without a file: nothing to wait for
            chunk, self._missing = self._missing, []
            results: list[list[Found]] = [[None] * len(self._groups[pid]) for pid in chunk]
        else:
            chunk = next(self._chunks, [])  # a chunk is never empty
            if not chunk:
                self.close()
                raise StopIteration
            results = next(self._results)
        for pid, where in zip(chunk, results, strict=True):
            found.update(zip([key for key, _ in self._groups[pid]], where, strict=True))
        self.done += len(chunk)
        return found

    def close(self) -> None:
        """Stop (the worker processes end once their current chunk is done)."""
        self._results.close()


def placeable(anns: Iterable[Annotation]) -> Iterator[Placeable[AnnotationId]]:
    """The annotations that belong to a post (not the unplaced), as `locate_chunks` takes
    them: (id, post, target)."""
    return ((ann.id, ann.post, ann.target) for ann in anns if not is_unplaced(ann))


TEXTS_CHUNK = 50
"""Posts rendered per worker task by `PostTexts.locate_chunks`."""

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


def _locate_chunk(posts: list[tuple[str, list[Target]]]) -> list[list[Found]]:
    """Worker task: for each post file and targets, where each is in its text."""
    return [locate_each(_text_at(path), targets) for path, targets in posts]


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
