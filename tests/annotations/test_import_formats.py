"""Reading Hypothesis JSON, W3C Web Annotation JSON-LD and Readwise CSV (our own fixtures,
written in each format's documented shape)."""

from __future__ import annotations

import pytest

from annotations.import_formats import (
    ImportFileError,
    Incoming,
    Skipped,
    detect_format,
    read_records,
)
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "imports"


def _read(name: str) -> list[Incoming | Skipped]:
    raw = (FIXTURES / name).read_bytes()
    return read_records(raw, detect_format(name, raw))


def test_hypothesis_rows() -> None:
    records = _read("hypothesis.json")
    assert [type(r).__name__ for r in records] == ["Incoming"] * 4 + ["Skipped"] * 2
    first = records[0]
    assert isinstance(first, Incoming)
    assert first.exact == "Lights move on the water."
    assert (first.prefix, first.suffix) == (
        "The river is dark at night. ",
        " Nobody speaks on the bridge.",
    )
    assert first.position == 412
    assert first.source is not None and first.source.startswith(
        "https://www.example.com/news/n1001.htm"
    )
    assert first.title == "The river at night"
    assert (first.note, first.tags) == ("The quiet *before* the rain.", ("night", "river"))
    assert (first.created, first.updated) == (
        "2024-03-02T09:15:22.480Z",
        "2024-03-02T09:17:40.102Z",
    )
    assert [r.reason for r in records if isinstance(r, Skipped)] == [
        "replies to another annotation",
        "page notes (no quote)",
    ]
    # The same row gives the same id, run after run: importing twice adds nothing.
    assert first.id == _read("hypothesis.json")[0].id  # type: ignore[union-attr]


def test_web_annotation_page_from_another_tool() -> None:
    records = _read("other-tool.jsonld")
    first, second, third = records
    assert isinstance(first, Incoming) and isinstance(second, Incoming)
    assert (first.exact, first.prefix, first.note) == (
        "we read them by the fire.",
        "The letters arrived late; ",
        "Read by the fire, like us.",
    )
    assert first.source == "https://news.example.org/winter.htm/"
    assert (second.exact, second.position, second.note) == ("Later the rain comes.", 96, "")
    assert isinstance(third, Skipped)
    assert third.reason == "annotations of a whole page (no selector)"


def test_readwise_export_columns() -> None:
    records = _read("readwise.csv")
    kept = [r for r in records if isinstance(r, Incoming)]
    assert [r.title for r in kept] == [
        "On slow trains",
        "港口的早晨",
        "Some Printed Book",
        "Winter letters",
    ]
    train = kept[0]
    assert (train.note, train.tags, train.color) == (
        "That is the point.",
        ("travel", "slow"),
        "blue",
    )
    assert train.author == "Ada Lovelace" and train.created == "2024-01-05T08:30:00.000Z"
    assert kept[1].color == "yellow"  # Readwise's orange is not in our palette
    assert kept[3].note == 'A note on two lines,\nwith a comma and "quotes".'
    assert [r.reason for r in records if isinstance(r, Skipped)] == ["discarded in Readwise"]


def test_readwise_import_layout_with_urls() -> None:
    raw = b"Highlight,Title,Author,URL,Note,Location,Date\nA line.,T,A,https://x.example/p,,,\n"
    [record] = read_records(raw, "readwise")
    assert isinstance(record, Incoming) and record.source == "https://x.example/p"


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("x.json", b'{"rows": [', "not valid JSON"),
        ("x.json", b'{"total": 1}', 'no "rows" list'),
        ("x.csv", b"Title,Note\nT,N\n", 'no "Highlight" column'),
        ("x.csv", b"Highlight\n\xff\xfe\n", "not UTF-8"),
    ],
)
def test_bad_files_are_one_sentence(name: str, raw: bytes, message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        read_records(raw, detect_format(name, raw))


def test_jsonld_with_only_a_link_to_its_first_page() -> None:
    raw = b'{"@context": "http://www.w3.org/ns/anno.jsonld", "type": "AnnotationCollection",'
    raw += b' "first": "https://example.org/page1"}'
    assert detect_format("x.json", raw) == "jsonld"
    with pytest.raises(ImportFileError, match="only a link"):
        read_records(raw, "jsonld")


def test_unknown_format_asks_for_format() -> None:
    with pytest.raises(ImportFileError, match="--format"):
        detect_format("notes.txt", b"just some words")
