"""A corpus folder's posts and problems, read through the index as the app and CLI read them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tui.corpus.index import CorpusIndex
from tui.corpus.model import Post, Problem


@dataclass(frozen=True, slots=True)
class Loaded:
    """What the index holds of a corpus once brought up to date."""

    posts: list[Post]
    """Newest first."""
    problems: list[Problem]


def load_corpus(paths: Sequence[str | Path]) -> Loaded:
    """Bring the index of ``paths`` up to date and read every post and problem."""
    index = CorpusIndex(paths)
    try:
        index.sync(workers=1)
        return Loaded(index.db.posts_newest_first(), index.db.problems())
    finally:
        index.close()


def corpus_posts(paths: Sequence[str | Path]) -> list[Post]:
    """Every post below ``paths``, newest first."""
    return load_corpus(paths).posts
