"""Each export format parses back to what was exported."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path

import pytest
import yaml

from annotations.export import CSV_COLUMNS, export, write_export
from annotations.model import Annotation, AnnotationId
from tests.annotations.helpers import TEXT, snapshot, target


def _ann(
    n: int, post_id: str, quote: str, note: str = "", tags: tuple[str, ...] = ()
) -> Annotation:
    return Annotation(
        id=AnnotationId(f"00000000-0000-4000-8000-00000000000{n}"),
        post=snapshot(post_id, date=f"202{n}-01-01T00:00:00.000Z"),
        target=target(quote),
        note=note,
        tags=tags,
        color="yellow",
        created=f"2024-01-0{n}T00:00:00.000Z",
        updated=f"2024-01-0{n}T00:00:00.000Z",
    )


@pytest.fixture
def anns() -> list[Annotation]:
    multi = TEXT[TEXT.index("散步") : TEXT.index("The quick") + 9]
    return [
        _ann(
            1, "aaaaaaaaaaaa", "我们去公园散步", note="第一条\n第二行", tags=("城市", "two words")
        ),
        _ann(2, "aaaaaaaaaaaa", multi),
        _ann(3, "bbbbbbbbbbbb", "quick brown fox", note='=HYPERLINK("x")', tags=("-x",)),
    ]


def test_markdown(anns: list[Annotation]) -> None:
    text = export(anns, "markdown", orphans={anns[1].id})
    assert text.startswith("---\n")
    _, front, body = text.split("---\n", 2)
    meta = yaml.safe_load(front)
    assert meta["count"] == 3 and meta["title"] == "postil notes"
    assert set(meta["tags"]) == {"城市", "two words", "-x"} and meta["exported"]
    assert body.count("\n## ") == 2
    # Newest post first: post b is dated 2023 > 2021.
    assert body.index("bbbbbbbbbbbb") < body.index("aaaaaaaaaaaa")
    quote_lines = [line[2:] for line in body.splitlines() if line.startswith("> ")]
    for ann in anns:
        for line in ann.target.exact.split("\n"):
            assert line in quote_lines
    multi_lines = ["> " + line for line in anns[1].target.exact.split("\n")]
    assert "\n".join(multi_lines) in body
    assert "第一条\n第二行" in body and "#two-words" in body
    assert body.count("orphan") == 1
    assert "source: <https://example.com/aaaaaaaaaaaa.htm>" in body


def test_markdown_strips_control_characters() -> None:
    ann = _ann(1, "aaaaaaaaaaaa", "我们去公园散步", note="bad\x1b[31m red")
    assert "\x1b" not in export([ann], "markdown")


def test_json_is_documents_as_stored(anns: list[Annotation]) -> None:
    docs = json.loads(export(anns, "json"))
    assert sorted(docs, key=lambda d: d["id"]) == [a.to_doc() for a in anns]
    assert "第一条" in export(anns, "json")  # UTF-8, not \u escapes


def test_csv(anns: list[Annotation]) -> None:
    rows = list(csv.reader(io.StringIO(export(anns, "csv", orphans={anns[1].id}))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 4
    by_id = {row[0]: dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]}
    first = by_id[anns[0].id]
    assert first["quote"] == "我们去公园散步" and first["note"] == "第一条\n第二行"
    assert first["tags"] == "城市; two words" and first["url"].startswith("https://")
    assert by_id[anns[1].id]["quote"] == anns[1].target.exact
    assert by_id[anns[1].id]["orphan"] == "yes"
    # Formula-looking cells are neutralised for spreadsheets.
    assert by_id[anns[2].id]["note"] == '\'=HYPERLINK("x")'
    assert by_id[anns[2].id]["tags"] == "'-x"


def test_jsonld_follows_the_web_annotation_model(anns: list[Annotation]) -> None:
    doc = json.loads(export(anns, "jsonld", orphans={anns[1].id}))
    assert doc["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert doc["type"] == "AnnotationCollection" and doc["id"].startswith("urn:uuid:")
    assert doc["total"] == 3
    page = doc["first"]
    assert page["type"] == "AnnotationPage" and page["id"]
    items = {item["id"]: item for item in page["items"]}
    assert set(items) == {f"urn:uuid:{a.id}" for a in anns}
    for ann in anns:
        item = items[f"urn:uuid:{ann.id}"]
        # W3C required: @context (inherited from the collection), id, type, target.
        assert item["type"] == "Annotation" and item["target"]
        assert item["created"] == ann.created and item["modified"] == ann.updated
        target = item["target"]
        assert target["source"] == ann.post.source
        selectors = {s["type"]: s for s in target["selector"]}
        quote = selectors["TextQuoteSelector"]
        assert (quote["exact"], quote["prefix"], quote["suffix"]) == (
            ann.target.exact,
            ann.target.prefix,
            ann.target.suffix,
        )
        if ann.id == anns[1].id:
            assert "TextPositionSelector" not in selectors  # orphan: offsets meaningless
            assert "body" not in item and item["motivation"] == "highlighting"
        else:
            pos = selectors["TextPositionSelector"]
            assert (pos["start"], pos["end"]) == (ann.target.start, ann.target.end)
    first = items[f"urn:uuid:{anns[0].id}"]
    assert first["motivation"] == "commenting"
    bodies = first["body"]
    assert {"type": "TextualBody", "value": "第一条\n第二行", "format": "text/plain"}.items() <= (
        bodies[0].items()
    )
    assert [b["value"] for b in bodies if b.get("purpose") == "tagging"] == ["城市", "two words"]


def test_jsonld_source_without_url() -> None:
    ann = _ann(1, "aaaaaaaaaaaa", "我们去公园散步")
    ann = Annotation(
        **{**{f: getattr(ann, f) for f in ann.__slots__}, "post": snapshot(source=None)}
    )
    doc = json.loads(export([ann], "jsonld"))
    assert doc["first"]["items"][0]["target"]["source"].startswith("file:///archive/")


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="format"):
        export([], "pdf")  # type: ignore[arg-type]


def test_write_export_never_overwrites_without_force(tmp_path: Path) -> None:
    dest = tmp_path / "notes.md"
    write_export("one\n", dest, force=False)
    assert dest.read_text() == "one\n"
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError, match="--force"):
        write_export("two\n", dest, force=False)
    assert dest.read_text() == "one\n"
    write_export("two\n", dest, force=True)
    assert dest.read_text() == "two\n"
    assert [p.name for p in tmp_path.iterdir()] == ["notes.md"]
    with pytest.raises(FileNotFoundError):
        write_export("x", tmp_path / "missing" / "notes.md", force=False)
