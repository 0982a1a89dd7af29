"""Facet counts (the engine's, held to the plain count) and value completion."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.tui.corpus.engine_helpers import Searched
from tui.corpus.facets import Facets, complete_values, facet_counts
from tui.corpus.model import Post, PostId
from tui.corpus.query import parse_query


def make_post(
    n: int,
    tags: tuple[str, ...] = (),
    author: str = "",
    categories: tuple[str, ...] = (),
    year: int | None = None,
    source: str | None = None,
) -> Post:
    return Post(
        id=PostId(f"{n:012d}"),
        path=f"/c/{n}.md",
        rel_path=f"{n}.md",
        title=f"Post {n}",
        date=None if year is None else datetime(year, 5, 1, tzinfo=UTC),
        author=author,
        tags=tags,
        categories=categories,
        source=source,
    )


POSTS = [
    make_post(0, ("Economy", "Water"), "Li Wei", ("Essay",), 2023, "https://www.example.com/a"),
    make_post(1, ("economy",), "li wei", ("essay",), 2023, "https://news.example.com/b"),
    make_post(2, ("economy", "经济"), "王小明", ("评论",), 2022, "https://example.org/c"),
    make_post(3, ("ECONOMY", "Economy"), "Li Wei", (), None, None),  # two spellings, one post
    make_post(4, ("Water", "经济"), "", ("Essay",), 2023, "https://example.org/d"),
]


def test_counts_sorted_by_count_then_name_with_most_common_spelling() -> None:
    facets = facet_counts(POSTS)
    assert facets == Facets(
        tags=[("Economy", 4), ("Water", 2), ("经济", 2)],
        authors=[("Li Wei", 3), ("王小明", 1)],
        categories=[("Essay", 3), ("评论", 1)],
        years=[("2023", 3), ("2022", 1)],
        total=5,
    )


def test_counts_for_a_query_result_and_empty_input(tmp_path: Path) -> None:
    engine = Searched(tmp_path / "engine", POSTS)
    facets = engine.facets(parse_query("date:2023"))
    assert facets.tags == [("Economy", 2), ("Water", 2), ("经济", 1)]
    assert facets.years == [("2023", 3)]
    assert facets.total == 3
    assert facets == facet_counts(engine.search(parse_query("date:2023")))
    assert facet_counts([]) == Facets([], [], [], [], 0)
    assert engine.facets(parse_query("tag:nothing")) == Facets([], [], [], [], 0)


def test_whole_corpus_facets_equal_the_plain_count(tmp_path: Path) -> None:
    engine = Searched(tmp_path / "engine", POSTS)
    assert engine.facets(parse_query("")) == facet_counts(POSTS)
    assert engine.facets(parse_query(""), limit=1).tags == [("Economy", 4)]


def test_years_are_utc_and_four_digits(tmp_path: Path) -> None:
    tokyo = timezone(timedelta(hours=9))
    posts = [
        Post(
            PostId("a" * 12),
            "/a",
            "a",
            "A",
            datetime(2024, 1, 1, 5, tzinfo=tokyo),
            "",
            (),
            (),
            None,
        ),
        Post(PostId("b" * 12), "/b", "b", "B", datetime(999, 6, 1, tzinfo=UTC), "", (), (), None),
    ]
    expected = [("0999", 1), ("2023", 1)]
    assert facet_counts(posts).years == expected
    assert Searched(tmp_path / "engine", posts).facets(parse_query("")).years == expected


def test_limit_keeps_the_top_entries(tmp_path: Path) -> None:
    facets = facet_counts(POSTS, limit=1)
    assert facets.tags == [("Economy", 4)]
    assert facets.authors == [("Li Wei", 3)]
    assert Searched(tmp_path / "engine", POSTS).facets(parse_query(""), limit=2).tags == [
        ("Economy", 4),
        ("Water", 2),
    ]


def test_facet_name_used_as_query_finds_the_counted_posts(tmp_path: Path) -> None:
    engine = Searched(tmp_path / "engine", POSTS)
    for name, count in facet_counts(POSTS).tags:
        assert len(engine.search(parse_query(f'tag:"{name}"'))) == count
    for name, count in facet_counts(POSTS).authors:
        assert len(engine.search(parse_query(f'author:"{name}"'))) == count


SPELLINGS = ["Economy", "economy", "ＥＣＯＮＯＭＹ", "经济", "Data  Science", "data science", "x"]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(SPELLINGS), max_size=4),
            st.sampled_from(["", "Ann", "ann", "王"]),
            st.one_of(st.none(), st.integers(2019, 2024)),
        ),
        max_size=20,
    ),
    st.data(),
)
def test_engine_counts_equal_plain_counts(
    rows: list[tuple[list[str], str, int | None]], data: st.DataObject
) -> None:
    posts = [make_post(i, tuple(t), a, tuple(t[:1]), y) for i, (t, a, y) in enumerate(rows)]
    year = data.draw(st.one_of(st.none(), st.integers(2019, 2024)))
    query = parse_query("" if year is None else f"date:{year}")
    with tempfile.TemporaryDirectory() as folder:
        fast = Searched(Path(folder), posts).facets(query)
    plain = facet_counts(p for p in posts if query.matches_post(p))
    assert fast == plain


def test_complete_values(tmp_path: Path) -> None:
    posts = [
        *POSTS,
        make_post(5, ("Econometrics",), "Ann Lee"),
        make_post(6, ("Macroeconomics",), "Ann Lee"),
    ]
    index = Searched(tmp_path / "engine", posts).values()
    assert complete_values(index, "tag", "econ") == ["Economy", "Econometrics", "Macroeconomics"]
    assert complete_values(index, "TAG", "ＥＣＯＮ", limit=1) == ["Economy"]
    assert complete_values(index, "tag", "") == [
        "Economy",
        "Water",
        "经济",
        "Econometrics",
        "Macroeconomics",
    ]
    assert complete_values(index, "author", "ann") == ['"Ann Lee"']  # quoted: has a space
    assert complete_values(index, "category", "ess") == ["Essay"]
    assert complete_values(index, "cat", "") == ["Essay", "评论"]
    assert complete_values(index, "site", "example") == [
        "example.com",
        "example.org",
        "news.example.com",
        "www.example.com",
    ]
    assert complete_values(index, "site", "news") == ["news.example.com"]
    assert complete_values(index, "date", "202") == ["2023", "2022"]
    assert complete_values(index, "is", "") == ["read", "unread"]
    assert complete_values(index, "is", "", annotation_keys=True) == ["read", "unread", "orphan"]
    assert complete_values(index, "has", "n") == ["notes"]
    assert complete_values(index, "color", "") == []
    assert complete_values(index, "color", "p", annotation_keys=True) == ["pink", "purple"]
    assert complete_values(index, "nope", "x") == []
