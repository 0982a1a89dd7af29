"""Unit tests for every field normalisation in tui.corpus.fields and tui.corpus.text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.corpus import fields as F
from tui.corpus.text import clean_line, sanitize, unescape_entities


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-10-26T22:57:12.000Z", datetime(2023, 10, 26, 22, 57, 12, tzinfo=UTC)),
        ("2023-10-26T22:57:12Z", datetime(2023, 10, 26, 22, 57, 12, tzinfo=UTC)),
        ("2023-10-26T22:57:12+08:00", datetime(2023, 10, 26, 14, 57, 12, tzinfo=UTC)),
        ("2023-10-26T22:57:12.123456789-05:30", datetime(2023, 10, 27, 4, 27, 12, 123456, UTC)),
        ("2020-01-02 03:04:05 +0800", datetime(2020, 1, 1, 19, 4, 5, tzinfo=UTC)),
        ("2020-01-02 03:04:05 -0000", datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2020-01-02 03:04:05", datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2020-01-02 03:04", datetime(2020, 1, 2, 3, 4, tzinfo=UTC)),
        ("2020-1-2", datetime(2020, 1, 2, tzinfo=UTC)),
        ("2020-01-02", datetime(2020, 1, 2, tzinfo=UTC)),
        ("Tue, 23 Jun 2020 07:08:36 +0000", datetime(2020, 6, 23, 7, 8, 36, tzinfo=UTC)),
        ("  2020-01-02  ", datetime(2020, 1, 2, tzinfo=UTC)),
    ],
)
def test_parse_date_strings(raw: str, expected: datetime) -> None:
    parsed = F.parse_date(raw)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is UTC


def test_parse_date_yaml_values() -> None:
    assert F.parse_date(date(2019, 7, 1)) == datetime(2019, 7, 1, tzinfo=UTC)
    naive = datetime(2018, 3, 4, 5, 6, 7)
    assert F.parse_date(naive) == datetime(2018, 3, 4, 5, 6, 7, tzinfo=UTC)
    aware = datetime(2018, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=8)))
    result = F.parse_date(aware)
    assert result == datetime(2018, 3, 3, 21, 6, 7, tzinfo=UTC) and result.tzinfo is UTC


@pytest.mark.parametrize(
    "raw", ["2023-13-45", "2023-02-30", "2023-02-03 25:00:00", "yesterday", "", 20231026, None, []]
)
def test_parse_date_rejects(raw: object) -> None:
    assert F.parse_date(raw) is None


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)))
def test_parse_date_roundtrips_iso(moment: datetime) -> None:
    aware = moment.replace(tzinfo=UTC)
    assert F.parse_date(aware.isoformat()) == aware
    assert F.parse_date(aware.isoformat().replace("+00:00", "Z")) == aware


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parse_date_total_on_any_text(text: str) -> None:
    result = F.parse_date(text)
    assert result is None or result.tzinfo is UTC


def test_epoch_and_file_name_dates() -> None:
    assert F.date_from_epoch_ms(1698361032000) == datetime(2023, 10, 26, 22, 57, 12, tzinfo=UTC)
    assert F.date_from_epoch_ms(10**20) is None
    assert F.date_from_file_name("2020-05-06-title.md") == datetime(2020, 5, 6, tzinfo=UTC)
    assert F.date_from_file_name("2020-13-06-title.md") is None
    assert F.date_from_file_name("title-2020-05-06.md") is None


def test_title_from_file_name() -> None:
    assert F.title_from_file_name("2020-05-06-My post.md") == "My post"
    assert F.title_from_file_name("plain.htm") == "plain"
    assert F.title_from_file_name("Ft.微博 約克.md") == "Ft.微博 約克"
    assert F.title_from_file_name("2020-05-06-.md") == "2020-05-06-"


def test_fold_keys_case_insensitive_first_non_empty_wins() -> None:
    folded = F.fold_keys({"Title": "", "title": "B", "TAGS": ["x"], 2020: "y"})
    assert folded == {"title": "B", "tags": ["x"], "2020": "y"}


def test_pick_aliases_in_order() -> None:
    fields = {"url": "u", "link": "l", "source": ""}
    assert F.pick(fields, F.SOURCE_KEYS) == "u"
    assert F.pick({"from": "f", "url": "u"}, F.SOURCE_KEYS) == "f"
    assert F.pick({}, F.SOURCE_KEYS) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["a", "b"], ("a", "b")),
        ("a, b ,c", ("a", "b", "c")),
        ("solo", ("solo",)),
        (["a", "a", " ", None, 2020], ("a", "2020")),
        (None, ()),
        ([], ()),
        ("", ()),
        (["x\x1by"], ("xy",)),
        ([True], ("true",)),
    ],
)
def test_clean_list(raw: object, expected: tuple[str, ...]) -> None:
    assert F.clean_list(raw) == expected


def test_clean_author_joins_lists() -> None:
    assert F.clean_author(["Ann", " Bo  Li ", ""]) == "Ann, Bo Li"
    assert F.clean_author("Tom &amp;amp; Jerry") == "Tom & Jerry"
    assert F.clean_author(None) == ""


def test_clean_title() -> None:
    assert F.clean_title("&amp;#22338;田") == "坂田"
    assert F.clean_title("A title   that YAML\nfolds  ") == "A title that YAML folds"
    assert F.clean_title(1984) == "1984"
    assert F.clean_title("[red]not markup[/red]") == "[red]not markup[/red]"


def test_clean_source() -> None:
    assert F.clean_source("  https://x.org/a  ") == "https://x.org/a"
    assert F.clean_source("") is None
    assert F.clean_source(None) is None


def test_unescape_entities_stops_after_three_rounds() -> None:
    assert unescape_entities("&amp;amp;amp;amp;") == "&amp;"
    assert unescape_entities("&lt;b&gt;") == "<b>"
    assert unescape_entities("no entities") == "no entities"


def test_sanitize_removes_control_characters() -> None:
    assert sanitize("a\x1b[31mb\x07c\x9bd\te\nf\x7f") == "a[31mbcd\te\nf"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_clean_line_properties(text: str) -> None:
    cleaned = clean_line(text)
    assert cleaned == cleaned.strip()
    assert "\n" not in cleaned and "  " not in cleaned
    assert sanitize(cleaned) == cleaned


def test_as_text_renders_values() -> None:
    assert F.as_text(True) == "true"
    assert F.as_text([1, "a", None]) == "1, a"
    assert F.as_text({"k": "v"}) == "k: v"
    assert F.as_text(date(2020, 1, 2)) == "2020-01-02"


_names = st.lists(
    st.one_of(
        st.sampled_from(["a", " a", "a ", "", " ", "a  b", "&amp;", "x\x1by", "中文", "a\tb"]),
        st.text(max_size=6),
        st.integers(0, 3),
        st.booleans(),
        st.none(),
    ),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_names, st.text(max_size=12), st.none(), st.integers()))
def test_shared_list_is_clean_list(value: object) -> None:
    """The memoised, interned tuple equals `clean_list`'s, the first time and the next."""
    expected = F.clean_list(value)
    assert F.shared_list(value) == expected
    assert F.shared_list(value) == expected
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        assert F.shared_list(list(value)) is F.shared_list(value)  # one tuple per list


def test_shared_list_tells_true_from_one() -> None:
    assert F.shared_list([1]) == ("1",)
    assert F.shared_list([True]) == ("true",)
    assert F.shared_list(["1"]) == ("1",)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["layout", "title", "tags", "comments", "from", "x-key", "author"]),
        st.one_of(st.text(max_size=5), st.booleans(), st.integers(0, 2), st.none()),
        max_size=6,
    )
)
def test_extras_are_the_unknown_keys_in_order(fields: dict[str, object]) -> None:
    expected = tuple(F.extra(k, v) for k, v in fields.items() if k not in F.KNOWN_KEYS)
    assert F.extras(fields) == expected
    assert F.extras(dict(fields)) == expected


def test_folded_copies_only_when_keys_fold() -> None:
    plain = {"title": "a", "date": None}
    F.fold_keys(plain)  # learns that these keys fold to themselves
    assert F.folded(plain) is plain
    mixed = {"Title": "", "title": "B"}
    assert F.folded(mixed) == F.fold_keys(mixed) == {"title": "B"}


@pytest.mark.parametrize(
    "raw", ["https://x.org/a", "  https://x.org/a ", "   ", "https://x.org/\x1b[31m", "链接", 5]
)
def test_clean_source_fast_path_matches_the_general_one(raw: object) -> None:
    general = sanitize(F.as_text(raw)).strip() or None
    assert F.clean_source(raw) == general


def test_shared_author_is_clean_author() -> None:
    for raw in ["Tom &amp;amp; Jerry", " Ann ", "", ["Ann", " Bo  Li ", ""], None, 3]:
        assert F.shared_author(raw) == F.clean_author(raw)
        assert F.shared_author(raw) is F.shared_author(raw)
