"""Answering a parsed query with the search engine: a count, pages of posts, facets.

`engine_query` turns a `Query` into one tantivy query, term by term (each term a
clause that must hold, a negated one a clause that must not): whole values for ``tag:``,
``cat:`` and ``author:``, the host and its parents for ``site:``, a range of days for
dates, the ids of the posts in a reading or annotation state for ``is:`` and ``has:``,
and for a text term one looked-up token or a phrase of pairs (see
`tui.corpus.textmatch`) in the title, author and tags or body. Its answer equals
`Query.matches_post`'s over the same posts (a property test holds them together).

A `Search` keeps one searcher (the engine as of its start) for every page it is asked
for, so a list that pages through a result never sees two versions of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

from tui.corpus.index.engine import Engine
from tui.corpus.model import Post
from tui.corpus.query import (
    EMPTY_STATE,
    DateTerm,
    FieldTerm,
    Marks,
    PostState,
    Query,
    SiteTerm,
    StateTerm,
    Term,
    WordTerm,
    annotation_text_ids,
)
from tui.corpus.textmatch import Chain

if TYPE_CHECKING:
    import tantivy

Order = Literal["newest", "oldest", "title", "author", "relevance"]
"""The orders a result can be in (`SortKey`); relevance needs a text term."""

_FIELD_ORDER: Final[dict[str, tuple[str, bool]]] = {
    "newest": ("new", False),
    "oldest": ("old", True),
    "title": ("title_sort", True),
    "author": ("author_sort", True),
}
"""Order -> (fast field, ascending)."""

_BY_VALUE: Final = ("newest", "oldest")
"""The orders whose sort values are unique (date and key), so rows can be read by value."""

NEAR: Final[int] = 1_000
"""Rows read by offset up to here, or as far from a known row as this."""

_TEXT_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "any": ("title", "meta", "body"),
    "title": ("title",),
    "text": ("body",),
}


def count_of(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
    """How many posts ``query`` matches (counted by the engine, no hit kept)."""
    result = searcher.search(query, limit=1, count=True)
    return int(getattr(result, "count"))  # noqa: B009 - not in tantivy's type stubs


def engine_query(engine: Engine, query: Query, state: PostState = EMPTY_STATE) -> tantivy.Query:
    """The tantivy query that answers ``query`` (see the module's docstring)."""
    import tantivy

    schema = engine.schema
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
    for term in query.terms:
        clause = _term_query(schema, term, state)
        clauses.append((tantivy.Occur.MustNot if term.negated else tantivy.Occur.Must, clause))
    if not any(occur == tantivy.Occur.Must for occur, _ in clauses):
        clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
    if len(clauses) == 1:
        return clauses[0][1]
    return tantivy.Query.boolean_query(clauses)


def _term_query(schema: tantivy.Schema, term: Term, state: PostState) -> tantivy.Query:
    import tantivy

    if isinstance(term, FieldTerm):
        if term.key in ("note", "quote"):
            return _ids(schema, annotation_text_ids(term, state))
        if term.key not in ("tag", "cat", "author"):
            return tantivy.Query.empty_query()  # an annotation's key: never a post's
        return tantivy.Query.term_set_query(schema, term.key, list(term.values))
    if isinstance(term, SiteTerm):
        return tantivy.Query.term_set_query(schema, "host", list(term.hosts))
    if isinstance(term, DateTerm):
        ranges = [
            tantivy.Query.range_query(schema, "day", tantivy.FieldType.Integer, r.first, r.last)
            for r in term.ranges
        ]
        return _any_of(ranges)
    if isinstance(term, StateTerm):
        return _any_of([_state_query(schema, flag, state) for flag in term.flags])
    return text_query(schema, term)


def text_query(schema: tantivy.Schema, term: WordTerm) -> tantivy.Query:
    """A text term: its token, or the phrase of its pairs, in the fields of its scope."""
    return _any_of([_chain_query(schema, part, term.chain) for part in _TEXT_FIELDS[term.scope]])


def _chain_query(schema: tantivy.Schema, part: str, chain: Chain) -> tantivy.Query:
    import tantivy

    if len(chain.tokens) == 1:
        return tantivy.Query.term_query(schema, f"{part}_t", chain.tokens[0], index_option="freq")
    pairs: list[str | tuple[int, str]] = list(chain.pairs)
    if len(pairs) == 1:
        return tantivy.Query.term_query(schema, f"{part}_p", pairs[0])
    return tantivy.Query.phrase_query(schema, f"{part}_p", pairs)


def _state_query(schema: tantivy.Schema, flag: str, state: PostState) -> tantivy.Query:
    import tantivy

    marks = state if isinstance(state, Marks) else Marks()
    if flag == "read":
        return _ids(schema, marks.read)
    if flag == "unread":
        return tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, tantivy.Query.all_query()),
                (tantivy.Occur.MustNot, _ids(schema, marks.read)),
            ]
        )
    if flag == "notes":
        return _ids(schema, marks.noted_ids())
    if flag == "highlights":
        return _ids(schema, marks.highlighted_ids())
    return tantivy.Query.empty_query()  # is:orphan, is:unplaced: never a post's


def _ids(schema: tantivy.Schema, ids: Iterable[str]) -> tantivy.Query:
    import tantivy

    wanted = list(ids)
    if not wanted:
        return tantivy.Query.empty_query()
    return tantivy.Query.term_set_query(schema, "id", wanted)


def _any_of(queries: Sequence[tantivy.Query]) -> tantivy.Query:
    import tantivy

    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


@dataclass(slots=True)
class Search:
    """A query's answer, paged on demand: its count, and its keys in order.

    Built in a worker thread or a CLI; `keys` may be called from any one thread at a
    time (tantivy's searcher is thread-safe, this object keeps no cursor).
    """

    searcher: tantivy.Searcher
    query: tantivy.Query
    order: Order
    count: int
    searcher_schema: tantivy.Schema
    anchors: dict[int, int] = field(default_factory=dict)
    """Rows of the result (newest or oldest first) whose sort value is known: a page near
    one is read from there by value, since reading by an offset from the top costs time in
    proportion to the offset."""

    @classmethod
    def run(
        cls,
        engine: Engine,
        query: Query,
        state: PostState = EMPTY_STATE,
        order: Order | None = None,
    ) -> Search:
        """Run ``query`` (in ``order``, else its own ``sort:``, else newest first)."""
        searcher = engine.searcher()
        tq = engine_query(engine, query, state)
        wanted: Order = order or query.sort or "newest"
        if wanted == "relevance" and not query.has_text_terms:
            wanted = "newest"
        count = count_of(searcher, tq)
        return cls(searcher, tq, wanted, count, engine.schema)

    def keys(self, offset: int = 0, limit: int | None = None) -> list[int]:
        """The keys of posts ``offset`` to ``offset + limit`` of the result, in order."""
        import tantivy

        if limit is None:
            limit = self.count - offset
        limit = min(limit, self.count - offset)
        if limit <= 0:
            return []
        if self.order == "relevance":
            result = self.searcher.search(self.query, limit=limit, offset=offset, count=False)
            addresses = [address for _, address in result.hits]
        else:
            name, ascending = _FIELD_ORDER[self.order]
            by_value = self._by_value(offset, limit)
            if by_value is not None:
                addresses = by_value
            else:
                result = self.searcher.search(
                    self.query,
                    limit=limit,
                    offset=offset,
                    count=False,
                    order_by_field=name,
                    order=tantivy.Order.Asc if ascending else tantivy.Order.Desc,
                )
                addresses = [address for _, address in result.hits]
            if self.order in _BY_VALUE and addresses:
                first, last = self.searcher.fast_field_values(name, [addresses[0], addresses[-1]])
                self.anchors[offset] = int(first or 0)
                self.anchors[offset + len(addresses) - 1] = int(last or 0)
        return [int(k or 0) for k in self.searcher.fast_field_values("key", addresses)]

    def _by_value(self, offset: int, limit: int) -> list[tantivy.DocAddress] | None:
        """The addresses of rows ``offset`` to ``offset + limit``, read by sort value from
        the nearest anchor, or None when none is near (or near the top, where reading by
        offset is as cheap)."""
        if self.order not in _BY_VALUE or offset <= NEAR or not self.anchors:
            return None
        end = offset + limit - 1
        row = min(self.anchors, key=lambda a: max(offset - a, a - end, 0))
        if max(offset - row, row - end) > NEAR:
            return None
        if row <= offset:
            return self._from_anchor(row, offset - row, limit, forward=True)
        if row >= end:
            return self._from_anchor(row, row - end, limit, forward=False)[::-1]
        before = self._from_anchor(row, 1, row - offset, forward=False)[::-1]
        return before + self._from_anchor(row, 0, end - row + 1, forward=True)

    def _from_anchor(
        self, row: int, skip: int, limit: int, *, forward: bool
    ) -> list[tantivy.DocAddress]:
        """``limit`` addresses from the anchor at ``row`` on (itself included, ``skip``
        skipped), in the result's order or, not ``forward``, back towards the top."""
        import tantivy

        name, ascending = _FIELD_ORDER[self.order]
        value = self.anchors[row]
        # Newest first is descending: the rows after an anchor have values at most its own.
        lower, upper = (value, None) if forward == ascending else (None, value)
        from_anchor = tantivy.Query.range_query(
            self.searcher_schema, name, tantivy.FieldType.Integer, lower, upper
        )
        result = self.searcher.search(
            self._and(from_anchor),
            limit=limit,
            offset=skip,
            count=False,
            order_by_field=name,
            order=tantivy.Order.Asc if ascending == forward else tantivy.Order.Desc,
        )
        return [address for _, address in result.hits]

    def position_of(self, key: int, post: Post) -> int | None:
        """The row of the post with ``key`` in this result, counted without reading the
        rows before it (newest and oldest first only; None otherwise or when it is not
        in the result)."""
        import tantivy

        if self.order not in ("newest", "oldest"):
            return None
        from tui.corpus.index.db import sort_keys

        new, old = sort_keys(post.date, key)
        schema = self.searcher_schema
        is_it = tantivy.Query.term_query(schema, "key", key)
        if count_of(self.searcher, self._and(is_it)) == 0:
            return None
        if self.order == "newest":
            before = tantivy.Query.range_query(
                schema, "new", tantivy.FieldType.Integer, new, None, include_lower=False
            )
        else:
            before = tantivy.Query.range_query(
                schema, "old", tantivy.FieldType.Integer, None, old, include_upper=False
            )
        row = count_of(self.searcher, self._and(before))
        self.anchors[row] = new if self.order == "newest" else old
        return row

    def _and(self, other: tantivy.Query) -> tantivy.Query:
        import tantivy

        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, self.query), (tantivy.Occur.Must, other)]
        )
