"""Property tests: the parser only ever raises QueryError; the search engine's answer equals
the reference evaluator's (`Query.matches_post`, text terms by brute force over the text)
on random corpora and queries, fields and text alike."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tui.corpus.engine_helpers import Searched
from tui.corpus.model import Post, PostId
from tui.corpus.query import Marks, QueryError, parse_query

TAGS = ["Economy", "economy", "经济", "Ｅｃｏｎｏｍｙ", "Data Science", "a,b", "Économie", "x"]
AUTHORS = ["", "Li Wei", "li  wei", "王小明", "Ann", "ＡＮＮ"]
HOSTS = [
    None,
    "https://www.example.com/a",
    "http://example.com:8080/b",
    "https://badexample.com/c",
    "example.org/d",
    "https://NEWS.Example.COM./e",
    "not a url",
    "https://xn--fsqu00a.xn--55qx5d/f",
    "https://例子.公司/g",
    "http://[::1]/h",
]
WORDS = ["river", "River", "经济", "夜晚", "phrase", "a b", "ﬁle", "x", "臺灣", "台湾"]
TOKENS = ["中", "国", "美", "臺", "台", "灣", "湾", "river", "Rivers", "trade", "ss", "ß", "ｅｃｏ"]
"""Text is made of few tokens, so that every way two of them can meet occurs often:
Chinese characters that are words alone and in longer words, traditional and simplified
spellings, Latin words that fold together (case, ß, full width) or only look alike."""
SEPARATORS = ["", "", " ", "  ", "，", ", ", "-", "\n\n", "。"]
"""What lies between tokens: nothing or spaces (adjacent), punctuation or a paragraph
break (a gap)."""


def joined(draw: st.DrawFn, most: int) -> str:
    """Tokens with random separators between them."""
    tokens = draw(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=most))
    out = [tokens[0]]
    for token in tokens[1:]:
        out += [draw(st.sampled_from(SEPARATORS)), token]
    return "".join(out)


START = datetime(2018, 1, 1, tzinfo=UTC)


@st.composite
def posts(draw: st.DrawFn) -> tuple[list[Post], list[str]]:
    count = draw(st.integers(0, 25))
    out = []
    texts = []
    for i in range(count):
        moment = draw(
            st.one_of(
                st.none(), st.integers(0, 8 * 365 * 24).map(lambda h: START + timedelta(hours=h))
            )
        )
        out.append(
            Post(
                id=PostId(f"{i:012x}"),
                path=f"/c/{i}.md",
                rel_path=f"{i}.md",
                title=" ".join(draw(st.lists(st.sampled_from(WORDS), max_size=4))),
                date=moment,
                author=draw(st.sampled_from(AUTHORS)),
                tags=tuple(draw(st.lists(st.sampled_from(TAGS), max_size=3))),
                categories=tuple(
                    draw(st.lists(st.sampled_from(["Essay", "essay", "评论"]), max_size=2))
                ),
                source=draw(st.sampled_from(HOSTS)),
            )
        )
        texts.append(joined(draw, 14) if draw(st.booleans()) else "")
    return out, texts


DATES = ["2018", "2019-02", "2020-02-29", "2021-12-31", "2025", "2019-1-5"]
TERM_TEXTS = st.one_of(
    st.builds(
        "tag:{}".format, st.sampled_from(["economy", "经济", '"data science"', "x,经济", '"a,b"'])
    ),
    st.builds("cat:{}".format, st.sampled_from(["essay", "评论", "none"])),
    st.builds("category:{}".format, st.sampled_from(["ESSAY"])),
    st.builds("author:{}".format, st.sampled_from(['"li wei"', "王小明", "ann", "ann,王小明"])),
    st.builds(
        "site:{}".format,
        st.sampled_from(["example.com", "com", "news.example.com", "例子.公司", "example.org"]),
    ),
    st.builds("date:{}".format, st.sampled_from(DATES)),
    st.builds(
        "date:{}..{}".format,
        st.sampled_from(["2018", "2019-06"]),
        st.sampled_from(["2020", "2022-03-01"]),
    ),
    st.builds("date:{}..".format, st.sampled_from(DATES)),
    st.builds("date:..{}".format, st.sampled_from(DATES)),
    st.builds("after:{}".format, st.sampled_from(DATES)),
    st.builds("before:{}".format, st.sampled_from(DATES)),
    st.sampled_from(["is:read", "is:unread", "has:notes", "has:highlights", "is:read,unread"]),
    st.sampled_from(WORDS + ['"river x"', "RIVER", "wei", "a,b"]),
    st.composite(lambda draw: '"' + joined(draw, 3).replace("\n", " ") + '"')(),
    st.composite(lambda draw: joined(draw, 2).replace(" ", "").replace("\n", ""))(),
    st.builds(
        "{}:{}".format, st.sampled_from(["title", "text"]), st.sampled_from(["中国", "river"])
    ),
)
QUERIES = st.lists(
    st.tuples(st.booleans(), TERM_TEXTS).map(lambda t: ("-" if t[0] else "") + t[1]), max_size=4
).map(" ".join)


IDS = st.sets(st.integers(0, 25).map(lambda i: f"{i:012x}"))
STATES = st.builds(
    lambda read, notes, highlights: Marks(
        read=read,
        counts={pid: (int(pid in notes), 1) for pid in notes | highlights},
    ),
    IDS,
    IDS,
    IDS,
)


@pytest.mark.slow  # ~10 s: hypothesis draws and indexes a whole corpus per example
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(posts(), QUERIES, STATES)
def test_engine_answer_equals_reference(
    corpus: tuple[list[Post], list[str]], text: str, state: Marks
) -> None:
    posts_, texts = corpus
    query = parse_query(text)
    expected = sorted(
        p.id for p, body in zip(posts_, texts, strict=True) if query.matches_post(p, state, body)
    )
    with tempfile.TemporaryDirectory() as folder:
        found = Searched(Path(folder), posts_, texts).search(query, state)
    assert sorted(p.id for p in found) == expected


QUERYISH = st.lists(
    st.sampled_from(
        [
            "tag:",
            "cat:",
            "category:",
            "author:",
            "site:",
            "date:",
            "after:",
            "before:",
            "has:",
            "is:",
            "note:",
            "hl-tag:",
            "color:",
            "tga:",
            "-",
            "－",
            '"',
            "＂",
            "“",
            "”",
            ",",
            "..",
            ":",
            "：",
            " ",
            "\u3000",
            "\t",
            "2023",
            "2023-13",
            "-01",
            "-02-30",
            "0000",
            "9999-12",
            "read",
            "orphan",
            "yellow",
            "经济",
            "ｔａｇ",
            "\x1b",
            "\x00",
            "example.com",
            "http://",
            "[",
            "]",
            "::1",
        ]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=40), QUERYISH), st.booleans())
def test_parser_raises_only_query_error(text: str, annotation_keys: bool) -> None:
    try:
        query = parse_query(text, annotation_keys=annotation_keys)
    except QueryError as error:
        assert str(error)
        assert "\n" not in str(error)
        assert 0 <= error.position <= len(text)
        return
    # Whatever parses also evaluates without error, as the reference and in the engine.
    corpus = [
        Post(PostId("0" * 12), "/a", "a", "T", START, "A", ("t",), ("c",), "https://e.com/"),
        Post(PostId("1" * 12), "/b", "b", "U", None, "", (), (), None),
    ]
    expected = [p for p in corpus if query.matches_post(p, text="x")]
    with tempfile.TemporaryDirectory() as folder:
        found = Searched(Path(folder), corpus, ["x", "x"]).search(query)
    assert sorted(p.id for p in found) == sorted(p.id for p in expected)
