"""PostIndex internals at sizes where they matter: bitset groups, batch folding, fast state.

The small corpora of test_query.py and the property tests keep every group as an array of
positions; these corpora are large enough (thousands of posts) for groups to be bitsets,
for results to be built through digit strings, and for filters to switch between testing
every post and testing the candidates left.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.corpus.facets import facet_counts, indexed_facets
from tui.corpus.model import Post, PostId
from tui.corpus.query import (
    _OTHER_SPACE,
    _SIMPLE_URL,
    Marks,
    PostIndex,
    _fold_many,
    _fold_text,
    _netlocs,
    parse_query,
)

TAGS = [f"Tag{i}" for i in range(40)] + ["economy", "Economy", "ＥＣＯＮＯＭＹ", "经济", "a  b"]
AUTHORS = ["", "Ann Lee", "ann lee", "王小明", "Bob", "ＢＯＢ"] + [f"writer {i}" for i in range(30)]
SOURCES = [
    None,
    "https://www.example.com/a",
    "http://example.com:8080/b",
    "https://news.example.com./c",
    "example.org/d",
    "not a url",
    "https://例子.公司/e",
    "https://xn--fsqu00a.xn--55qx5d/f",
    "HTTPS://Other.Example.NET",
]
WORDS = ["river", "River", "harbour", "经济", "Ｒｉｖｅｒ", "ﬁle", "night", "  spaced  out ", "x"]
START = datetime(2015, 1, 1, tzinfo=UTC)
PLUS_EIGHT = timezone(timedelta(hours=8))


def corpus(count: int, seed: int = 7) -> list[Post]:
    rng = random.Random(seed)
    posts = []
    for i in range(count):
        moment: datetime | None = START + timedelta(hours=rng.randrange(10 * 365 * 24))
        if i % 17 == 0:
            moment = None
        elif i % 13 == 0:
            assert moment is not None
            moment = moment.astimezone(PLUS_EIGHT)  # a date not in UTC: the slow path
        tags = tuple(rng.choice(TAGS) for _ in range(rng.randrange(5)))
        if i % 101 == 0:
            tags += tags[:1]  # the same tag twice in one post
        posts.append(
            Post(
                id=PostId(f"{i:012x}"),
                path=f"/c/{i}.md",
                rel_path=f"{i}.md",
                title=" ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 5))),
                date=moment,
                author=rng.choice(AUTHORS),
                tags=tags,
                categories=tuple(rng.choice(["Essay", "essay", "评论"]) for _ in range(i % 3)),
                source=rng.choice(SOURCES),
            )
        )
    return posts


POSTS = corpus(4000)
INDEX = PostIndex(POSTS)
MARKS = Marks(
    read={p.id for p in POSTS[::3]},
    counts={p.id: (i % 2, 1 + i % 3) for i, p in enumerate(POSTS[::7])},
)
QUERIES = [
    "tag:economy",
    "-tag:economy",
    "tag:tag1,tag2",
    "tag:economy date:2020",
    "author:bob",
    'author:"ann lee" -date:2019..2021',
    "cat:essay",
    "site:example.com",
    "site:com -site:news.example.com",
    "site:例子.公司",
    "date:2018-02",
    "date:2016-03..2019",
    "after:2020-06 before:2022",
    "river",
    "-river",
    "river tag:tag3",
    "spaced out",
    "file",
    "lee",
    "经济",
    "is:read",
    "is:unread tag:tag5",
    "has:notes",
    "-has:highlights date:2017",
    "is:read,unread",
    "river is:unread -tag:economy",
]


@pytest.mark.parametrize("text", QUERIES)
def test_large_index_equals_the_reference(text: str) -> None:
    query = parse_query(text)
    expected = [p for p in POSTS if query.matches_post(p, MARKS)]
    assert INDEX.filter(query, MARKS) == expected
    bits = INDEX.filter_bits(query, MARKS)
    assert INDEX.positions(bits) == [i for i, p in enumerate(POSTS) if p in expected]


def test_some_groups_are_bitsets_and_some_arrays() -> None:
    groups = [*INDEX._groups["tag"].values(), *INDEX._days.values()]
    assert {type(group).__name__ for group in groups} == {"int", "array"}


@pytest.mark.parametrize("text", ["", "tag:economy", "river", "-tag:tag1", "date:2019"])
def test_indexed_facets_equal_plain_counts(text: str) -> None:
    query = parse_query(text)
    bits = INDEX.filter_bits(query, MARKS) if text else None
    subset = INDEX.filter(query, MARKS)
    fast = indexed_facets(INDEX, bits)
    plain = facet_counts(subset)
    assert fast.total == plain.total == len(subset)
    for attr in ("tags", "authors", "categories", "years"):
        assert sorted(n for _, n in getattr(fast, attr)) == sorted(
            n for _, n in getattr(plain, attr)
        ), attr
    assert facet_counts(subset, index=INDEX) == fast


def test_facets_of_a_list_naming_a_post_twice_count_it_twice() -> None:
    twice = [POSTS[0], POSTS[0]]
    assert facet_counts(twice, index=INDEX) == facet_counts(twice)


def test_counting_the_same_tag_twice_in_a_post_once() -> None:
    post = next(p for p in POSTS if len(p.tags) != len(set(p.tags)))
    tag = post.tags[0]
    assert post in INDEX.filter(parse_query(f"tag:{tag}"))
    counts = INDEX.counts("tag", INDEX.bits_of([POSTS.index(post)]))
    assert all(n == 1 for n in counts.values())


def test_bits_round_trip_at_every_size() -> None:
    rng = random.Random(1)
    for size in (0, 1, 63, 64, 2047, 2048, 3999, 4000):
        positions = sorted(rng.sample(range(len(POSTS)), size))
        bits = INDEX.bits_of(positions)
        assert bits.bit_count() == size
        assert INDEX.positions(bits) == positions
        assert len(INDEX.selector(bits)) == len(POSTS)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=8))
def test_folding_many_equals_folding_each(texts: list[str]) -> None:
    assert _fold_many(texts) == [_fold_text(t) for t in texts]


@pytest.mark.parametrize(
    "texts",
    [
        ["A  B", " lead", "trail ", "\ttab", "ﬁ Ｆｕｌｌ", "ΣΑΣ", "line\nbreak", ""],
        ["\u3000wide\u3000space\u3000", "nbsp\xa0here", "sep\x1cx", "\u2028"],
        ["plain", "ascii", "only"],
    ],
)
def test_folding_many_odd_spaces(texts: list[str]) -> None:
    assert _fold_many(texts) == [_fold_text(t) for t in texts]


def test_other_spaces_are_every_split_character_but_space_and_newline() -> None:
    spaces = {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}
    matched = {c for c in spaces if _OTHER_SPACE.fullmatch(c)}
    assert matched == spaces - {" ", "\n"}
    assert not any(_OTHER_SPACE.fullmatch(c) for c in "abc 经\n")


def test_netlocs_equal_the_one_url_pattern() -> None:
    sources = [s or "" for s in SOURCES] + ["https://a.b/\nc", "ftp://x.y", "https://h:1?q"]
    for batch in (sources[:-3], sources):  # the last ones hold a newline: one by one
        expected = []
        for source in batch:
            match = _SIMPLE_URL.match(source)
            expected.append(match.group(1) if match else "")
        assert _netlocs(batch) == expected


# -- the title search and the reading state looked up by id -----------------------------

RARE_POSTS = [
    post._replace(
        title=post.title + (" Kestrel" if i % 97 == 0 else " 港口" if i % 89 == 0 else "")
    )
    for i, post in enumerate(POSTS)
]
RARE_INDEX = PostIndex(RARE_POSTS)
FEW_MARKS = Marks(
    read={POSTS[i].id for i in (0, 5, 17, 2048, 3999)} | {"not-a-post"},
    counts={POSTS[3].id: (1, 2), POSTS[8].id: (0, 1), POSTS[64].id: (2, 2), "gone": (1, 1)},
)


@pytest.mark.parametrize(
    "text",
    [
        "kestrel",  # in one title in 97: found match by match
        "river",  # in about half the titles: the search turns to testing each title
        "x",
        "港口",
        "-kestrel",
        "kestrel river",
        "kestrel tag:tag3",
        "zzz",
        '"river x"',
        "is:read",
        "is:unread",
        "-is:read date:2016..2020",
        "has:notes",
        "has:highlights",
        "-has:highlights kestrel",
        "is:read,unread",
    ],
)
@pytest.mark.parametrize("marks", [FEW_MARKS, MARKS], ids=["few marks", "many marks"])
def test_title_search_and_state_lookups_equal_the_reference(text: str, marks: Marks) -> None:
    query = parse_query(text)
    expected = [i for i, p in enumerate(RARE_POSTS) if query.matches_post(p, marks)]
    assert RARE_INDEX.positions(RARE_INDEX.filter_bits(query, marks)) == expected


def test_state_of_a_post_id_listed_twice_holds_for_both() -> None:
    posts = [*POSTS[:300], POSTS[5], *POSTS[300:600]]  # POSTS[5] at positions 5 and 300
    index = PostIndex(posts)
    marks = Marks(read={POSTS[5].id}, counts={POSTS[5].id: (1, 1)})
    for text in ("is:read", "has:notes", "-is:unread"):
        assert index.positions(index.filter_bits(parse_query(text), marks)) == [5, 300]


def test_posts_of_bits_are_the_posts_at_their_positions() -> None:
    rng = random.Random(2)
    for size in (0, 1, 63, 249, 250, 251, 2047, 3999, 4000):
        bits = INDEX.bits_of(rng.sample(range(len(POSTS)), size))
        assert INDEX.posts_of(bits) == [POSTS[i] for i in INDEX.positions(bits)]
