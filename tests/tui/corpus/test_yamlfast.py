"""The hand-written front matter parser agrees with PyYAML or declines."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.corpus.yamlfast import load_yaml, parse_simple


@pytest.mark.parametrize(
    "text",
    [
        "title: plain\ndate: 2023-10-26T22:57:12.000Z\n",
        'title: "quoted: with colon"\ntags: [a, b, 中文]\n',
        "title: 'single'\ncomments: True\nempty:\nnum: 12\nfloat: 1.5\n",
        "date: 2020-01-02\nd2: 2020-01-02 03:04:05 +0800\nnothing: ~\n",
        "tags: []\nx: [1, 2.5, true, null, 2020-01-01]\n",
        "# a comment\n\ntitle: x\n",
        "date: 2023-13-45\n",
        "key-with-dash: v\nkey_with_underscore: w\n",
    ],
)
def test_simple_headers_match_yaml(text: str) -> None:
    fast = parse_simple(text)
    assert fast is not None
    assert fast == load_yaml(text)


@pytest.mark.parametrize(
    "text",
    [
        "tags:\n  - a\n  - b\n",  # block list
        "title: a\n  continued\n",  # folded plain scalar
        'title: "esc \\" aped"\n',  # escapes
        "title: a: b\n",  # invalid YAML: PyYAML must say so
        "title: a # comment\n",
        "yes: 1\n",  # key resolves to a boolean
        "t: &anchor x\n",
        "t: {a: 1}\n",
        "t: [a, [b]]\n",
        "t: ['a', b]\n",
        "t: |\n  block\n",
        "t:\tx\n",
        "t: \ufffe\n",  # characters PyYAML's reader rejects: the front matter fails
        "t: x\x01y\n",
        't: "\x7f"\n',
        "t: [a, \x9f]\n",
        "t: a\x85b\n",  # NEL: a line break to YAML
    ],
)
def test_declines_what_it_cannot_be_sure_of(text: str) -> None:
    assert parse_simple(text) is None


def test_impossible_timestamp_stays_text_in_both_paths() -> None:
    assert load_yaml("date: 2023-13-45") == {"date": "2023-13-45"}
    assert load_yaml("date: [2023-02-30]") == {"date": ["2023-02-30"]}
    with pytest.raises(ValueError):
        yaml.load("date: 2023-13-45", Loader=yaml.CSafeLoader)  # why the tolerant loader


def test_timestamps_construct_like_yaml() -> None:
    parsed = parse_simple("a: 2020-01-02\nb: 2020-01-02T03:04:05Z\n")
    assert parsed is not None
    assert isinstance(parsed["a"], date) and not isinstance(parsed["a"], datetime)
    assert isinstance(parsed["b"], datetime) and parsed["b"].tzinfo is not None


_scalar_chars = st.one_of(
    st.characters(exclude_categories=["Cs", "Cc"], exclude_characters="\n\r"),
    # What PyYAML's reader rejects or reads as a line break: control characters, C1,
    # U+FFFE and U+FFFF, NEL, the Unicode separators, a BOM.
    st.characters(categories=["Cc"], exclude_characters="\n\r"),
    st.sampled_from("\ufffe\uffff\x85\u2028\u2029\ufeff\x7f\x9f"),
)
_values = st.one_of(
    st.text(_scalar_chars, max_size=20),
    st.builds(lambda s: f'"{s}"', st.text(_scalar_chars, max_size=10)),
    st.builds(lambda s: f"'{s}'", st.text(_scalar_chars, max_size=10)),
    st.builds(
        lambda xs: "[" + ", ".join(xs) + "]",
        st.lists(st.text(_scalar_chars, min_size=1, max_size=8), max_size=4),
    ),
    st.sampled_from(["2020-01-02", "2020-01-02T03:04:05Z", "true", "1", "~", "1.5", "0x1f"]),
)
_keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,8}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_keys, _values), max_size=6))
def test_fast_equals_yaml_whenever_it_answers(pairs: list[tuple[str, str]]) -> None:
    """On generated headers the fast path either declines or equals PyYAML exactly."""
    text = "\n".join(f"{k}: {v}" for k, v in pairs)
    fast = parse_simple(text)
    if fast is None:
        return
    try:
        reference = load_yaml(text)
    except yaml.YAMLError:
        pytest.fail(f"fast path accepted invalid YAML: {text!r}")
    assert fast == (reference or {})


@pytest.mark.parametrize(
    "value",
    [
        "2019-01-06T19:57:04.000Z",
        "2019-01-06T19:57:04Z",
        "2019-01-06T19:57:04.123456+08:00",
        "2019-01-06T19:57:04-05:30",
        "2019-02-30T19:57:04.000Z",  # impossible: text in both
        "2019-01-06T25:57:04Z",
        "2019-01-06T19:57:04.1234567Z",  # seven digits: not the fast shape
        "2019-1-6T19:57:04Z",
        "٢٠١٩-01-06T19:57:04Z",  # other digits: \\d matches them, fromisoformat does not
    ],
)
def test_iso_timestamps_match_yaml(value: str) -> None:
    text = f"date: {value}\n"
    assert parse_simple(text) == load_yaml(text)


def test_memoised_lines_and_lists_are_fresh_objects() -> None:
    """Repeated lines come from memos; a list handed out must never be shared."""
    text = "categories: [news, 2020]\nlayout: post\n"
    first = parse_simple(text)
    second = parse_simple(text)
    assert first == second == load_yaml(text)
    assert first is not None and second is not None
    assert first["categories"] is not second["categories"]
    first["categories"].append("mutated")
    assert parse_simple(text) == load_yaml(text)


_timestamps = st.builds(
    lambda d, frac, tz: d.strftime("%Y-%m-%dT%H:%M:%S") + frac + tz,
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    st.sampled_from(["", ".0", ".000", ".123456", ".1234567"]),
    st.sampled_from(["Z", "+08:00", "-00:00", "+0800", ""]),
)


@settings(max_examples=200, deadline=None)
@given(_timestamps)
def test_generated_timestamps_match_yaml(value: str) -> None:
    text = f"date: {value}\n"
    fast = parse_simple(text)
    if fast is not None:
        assert fast == load_yaml(text)
