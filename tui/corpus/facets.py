"""Facet counts (tags, authors, categories, years) for a list of posts, e.g. a query result.

Values are grouped the way the query language compares them (NFKC, case folded, whitespace
collapsed), so ``tag:X`` on a facet's name finds exactly the posts it counts. Each group is
shown in its most common original spelling, counted per occurrence (ties: the
alphabetically first). A post counts once per group even if it lists two spellings of the
same tag.

:func:`facet_counts` with ``index=`` reuses a :class:`~tui.corpus.query.PostIndex`'s
precomputed fields, which makes it fast enough to run on every filter of a 50k-post corpus;
the spelling shown is then the most common one in the whole index, so names stay stable
while the user narrows the list.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from weakref import WeakKeyDictionary

from tui.corpus.model import Post
from tui.corpus.query import (
    ANNOTATION_KEYS,
    COLORS,
    KNOWN_KEYS,
    PostIndex,
    fold,
)

__all__ = [
    "Facets",
    "complete_values",
    "facet_counts",
    "indexed_facets",
    "KNOWN_KEYS",
    "ANNOTATION_KEYS",
]

_WHOLE_INDEX: WeakKeyDictionary[PostIndex, dict[int | None, Facets]] = WeakKeyDictionary()
"""Facets of every post of an index, by ``limit``; dropped with the index."""

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
        for raw in values:
            key = fold(raw)
            if not key:
                continue
            # Spellings are counted per occurrence (as PostIndex does), posts once per key.
            spellings.setdefault(key, Counter())[raw] += 1
            if key not in seen:
                seen.add(key)
                counts[key] += 1
    return counts, spellings


def facet_counts(
    posts: Iterable[Post], *, index: PostIndex | None = None, limit: int | None = None
) -> Facets:
    """Count posts per tag, author, category and year.

    Args:
        posts: The posts to count (a corpus, or a query result).
        index: The :class:`PostIndex` the posts came from; makes counting much faster. Posts
            that are not the index's own objects fall back to the plain count.
        limit: Keep only the top ``limit`` entries of each list.

    Returns:
        The facets, each list sorted by count descending, then by name.
    """
    post_list = list(posts)
    if index is not None:
        # List equality compares identity first, in C: the cheapest test for "everything".
        if len(post_list) == len(index) and post_list == index.posts:
            return indexed_facets(index, None, limit)
        positions = index.positions_of(post_list)
        if positions is not None:
            bits = index.bits_of(positions)
            if bits.bit_count() == len(positions):  # no post listed twice
                return indexed_facets(index, bits, limit)
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


def indexed_facets(index: PostIndex, bits: int | None, limit: int | None = None) -> Facets:
    """The facets of the posts whose bits are set (None: every post of the index).

    The index's groups are counted against the bitset, so the cost depends on the number
    of distinct values, not on how many posts are counted. The whole index's facets are
    computed once and shared.

    Args:
        index: The index.
        bits: A bitset of positions, as :meth:`PostIndex.filter_bits` returns.
        limit: Keep only the top ``limit`` entries of each list.
    """
    if bits is None or bits == index.all_bits:
        per_limit = _WHOLE_INDEX.setdefault(index, {})
        if limit not in per_limit:
            per_limit[limit] = _indexed_counts(index, None, limit)
        return per_limit[limit]
    return _indexed_counts(index, bits, limit)


def _utc_year(moment: datetime) -> str:
    """The UTC year as four digits, as the query language's ``date:`` sees it."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment.year:04d}"


def _indexed_counts(index: PostIndex, bits: int | None, limit: int | None) -> Facets:
    everything = index.all_bits if bits is None else bits
    tags = index.counts("tag", everything)
    categories = index.counts("cat", everything)
    authors = index.counts("author", everything)
    years = {f"{y:04d}": n for y, n in index.year_counts(everything).items()}
    return Facets(
        tags=_ranked(_named(tags), lambda k: index.spelling("tag", k), limit),
        authors=_ranked(_named(authors), lambda k: index.spelling("author", k), limit),
        categories=_ranked(_named(categories), lambda k: index.spelling("cat", k), limit),
        years=_ranked(years, str, limit),
        total=everything.bit_count(),
    )


def _named(counts: dict[str, int]) -> dict[str, int]:
    """Counts without the empty value (posts with no author, a blank tag)."""
    counts.pop("", None)
    return counts


def complete_values(
    index: PostIndex, key: str, prefix: str, limit: int = 20, *, annotation_keys: bool = False
) -> list[str]:
    """Values to offer after ``key:`` in the query input, most frequent first.

    Values that start with ``prefix`` come first, then those that only contain it (both
    compared folded). ``tag``/``cat``/``author`` give the original spellings, ``site`` the
    hosts (and their parent domains), ``date`` the years, ``has``/``is``/``color`` their fixed
    values. A value with spaces or commas is returned quoted, ready to insert.

    Args:
        index: The index of the current corpus.
        key: The key typed before the colon (``category`` is ``cat``).
        prefix: What has been typed of the value so far.
        limit: At most this many values.
        annotation_keys: Also complete ``is:orphan`` and ``color:`` (the annotation query).

    Returns:
        The completions; empty for an unknown key.
    """
    wanted = fold(prefix)
    key = fold(key)
    counts: dict[str, int]
    display: Callable[[str], str] = str
    if key in ("tag", "cat", "category", "author"):
        kind: Literal["tag", "cat", "author"] = (
            "cat" if key in ("cat", "category") else "tag" if key == "tag" else "author"
        )
        counts = index.value_counts(kind)

        def display(value: str) -> str:
            return index.spelling(kind, value)

    elif key == "site":
        counts = index.value_counts("site")
    elif key == "date":
        counts = {str(year): n for year, n in index.year_counts().items()}
    elif key in ("has", "is") or (key == "color" and annotation_keys):
        fixed = {
            "has": ("notes", "highlights"),
            "is": ("read", "unread", "orphan") if annotation_keys else ("read", "unread"),
            "color": COLORS,
        }[key]
        counts = {v: len(fixed) - i for i, v in enumerate(fixed)}
    else:
        return []
    starts = [(n, v) for v, n in counts.items() if v.startswith(wanted)]
    inside = [
        (n, v) for v, n in counts.items() if wanted and wanted in v and not v.startswith(wanted)
    ]
    ranked = sorted(starts, key=lambda r: (-r[0], r[1])) + sorted(
        inside, key=lambda r: (-r[0], r[1])
    )
    return [_quoted(display(v)) for _, v in ranked[:limit]]


def _quoted(value: str) -> str:
    """Quote a value that would otherwise split into two terms or two alternatives."""
    if any(c.isspace() or c in ',"' for c in value):
        return '"' + value.replace('"', "") + '"'
    return value
