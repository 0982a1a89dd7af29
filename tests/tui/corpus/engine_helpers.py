"""A search engine over posts given as values (no files), to hold it to the reference.

`Searched` indexes posts (with a canonical text each, or none) in a temporary engine, and
answers a query as the app and the CLI do (`Search` over the engine); its keys are the
posts' positions in the list given.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tui.corpus.facets import Facets, corpus_values, engine_facets
from tui.corpus.index.engine import Engine, make_document
from tui.corpus.index.search import Search
from tui.corpus.model import Post
from tui.corpus.query import EMPTY_STATE, PostState, Query
from tui.corpus.textmatch import index_terms


class Searched:
    """Posts in an engine of their own, in ``folder``."""

    def __init__(self, folder: Path, posts: Sequence[Post], texts: Sequence[str] | None = None):
        folder.mkdir(parents=True, exist_ok=True)
        self.posts = list(posts)
        self.engine = Engine(folder)
        with self.engine.writer() as writer:
            for key, post in enumerate(self.posts):
                body = index_terms(texts[key]) if texts is not None else None
                writer.add_document(make_document(post, key, body))

    def search(self, query: Query, state: PostState = EMPTY_STATE) -> list[Post]:
        """The posts ``query`` matches, in the result's order."""
        return [self.posts[key] for key in Search.run(self.engine, query, state).keys()]

    def facets(self, query: Query, limit: int | None = None) -> Facets:
        """The facets of ``query``'s result, counted by the engine."""
        search = Search.run(self.engine, query)
        return engine_facets(search.searcher, search.query, search.count, limit)

    def values(self) -> dict[str, dict[str, int]]:
        """The corpus's values, for completion."""
        return corpus_values(self.engine.searcher())
