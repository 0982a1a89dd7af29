"""The query language: every term, negation, OR, quotes, CJK/NFKC, errors; the reference
evaluator and the search engine agree on every case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.tui.corpus.engine_helpers import Searched
from tui.corpus.errors import CorpusError
from tui.corpus.model import Post, PostId
from tui.corpus.query import (
    EMPTY_STATE,
    KNOWN_KEYS,
    DateTerm,
    DayRange,
    FieldTerm,
    Marks,
    PostState,
    Query,
    QueryError,
    SiteTerm,
    StateTerm,
    WordTerm,
    fold,
    matches_annotation,
    parse_query,
)
from tui.corpus.textmatch import chain_of


def make_post(
    n: int,
    *,
    title: str = "Untitled",
    author: str = "",
    tags: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    source: str | None = None,
    date: datetime | None = None,
) -> Post:
    """A post with a predictable id ``p<n>``."""
    return Post(
        id=PostId(f"p{n:011d}"),
        path=f"/corpus/{n}.md",
        rel_path=f"{n}.md",
        title=title,
        date=date,
        author=author,
        tags=tags,
        categories=categories,
        source=source,
    )


def word(text: str, position: int, value: str) -> WordTerm:
    """The term a bare word or phrase parses to."""
    chain = chain_of(value)
    assert chain is not None
    return WordTerm(text, position, False, value, chain)


def utc(year: int, month: int = 1, day: int = 1, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


POSTS = [
    make_post(
        0,
        title="The Economy of Rivers",
        author="Li Wei",
        tags=("Economy", "Water"),
        categories=("Essay",),
        source="https://www.example.com/a",
        date=utc(2023, 1, 15),
    ),
    make_post(
        1,
        title="城市的夜晚",
        author="王小明",
        tags=("经济", "城市"),
        categories=("评论",),
        source="https://news.example.com/b",
        date=utc(2023, 6, 30, 23),
    ),
    make_post(
        2,
        title="Badexample of a phrase search",
        author="Ann Other",
        tags=("Data Science",),
        categories=("news",),
        source="https://badexample.com/c",
        date=utc(2022, 12, 31),
    ),
    make_post(
        3,
        title="Undated notes",
        author="li wei",
        tags=("economy",),
        source=None,
        date=None,
    ),
    make_post(
        4,
        title="Winter music",
        author="Ｌｉ Ｗｅｉ",
        tags=("Music", "Économie"),
        categories=("Review",),
        source="http://example.org/d",
        date=utc(2024, 2, 29),
    ),
    make_post(
        5,
        title="Market, policy and data",
        author="",
        tags=("a,b",),
        source="example.com/e",
        date=utc(2019, 7, 4),
    ),
]


def FakeState(  # noqa: N802 - reads as the state it builds
    read: set[str] | None = None,
    notes: set[str] | None = None,
    highlights: set[str] | None = None,
) -> Marks:
    """Reading and annotation marks: posts read, with notes, with highlights."""
    counts = {pid: (0, 1) for pid in highlights or ()}
    counts.update({pid: (1, 1) for pid in notes or ()})
    return Marks(read=set(read or ()), counts=counts)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Searched:
    """POSTS in a search engine."""
    return Searched(tmp_path_factory.mktemp("engine"), POSTS)


_ENGINE: list[Searched] = []


@pytest.fixture(autouse=True)
def _engine_for_hits(engine: Searched) -> None:
    _ENGINE[:] = [engine]


def hits(text: str, state: PostState = EMPTY_STATE) -> list[int]:
    """Numbers of the POSTS matching ``text``, checked to agree across both evaluators."""
    query = parse_query(text)
    slow = [int(p.id[1:]) for p in POSTS if query.matches_post(p, state)]
    fast = sorted(int(p.id[1:]) for p in _ENGINE[0].search(query, state))
    assert fast == slow, f"the engine and matches_post disagree on {text!r}"
    return slow


# -- terms ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [0, 1, 2, 3, 4, 5]),
        ("   ", [0, 1, 2, 3, 4, 5]),
        ("tag:economy", [0, 3]),
        ("tag:ECONOMY", [0, 3]),
        ("tag:econ", []),  # whole tag, not a substring
        ('tag:"data science"', [2]),
        ("tag:经济", [1]),
        ("tag:économie", [4]),
        ("ｔａｇ：ＥＣＯＮＯＭＹ", [0, 3]),  # full-width key, colon and value
        ("TAG:water", [0]),
        ("cat:essay", [0]),
        ("category:Review", [4]),
        ("cat:评论", [1]),
        ('author:"li wei"', [0, 3, 4]),  # case and full-width folded
        ("author:li", []),  # whole value
        ("author:王小明", [1]),
        ("site:example.com", [0, 1, 5]),
        ("site:news.example.com", [1]),
        ("site:EXAMPLE.COM", [0, 1, 5]),
        ("site:https://www.example.com/some/page", [0]),
        ("site:example.org", [4]),
        ("site:com", [0, 1, 2, 5]),
        ("date:2023", [0, 1]),
        ("date:2023-06", [1]),
        ("date:2023-06-30", [1]),
        ("date:2023-6-30", [1]),
        ("date:2024-02-29", [4]),
        ("date:2022..2023-01", [0, 2]),
        ("date:2023-01..2023", [0, 1]),
        ("date:2023..", [0, 1, 4]),
        ("date:..2022", [2, 5]),
        ("date:２０２３", [0, 1]),
        ("after:2022-12-31", [0, 1, 4]),
        ("after:2023-01", [1, 4]),
        ("after:2023", [4]),
        ("before:2023", [2, 5]),
        ("before:2023-01-15", [2, 5]),
        ("after:2022 before:2024", [0, 1]),
        ("has:notes", [1]),
        ("has:highlights", [1, 2]),
        ("is:read", [0, 4]),
        ("is:unread", [1, 2, 3, 5]),
        ("economy", [0, 3]),  # title or tag
        ("ECONOMY", [0, 3]),
        ("wei", [0, 3, 4]),  # author
        ("science", [2]),  # tag
        ('"phrase search"', [2]),
        ('"search phrase"', []),
        ("城市", [1]),
        ("market,", [5]),  # commas in a bare word are literal
        ("a,b", [5]),  # ...and the comma-tag matches as a word
        ("“phrase search”", [2]),  # curly quotes from an IME
    ],
)
def test_term(text: str, expected: list[int]) -> None:
    state = FakeState(
        read={"p00000000000", "p00000000004"},
        notes={"p00000000001"},
        highlights={"p00000000001", "p00000000002"},
    )
    assert hits(text, state) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-tag:economy", [1, 2, 4, 5]),
        ("-economy", [1, 2, 4, 5]),
        ('-author:"li wei"', [1, 2, 5]),
        ("-site:example.com", [2, 3, 4]),
        ("-date:2023", [2, 3, 4, 5]),  # the undated post matches a negated date term
        ("-after:2020", [3, 5]),
        ("-is:read", [1, 2, 3, 5]),
        ("－tag:economy", [1, 2, 4, 5]),  # full-width minus
        ("tag:economy -date:2023", [3]),
    ],
)
def test_negation(text: str, expected: list[int]) -> None:
    state = FakeState(read={"p00000000000", "p00000000004"})
    assert hits(text, state) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tag:water,经济", [0, 1]),
        ("tag:water,经济 date:2023-06", [1]),
        ("-tag:water,经济", [2, 3, 4, 5]),
        ('author:"Li Wei",王小明', [0, 1, 3, 4]),
        ("date:2019,2024", [4, 5]),
        ("date:2019,2022-12..2023-01", [0, 2, 5]),
        ('tag:"a,b"', [5]),  # a quoted comma is part of the value
        ("tag:a,b", []),
        ("site:example.org,badexample.com", [2, 4]),
        ("is:read,unread", [0, 1, 2, 3, 4, 5]),
    ],
)
def test_or_and_quotes(text: str, expected: list[int]) -> None:
    state = FakeState(read={"p00000000000"})
    assert hits(text, state) == expected


def test_and_of_all_terms() -> None:
    assert hits('tag:economy date:2023 -author:"Ann Other" rivers') == [0]
    assert hits("tag:economy tag:water") == [0]
    assert hits("economy rivers winter") == []


def test_site_does_not_match_a_longer_host_or_no_source() -> None:
    assert 2 not in hits("site:example.com")
    assert hits("site:badexample.com") == [2]
    assert 3 not in hits("site:com")


def test_site_compares_punycode_and_unicode_hosts(tmp_path: Path) -> None:
    posts = [
        make_post(0, source="https://xn--fsqu00a.xn--55qx5d/a"),
        make_post(1, source="https://www.例子.公司/b"),
        make_post(2, source="https://user:pw@Example.COM.:8080/c"),
        make_post(3, source="not a url"),
    ]
    for text, expected in (
        ("site:例子.公司", [0, 1]),
        ("site:xn--fsqu00a.xn--55qx5d", [0, 1]),
        ("site:example.com", [2]),
    ):
        query = parse_query(text)
        found = Searched(tmp_path / text, posts).search(query)
        assert sorted(int(p.id[1:]) for p in found) == expected
        assert [int(p.id[1:]) for p in posts if query.matches_post(p)] == expected


def test_words_find_fields_written_with_combining_marks(tmp_path: Path) -> None:
    """Front matter may spell é as e and a combining accent (NFD); a query typed as é
    finds it in the title, the author and the tags, by the engine and the reference."""
    posts = [
        make_post(0, title="Cafe\u0301 society", author="Jose\u0301", tags=("re\u0301sume\u0301",)),
        make_post(1, title="Café society"),
        make_post(2, title="Cafe society"),
    ]
    for number, (text, expected) in enumerate(
        (
            ("title:café", [0, 1]),
            ("josé", [0]),
            ("résumé", [0]),
            ('"cafe\u0301 society"', [0, 1]),
        )
    ):
        query = parse_query(text)
        found = Searched(tmp_path / str(number), posts).search(query)
        assert sorted(int(p.id[1:]) for p in found) == expected, text
        assert [int(p.id[1:]) for p in posts if query.matches_post(p)] == expected, text


def test_fields_with_invisible_characters_match_as_they_read(tmp_path: Path) -> None:
    """A zero-width space or a byte-order mark pasted into a tag or an author is nothing:
    tag:economy and author:"li wei" find them, by the engine and the reference."""
    posts = [
        make_post(0, author="Li Wei", tags=("economy",)),
        make_post(1, author="Li\u200b Wei", tags=("\ufeffeconomy",)),
        make_post(2, author="Li Wen", tags=("eco nomy",)),
    ]
    for number, (text, expected) in enumerate(
        (("tag:economy", [0, 1]), ('author:"li wei"', [0, 1]), ("tag:\u200beconomy", [0, 1]))
    ):
        query = parse_query(text)
        found = Searched(tmp_path / str(number), posts).search(query)
        assert sorted(int(p.id[1:]) for p in found) == expected, text
        assert [int(p.id[1:]) for p in posts if query.matches_post(p)] == expected, text


def test_empty_state_matches_nothing_but_unread() -> None:
    assert hits("has:notes") == []
    assert hits("has:highlights") == []
    assert hits("is:read") == []
    assert hits("is:unread") == [0, 1, 2, 3, 4, 5]


def test_date_term_uses_utc_day() -> None:
    # 2023-06-30 23:00 UTC is 1 July in Tokyo, but the query speaks UTC.
    assert hits("date:2023-07") == []
    assert hits("date:2023-06-30") == [1]


def test_after_and_before_are_strict_at_the_granularity_given() -> None:
    query = parse_query("after:2023-01 before:2023-03-10")
    (after, before) = query.terms
    assert isinstance(after, DateTerm) and isinstance(before, DateTerm)
    assert after.ranges == (DayRange(utc(2023, 2, 1).toordinal(), None),)
    assert before.ranges == (DayRange(None, utc(2023, 3, 9).toordinal()),)
    # after:Y before:Y+2 is exactly date:Y+1.
    assert hits("after:2022 before:2024") == hits("date:2023")


def test_parse_gives_typed_terms() -> None:
    query = parse_query('-tag:A,b author:"Li  Wei" site:Example.com date:2023 is:read "x y"')
    assert query.terms == (
        FieldTerm("-tag:A,b", 0, True, "tag", ("a", "b")),
        FieldTerm('author:"Li  Wei"', 9, False, "author", ("li wei",)),
        SiteTerm("site:Example.com", 26, False, ("example.com",)),
        DateTerm(
            "date:2023",
            43,
            False,
            "date",
            (DayRange(utc(2023).toordinal(), utc(2023, 12, 31).toordinal()),),
        ),
        StateTerm("is:read", 53, False, "is", ("read",)),
        word('"x y"', 61, "x y"),
    )
    assert not query.is_empty
    assert parse_query("").is_empty
    assert isinstance(parse_query("x"), Query)


def test_category_alias_and_known_keys() -> None:
    assert parse_query("category:x").terms == parse_query("cat:x").terms[:0] + (
        FieldTerm("category:x", 0, False, "cat", ("x",)),
    )
    assert "tag" in KNOWN_KEYS and "note" in KNOWN_KEYS and "hl-tag" not in KNOWN_KEYS


def test_fold_is_nfkc_casefold_and_collapses_whitespace() -> None:
    assert fold("  ＡＢＣ\u3000Straße ") == "abc strasse"
    assert fold("ﬁle") == "file"
    assert fold("经济") == "经济"


def test_a_colon_after_non_key_text_is_a_word() -> None:
    assert parse_query("12:30").terms == (word("12:30", 0, "12:30"),)
    assert parse_query("日期：2023").terms[0] == word("日期：2023", 0, "日期：2023")
    assert parse_query('"tga:x"').terms == (word('"tga:x"', 0, "tga:x"),)


# -- errors -----------------------------------------------------------------------------------

KEYS = (
    "tag, cat, category, author, site, date, after, before, has, is, title, text, note, quote, sort"
)


@pytest.mark.parametrize(
    ("text", "message", "term", "position"),
    [
        (
            "economy tga:x",
            f'unknown key "tga" in "tga:x" (did you mean "tag"?); known keys: {KEYS}',
            "tga:x",
            8,
        ),
        (
            "zzz:1",
            'unknown key "zzz" in "zzz:1" (to search for the text, put it in double quotes);'
            f" known keys: {KEYS}",
            "zzz:1",
            0,
        ),
        (
            "wechat:",
            'unknown key "wechat" in "wechat:" (to search for the text, put it in double'
            f" quotes); known keys: {KEYS}",
            "wechat:",
            0,
        ),
        (
            "auther:li",
            f'unknown key "auther" in "auther:li" (did you mean "author"?); known keys: {KEYS}',
            "auther:li",
            0,
        ),
        (
            "https://example.com/x",
            'unknown key "https" in "https://example.com/x" (a URL: use site:HOST, or quote it'
            f" to search for the text); known keys: {KEYS}",
            "https://example.com/x",
            0,
        ),
        (
            "date:2023-13",
            '"2023-13" in "date:2023-13" is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)',
            "date:2023-13",
            0,
        ),
        (
            "date:2023-02-30",
            '"2023-02-30" in "date:2023-02-30" is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)',
            "date:2023-02-30",
            0,
        ),
        (
            "after:yesterday",
            '"yesterday" in "after:yesterday" is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)',
            "after:yesterday",
            0,
        ),
        (
            "before:2023..2024",
            '"2023..2024" in "before:2023..2024" is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)',
            "before:2023..2024",
            0,
        ),
        ("x tag:", 'empty value in "tag:" (write tag:VALUE)', "tag:", 2),
        ('tag:""', """empty value in 'tag:""' (write tag:VALUE)""", 'tag:""', 0),
        ("tag:a,,b", 'empty value between commas in "tag:a,,b"', "tag:a,,b", 0),
        (
            'a author:"Li',
            """unterminated quote in 'author:"Li' (add the closing ")""",
            'author:"Li',
            2,
        ),
        (
            "is:new",
            '"new" in "is:new" is not a reading state (use is:read or is:unread)',
            "is:new",
            0,
        ),
        (
            "has:x",
            '"x" in "has:x" is not something a post can have (use has:notes or has:highlights)',
            "has:x",
            0,
        ),
        (
            "date:2024..2023",
            'the range "2024..2023" in "date:2024..2023" is reversed (2024 comes after 2023)',
            "date:2024..2023",
            0,
        ),
        (
            "date:..",
            '".." in "date:.." is not a date range (give at least one end, as in 2023..2024)',
            "date:..",
            0,
        ),
        ("-", 'a lone "-" negates nothing in "-" (write -tag:x or -word)', "-", 0),
        ('""', """empty phrase '""' (put a word between the quotes)""", '""', 0),
        (
            'site:"a b"',
            """"a b" in 'site:"a b"' is not a host name (write site:example.com)""",
            'site:"a b"',
            0,
        ),
        (
            "hl-tag:x",
            f'key "hl-tag" in "hl-tag:x" works only when searching annotations; known keys: {KEYS}',
            "hl-tag:x",
            0,
        ),
    ],
)
def test_error_messages(text: str, message: str, term: str, position: int) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    assert str(caught.value) == message
    assert caught.value.term == term
    assert caught.value.position == position
    assert isinstance(caught.value, CorpusError)


def test_error_message_hides_control_characters_and_shortens_long_terms() -> None:
    with pytest.raises(QueryError) as caught:
        parse_query("tga:\x1b[31m" + "x" * 200)
    message = str(caught.value)
    assert "\x1b" not in message
    assert "…" in message
    assert len(message) < 250


def test_is_orphan_and_color_need_annotation_keys() -> None:
    with pytest.raises(QueryError, match=r'"orphan" in "is:orphan" is not a reading state'):
        parse_query("is:orphan")
    query = parse_query("is:orphan color:Yellow hl-tag:x note:y", annotation_keys=True)
    assert [type(t) for t in query.terms] == [StateTerm, FieldTerm, FieldTerm, FieldTerm]
    with pytest.raises(QueryError) as caught:
        parse_query("color:red", annotation_keys=True)
    assert str(caught.value) == (
        '"red" in "color:red" is not a highlight colour (use yellow, green, blue, pink or purple)'
    )
    with pytest.raises(QueryError, match=r"\(use is:read, is:unread, is:orphan or is:unplaced\)"):
        parse_query("is:x", annotation_keys=True)


def test_annotation_only_terms_never_hold_for_posts(engine: Searched) -> None:
    query = parse_query("hl-tag:x", annotation_keys=True)
    assert not any(query.matches_post(p) for p in POSTS)
    assert engine.search(query) == []
    negated = parse_query("-is:orphan -is:unplaced -color:yellow", annotation_keys=True)
    assert len(engine.search(negated)) == len(POSTS)
    assert all(negated.matches_post(p) for p in POSTS)


# -- annotations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snap:
    id: str
    title: str
    author: str
    tags: tuple[str, ...]
    source: str | None
    date: str | None


@dataclass(frozen=True)
class Tgt:
    exact: str


@dataclass(frozen=True)
class Ann:
    post: Snap
    note: str
    tags: tuple[str, ...]
    color: str
    target: Tgt


ANN = Ann(
    post=Snap(
        "p1",
        "城市的夜晚",
        "王小明",
        ("经济",),
        "https://news.example.com/b",
        "2023-06-30T23:00:00Z",
    ),
    note="Compare with the Rivers essay",
    tags=("todo", "Quote"),
    color="pink",
    target=Tgt("夜晚的灯光照亮了河流"),
)


@pytest.mark.parametrize(
    ("text", "is_orphan", "expected"),
    [
        ("", False, True),
        ("tag:经济", False, True),
        ("author:王小明 site:example.com date:2023-06-30", False, True),
        ("date:2023-07", False, False),
        ("note:rivers", False, True),
        ("note:lakes", False, False),
        ("-note:rivers", False, False),
        ("hl-tag:quote", False, True),
        ("hl-tag:quo", False, False),
        ("hl-tag:x,todo", False, True),
        ("color:pink", False, True),
        ("color:yellow,blue", False, False),
        ("is:orphan", True, True),
        ("is:orphan", False, False),
        ("-is:orphan", False, True),
        ("has:notes", False, True),
        ("has:highlights", False, True),
        ("灯光", False, True),  # bare word in the quote
        ("essay", False, True),  # bare word in the note
        ("todo", False, True),  # bare word in the annotation's tags
        ("cat:x", False, False),  # snapshots keep no categories
    ],
)
def test_matches_annotation(text: str, is_orphan: bool, expected: bool) -> None:
    query = parse_query(text, annotation_keys=True)
    assert matches_annotation(query, ANN, is_orphan=is_orphan) is expected


def test_annotation_without_note_has_no_notes_and_bad_date_is_undated() -> None:
    bare = Ann(ANN.post, "", (), "yellow", Tgt("x"))
    assert not matches_annotation(parse_query("has:notes"), bare, is_orphan=False)
    odd = Ann(Snap("p9", "t", "", (), None, "not a date"), "", (), "yellow", Tgt("x"))
    assert not matches_annotation(parse_query("date:2023"), odd, is_orphan=False)
    assert matches_annotation(parse_query("-date:2023"), odd, is_orphan=False)


def test_annotation_reading_state_uses_the_snapshot_post_id() -> None:
    query = parse_query("is:read")
    assert matches_annotation(query, ANN, is_orphan=False, state=FakeState(read={"p1"}))
    assert not matches_annotation(query, ANN, is_orphan=False)


def test_real_annotation_model_fits_if_present() -> None:
    model = pytest.importorskip("annotations.model")
    if not all(hasattr(model, n) for n in ("Annotation", "PostSnapshot", "Target")):
        pytest.skip("annotations.model is not complete yet")
    snap = model.PostSnapshot(
        id="p1",
        path="/x.md",
        title="Title",
        source="https://example.com/x",
        author="Ann",
        date="2023-01-02T00:00:00Z",
        tags=("t",),
    )
    target = model.Target(exact="quoted words", prefix="", suffix="", start=0, end=12)
    ann = model.Annotation(
        id="a1",
        post=snap,
        target=target,
        note="a note",
        tags=("hl",),
        color="green",
        created="2023-01-02T00:00:00.000Z",
        updated="2023-01-02T00:00:00.000Z",
    )
    query = parse_query(
        "site:example.com date:2023-01 hl-tag:hl color:green quoted", annotation_keys=True
    )
    assert matches_annotation(query, ann, is_orphan=False)


# -- the engine's order ------------------------------------------------------------------------


def test_engine_lists_newest_first_undated_last(tmp_path: Path) -> None:
    found = Searched(tmp_path / "all", POSTS).search(parse_query(""))
    assert [int(p.id[1:]) for p in found] == [4, 1, 0, 2, 5, 3]
    assert Searched(tmp_path / "empty", []).search(parse_query("tag:x date:2023 word")) == []


def test_sort_terms_order_the_result(tmp_path: Path) -> None:
    engine = Searched(tmp_path / "sorted", POSTS)
    oldest = engine.search(parse_query("sort:oldest"))
    assert [int(p.id[1:]) for p in oldest] == [5, 2, 0, 1, 4, 3]
    titles = engine.search(parse_query("sort:title"))
    assert [p.title for p in titles] == sorted((p.title for p in POSTS), key=fold)
    assert parse_query("sort:oldest tag:x").sort == "oldest"
    with pytest.raises(QueryError, match="is not an order"):
        parse_query("sort:random")
