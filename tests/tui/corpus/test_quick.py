"""The one-pass front matter path: the general path's fields, or None."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.corpus import parse as parse_module
from tui.corpus.parse import parse_fields, parse_file
from tui.corpus.quick import quick_fields
from tui.corpus.yamlfast import flow_strings, load_yaml, plain_string

_HEADER = "<!--1546804624000-->\n[Header title](https://h.example/x)\n------\n\n<p>body</p>\n"
_USUAL = (
    "layout: post\n"
    'title: "Harbour &amp; market   report"\n'
    "date: 2019-01-06T19:57:04.000Z\n"
    "author: Reform Archive 17\n"
    "from: https://bbc.example.com/2019/01/n0032794.htm\n"
    "tags: 说合由, 形于国, 行大要有\n"
    "comments: True\n"
    "categories: [bbc]\n"
)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def _general(path: Path) -> tuple[object, object]:
    """parse_fields with the one-pass path turned off."""
    with mock.patch.object(parse_module, "quick_fields", lambda front: None):
        return parse_fields(str(path), len(str(path)) - len(path.name))


def _write(folder: Path, front: str) -> Path:
    path = folder / "post.md"
    path.write_text(f"---\n{front}\n---\n{_HEADER}", encoding="utf-8")
    return path


def test_usual_archive_front_matter_takes_the_quick_path() -> None:
    fields = quick_fields(_USUAL)
    assert fields == (
        "Harbour & market report",
        datetime(2019, 1, 6, 19, 57, 4, tzinfo=UTC),
        "Reform Archive 17",
        ("说合由", "形于国", "行大要有"),
        ("bbc",),
        "https://bbc.example.com/2019/01/n0032794.htm",
        (("layout", "post"), ("comments", "true")),
    )
    # Twice: the second time the repeated lines come from the table of known lines.
    assert quick_fields(_USUAL) == fields


def test_quick_path_equals_the_general_path_on_the_usual_front_matter(folder: Path) -> None:
    path = _write(folder, _USUAL)
    with mock.patch.object(parse_module, "_build_fields", side_effect=AssertionError):
        quick = parse_fields(str(path), len(str(path)) - len(path.name))
    assert quick == _general(path)
    assert quick[1] == []


@pytest.mark.parametrize(
    ("front", "why"),
    [
        ('title: "T"\ndate: 2020-01-01T00:00:00Z', "no source: the body's header has one"),
        ("date: 2020-01-01T00:00:00Z\nfrom: https://x.example/a", "no title"),
        ('title: "T"\nfrom: https://x.example/a', "no date"),
        ('title: "T"\ntitle: "U"\ndate: 2020-01-01T00:00:00Z\nfrom: u', "a key twice"),
        ('Title: "T"\ndate: 2020-01-01T00:00:00Z\nfrom: u', "a key not in lower case"),
        ('title: "T"\ndate: 2020-01-01T00:00:00Z\nurl: u', "an alias"),
        ('title: "T"\ndate: 2020-13-45T00:00:00Z\nfrom: u', "an impossible date"),
        ('title: "T"\ndate: 2020-01-01T00:00:00Z\nfrom: u\ntags:\n  - a', "a block list"),
        ('title: "a\\tb"\ndate: 2020-01-01T00:00:00Z\nfrom: u', "an escape"),
        ('title: ""\ndate: 2020-01-01T00:00:00Z\nfrom: u', "an empty title"),
        ('title: "T"\ndate: 2020-01-01T00:00:00Z\nfrom: u\nx: 1\nx: 2', "an extra twice"),
    ],
)
def test_quick_path_declines(front: str, why: str, folder: Path) -> None:
    assert quick_fields(front) is None, why
    path = _write(folder, front)
    assert parse_fields(str(path), len(str(path)) - len(path.name)) == _general(path)


_KEYS = st.sampled_from(
    ["title", "Title", "date", "author", "authors", "from", "url", "source", "tags"]
    + ["categories", "category", "layout", "comments", "description", "x-y", "1"]
)
_TEXT = st.lists(
    st.sampled_from(["a", "B", " ", "中", "&", "amp;", "#", ":", ",", "'", "-", "\t"]),
    max_size=8,
).map("".join)
_VALUES = st.one_of(
    _TEXT,
    _TEXT.map(lambda t: f'"{t}"'),
    _TEXT.map(lambda t: f"'{t}'"),
    st.lists(_TEXT, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
    st.sampled_from(
        [
            "",
            "True",
            "yes",
            "null",
            "~",
            "12",
            "1.5",
            "2020-01-02",
            "2019-01-06T19:57:04.000Z",
            "2024-02-02T12:15:00+08:00",
            "2019-01-06 19:57:04",
            "2023-13-45T00:00:00Z",
            "Tue, 23 Jun 2020 05:40:58 +0000",
            "https://x.example/a?b=c#d",
            "https://x.example/a",
            '"a\\"b"',
            "[ 中参馆 ]",
            "[a, [b]]",
            "{a: 1}",
            "|",
        ]
    ),
)
_LINES = st.one_of(
    st.tuples(_KEYS, _VALUES).map(lambda kv: f"{kv[0]}: {kv[1]}".rstrip(" ")),
    st.sampled_from(["", "# a comment", "  - item", "  continued", "- a", "key:value"]),
)
_COMPLETE = [
    'title: "T"',
    "date: 2019-01-06T19:57:04.000Z",
    "from: https://x.example/a",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINES, max_size=8), st.permutations(_COMPLETE), st.integers(0, 8))
def test_quick_path_is_the_general_path_or_declines(
    lines: list[str], complete: list[str], at: int
) -> None:
    """On any front matter the one-pass path gives the general path's fields (and no
    problem), or None; the reference parser (PyYAML) agrees with both."""
    front = "\n".join(lines[:at] + complete + lines[at:])
    with tempfile.TemporaryDirectory() as name:
        path = _write(Path(name), front)
        quick = quick_fields(front)
        fields, problems = parse_fields(str(path), len(str(path)) - len(path.name))
        assert (fields, problems) == _general(path)
        if quick is not None:
            assert problems == []
            assert fields is not None and fields[1:8] == quick
        stat = path.stat()
        fast = parse_file(str(path), path.name, stat.st_size, stat.st_mtime_ns)
        assert fast == parse_file(
            str(path), path.name, stat.st_size, stat.st_mtime_ns, reference=True
        )


_SCALAR_TEXT = st.lists(
    st.sampled_from(["a", "中", " ", ",", "[", "]", ":", "#", "-", "1", "t", "'", '"', "\t"]),
    max_size=10,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(_SCALAR_TEXT)
def test_plain_string_and_flow_strings_are_what_pyyaml_reads(text: str) -> None:
    """Each helper gives PyYAML's value for ``key: <raw>``, or None when unsure."""
    raw = text.strip(" ")
    for helper in (plain_string, flow_strings):
        value = helper(raw)
        if value is not None:
            assert load_yaml(f"key: {raw}") == {"key": value}, (helper.__name__, raw)


def test_flow_strings_reads_the_usual_tag_lists() -> None:
    assert flow_strings("[ 中参馆 ]") == ["中参馆"]
    assert flow_strings("[a, b c,  d]") == ["a", "b c", "d"]
    assert flow_strings("[]") == []
    assert flow_strings("[a, 2024]") is None  # an int for PyYAML
    assert flow_strings("[a, [b]]") is None
