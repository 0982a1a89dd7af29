"""Facet counts (tags, authors, categories, years) of a query's result, and completions.

Values are grouped the way the query language compares them (NFKC, case folded, whitespace
collapsed), so ``tag:X`` on a facet's name finds exactly the posts it counts. Each group is
shown in its most common original spelling among the posts counted (ties: the
alphabetically first). A post counts once per group even if it lists two spellings of the
same tag.

`engine_facets` asks the search engine (one aggregation, in Rust, whatever the size of
the result); `facet_counts` counts a list of posts in Python, the reference it is tested
against. `complete_values` offers values after ``tag:``, ``site:``… in the filter bar.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tui.corpus.model import Post
from tui.corpus.query import ANNOTATION_KEYS, COLORS, KNOWN_KEYS, fold

if TYPE_CHECKING:
    import tantivy

__all__ = [
    "Facets",
    "complete_values",
    "engine_facets",
    "facet_counts",
    "KNOWN_KEYS",
    "ANNOTATION_KEYS",
]

FacetList = list[tuple[str, int]]
"""(display name, number of posts), count descending then name."""


@dataclass(frozen=True, slots=True)
class Facets:
    """Counts of posts per tag, author, category and year.

    Treat the lists as read-only: the facets of a whole index are cached and shared.
    """

    tags: FacetList
    authors: FacetList
    """Posts with no author are not counted."""
    categories: FacetList
    years: FacetList
    """Years as four-digit strings (UTC); undated posts are not counted."""
    total: int = 0
    """How many posts were counted."""


def _ranked(
    counts: Mapping[str, int], display: Callable[[str], str], limit: int | None
) -> FacetList:
    """(display, count) pairs by count descending, then folded name, then display name."""
    rows = [(display(key), count) for key, count in counts.items()]

    def order(row: tuple[str, int]) -> tuple[int, str, str]:
        return (-row[1], fold(row[0]), row[0])

    if limit is not None and limit < len(rows):
        return heapq.nsmallest(limit, rows, key=order)
    rows.sort(key=order)
    return rows


def _best_spellings(spellings: Mapping[str, Counter[str]]) -> dict[str, str]:
    """Folded key -> its most common spelling (ties: alphabetically first)."""
    return {key: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for key, c in spellings.items()}


def _count_group(
    values_per_post: Iterable[Iterable[str]],
) -> tuple[Counter[str], dict[str, Counter[str]]]:
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for values in values_per_post:
        seen: set[str] = set()
        for raw in set(values):
            key = fold(raw)
            if not key:
                continue
            # Posts are counted once per key, and once per spelling of it.
            spellings.setdefault(key, Counter())[raw] += 1
            if key not in seen:
                seen.add(key)
                counts[key] += 1
    return counts, spellings


def facet_counts(posts: Iterable[Post], *, limit: int | None = None) -> Facets:
    """Count posts per tag, author, category and year, in Python (the reference).

    Args:
        posts: The posts to count (a corpus, or a query result).
        limit: Keep only the top ``limit`` entries of each list.

    Returns:
        The facets, each list sorted by count descending, then by name.
    """
    post_list = list(posts)
    tags, tag_spell = _count_group(p.tags for p in post_list)
    cats, cat_spell = _count_group(p.categories for p in post_list)
    authors, author_spell = _count_group((p.author,) for p in post_list)
    years = Counter(_utc_year(p.date) for p in post_list if p.date is not None)
    tag_names, cat_names = _best_spellings(tag_spell), _best_spellings(cat_spell)
    author_names = _best_spellings(author_spell)
    return Facets(
        tags=_ranked(tags, tag_names.__getitem__, limit),
        authors=_ranked(authors, author_names.__getitem__, limit),
        categories=_ranked(cats, cat_names.__getitem__, limit),
        years=_ranked(years, str, limit),
        total=len(post_list),
    )


def _utc_year(moment: datetime) -> str:
    """The UTC year as four digits, as the query language's ``date:`` sees it."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment.year:04d}"


_MANY: int = 1_000_000
"""Buckets asked of an aggregation: every distinct value."""


def engine_facets(
    searcher: tantivy.Searcher, query: tantivy.Query, total: int, limit: int | None = None
) -> Facets:
    """The facets of a query's result, counted by the search engine.

    Args:
        searcher: The engine's searcher.
        query: The engine's query (`tui.corpus.index.search.engine_query`).
        total: How many posts the query matches.
        limit: Keep only the top ``limit`` entries of each list.
    """
    fields = ("tag", "tag_shown", "cat", "cat_shown", "author", "author_shown", "year")
    answer = searcher.aggregate(
        query, {name: {"terms": {"field": name, "size": _MANY}} for name in fields}
    )
    buckets = {name: _buckets(answer.get(name)) for name in fields}

    def group(kind: str) -> FacetList:
        counts = _named({str(k): n for k, n in buckets[kind].items()})
        spellings: dict[str, Counter[str]] = {}
        for raw, n in buckets[f"{kind}_shown"].items():
            spellings.setdefault(fold(str(raw)), Counter())[str(raw)] += n
        names = _best_spellings(spellings)
        return _ranked(counts, lambda key: names.get(key, key), limit)

    years = {f"{int(k):04d}": n for k, n in buckets["year"].items()}
    return Facets(
        tags=group("tag"),
        authors=group("author"),
        categories=group("cat"),
        years=_ranked(years, str, limit),
        total=total,
    )


def _buckets(answer: Any) -> dict[Any, int]:
    if not isinstance(answer, dict):
        return {}
    return {bucket["key"]: int(bucket["doc_count"]) for bucket in answer.get("buckets", ())}


def _named(counts: dict[str, int]) -> dict[str, int]:
    """Counts without the empty value (posts with no author, a blank tag)."""
    counts.pop("", None)
    return counts


def complete_values(
    values: Mapping[str, Mapping[str, int]],
    key: str,
    prefix: str,
    limit: int = 20,
    *,
    annotation_keys: bool = False,
) -> list[str]:
    """Values to offer after ``key:`` in the query input, most frequent first.

    Values that start with ``prefix`` come first, then those that only contain it (both
    compared folded). ``tag``/``cat``/``author`` give the original spellings, ``site`` the
    hosts (and their parent domains), ``date`` the years, ``has``/``is``/``color`` their fixed
    values. A value with spaces or commas is returned quoted, ready to insert.

    Args:
        values: The corpus's values and their counts by key (``tag``, ``cat``,
            ``author``: spelling -> posts; ``site``: host -> posts; ``date``: year ->
            posts), as `corpus_values` gives them.
        key: The key typed before the colon (``category`` is ``cat``).
        prefix: What has been typed of the value so far.
        limit: At most this many values.
        annotation_keys: Also complete ``is:orphan`` and ``color:`` (the annotation query).

    Returns:
        The completions; empty for an unknown key.
    """
    wanted = fold(prefix)
    key = fold(key)
    counts: Mapping[str, int]
    if key in ("tag", "cat", "category", "author", "site", "date"):
        counts = values.get("cat" if key == "category" else key, {})
    elif key in ("has", "is") or (key == "color" and annotation_keys):
        fixed = {
            "has": ("notes", "highlights"),
            "is": ("read", "unread", "orphan") if annotation_keys else ("read", "unread"),
            "color": COLORS,
        }[key]
        counts = {v: len(fixed) - i for i, v in enumerate(fixed)}
    else:
        return []
    folded = [(n, fold(v), v) for v, n in counts.items()]
    starts = [(n, v) for n, f, v in folded if f.startswith(wanted)]
    inside = [(n, v) for n, f, v in folded if wanted and wanted in f and not f.startswith(wanted)]
    ranked = sorted(starts, key=lambda r: (-r[0], fold(r[1]))) + sorted(
        inside, key=lambda r: (-r[0], fold(r[1]))
    )
    return [_quoted(v) for _, v in ranked[:limit]]


def corpus_values(searcher: tantivy.Searcher) -> dict[str, dict[str, int]]:
    """Every tag, category, author (each in its commonest spelling), host and year of the
    corpus with its number of posts, for `complete_values`."""
    import tantivy

    facets = engine_facets(searcher, tantivy.Query.all_query(), 0)
    answer = searcher.aggregate(
        tantivy.Query.all_query(), {"site": {"terms": {"field": "host", "size": _MANY}}}
    )
    return {
        "tag": dict(facets.tags),
        "cat": dict(facets.categories),
        "author": dict(facets.authors),
        "site": {str(k): n for k, n in _buckets(answer.get("site")).items()},
        "date": dict(facets.years),
    }


def _quoted(value: str) -> str:
    """Quote a value that would otherwise split into two terms or two alternatives."""
    if any(c.isspace() or c in ',"' for c in value):
        return '"' + value.replace('"', "") + '"'
    return value
