"""Exporting annotations: Markdown, JSON, CSV and JSON-LD (W3C Web Annotation).

Every format works from the annotations alone (each carries a snapshot of its post), so
no corpus is needed. Annotations are grouped by post, newest post first (undated last),
and in text order within a post.

- Markdown: YAML front matter Obsidian reads (``title``, ``exported``, ``count``,
  ``tags``), one ``##`` section per post (title, author, date, source link), each quote
  unchanged on ``> `` lines, then the note and the tags; orphans are marked.
- JSON: one array of the documents exactly as stored.
- CSV: a header and one row per annotation. Cells that a spreadsheet would run as a
  formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) get a
  leading ``'`` (OWASP's advice against CSV injection): exported notes come from post
  text and must not execute when opened in a spreadsheet.
- JSON-LD: an ``AnnotationCollection`` whose ``first`` page holds the items, per
  https://www.w3.org/TR/annotation-model/ ; the colour is the target's ``styleClass``
  (``postil-yellow``) with a ``CssStylesheet``, and the page's title and author are the
  target's ``dc:title`` and ``dc:creator``, so ``postil import`` gives them back.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import uuid
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any, Literal

import orjson

from annotations.durable import atomic_write_bytes
from annotations.model import Annotation, PostSnapshot, utc_now_iso

ExportFormat = Literal["markdown", "json", "csv", "jsonld"]
FORMATS: tuple[ExportFormat, ...] = ("markdown", "json", "csv", "jsonld")

CSV_COLUMNS = (
    "id",
    "quote",
    "note",
    "tags",
    "color",
    "post_title",
    "author",
    "date",
    "url",
    "created",
    "updated",
    "post_id",
    "orphan",
)
"""The CSV header; tags are joined with ``"; "``."""

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""C0 (but tab and newline), DEL and C1 controls: never written into text exports."""

_CSS_COLORS = {
    "yellow": "#ffd700",
    "green": "#3cb371",
    "blue": "#1e90ff",
    "pink": "#ff69b4",
    "purple": "#9370db",
}
"""The highlight colour of each palette name, for the JSON-LD stylesheet."""

_ID_NAMESPACE = uuid.UUID("6f1d4a3c-8a55-4f4e-9a53-2f7d1c0b9e10")
"""Namespace for the JSON-LD collection's stable id."""


def export(
    annotations: Sequence[Annotation],
    fmt: ExportFormat,
    *,
    orphans: Collection[str] = frozenset(),
    title: str = "postil notes",
) -> str:
    """Render annotations in one of the export formats.

    Args:
        annotations: what to export (any order; grouped and sorted here).
        fmt: ``markdown``, ``json``, ``csv`` or ``jsonld``.
        orphans: ids of annotations whose quote is no longer in their post.
        title: the Markdown document's title.

    Returns:
        The whole export as text (ends with a newline).

    Raises:
        ValueError: unknown format.
    """
    ordered = _ordered(annotations)
    if fmt == "markdown":
        return to_markdown(ordered, orphans=orphans, title=title)
    if fmt == "json":
        return to_json(ordered)
    if fmt == "csv":
        return to_csv(ordered, orphans=orphans)
    if fmt == "jsonld":
        return to_jsonld(ordered, orphans=orphans)
    raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")


def write_export(text: str, dest: Path, *, force: bool) -> None:
    """Write an export to ``dest`` atomically (temp file + fsync + rename).

    Raises:
        FileExistsError: ``dest`` exists and ``force`` is false (one-sentence message).
        FileNotFoundError: ``dest``'s folder does not exist.
        OSError: the write failed; an existing ``dest`` is unchanged.
    """
    dest = Path(dest)
    if dest.is_dir():
        raise IsADirectoryError(f"{dest} is a folder, not a file.")
    if dest.exists() and not force:
        raise FileExistsError(f"{dest} already exists; use --force to overwrite it.")
    if not dest.parent.is_dir():
        raise FileNotFoundError(f"the folder {dest.parent} does not exist.")
    mode = (dest.stat().st_mode & 0o777) if dest.exists() else 0o600
    atomic_write_bytes(dest, text.encode("utf-8"), mode=mode)


def _ordered(annotations: Sequence[Annotation]) -> list[Annotation]:
    """By post (newest first, undated last, then title), then text position."""
    by_post: dict[str, list[Annotation]] = {}
    for ann in annotations:
        by_post.setdefault(ann.post.id, []).append(ann)
    groups = list(by_post.values())
    groups.sort(key=lambda g: (g[0].post.title.casefold(), g[0].post.id))
    groups.sort(key=lambda g: g[0].post.date or "", reverse=True)
    out: list[Annotation] = []
    for group in groups:
        out.extend(sorted(group, key=lambda a: (a.target.start, a.target.end, a.created)))
    return out


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


def _line(text: str) -> str:
    """One line of Markdown: controls removed, newlines folded to spaces."""
    return " ".join(_clean(text).split())


# -- Markdown ------------------------------------------------------------------------


def to_markdown(
    annotations: Sequence[Annotation],
    *,
    orphans: Collection[str] = frozenset(),
    title: str = "postil notes",
) -> str:
    """Markdown with Obsidian-readable front matter and one section per post."""
    tags = sorted({tag for ann in annotations for tag in ann.tags}, key=str.casefold)
    lines = [
        "---",
        f"title: {_yaml_str(title)}",
        f"exported: {_yaml_str(utc_now_iso())}",
        f"count: {len(annotations)}",
        f"tags: [{', '.join(_yaml_str(_line(t)) for t in tags)}]",
        "---",
        "",
        f"# {_line(title)}",
    ]
    current: str | None = None
    for ann in annotations:
        if ann.post.id != current:
            current = ann.post.id
            lines.extend(["", *_post_heading(ann.post)])
        lines.extend(["", *_markdown_item(ann, ann.id in orphans)])
    return "\n".join(lines) + "\n"


def _yaml_str(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar; CJK stays readable.
    return json.dumps(text, ensure_ascii=False)


def _post_heading(post: PostSnapshot) -> list[str]:
    heading = [f"## {_line(post.title) or '(untitled)'}", ""]
    facts = []
    if post.author:
        facts.append(f"author: {_line(post.author)}")
    if post.date:
        facts.append(f"date: {_line(post.date[:10])}")
    if post.source:
        facts.append(f"source: <{_line(post.source).replace('>', '%3E')}>")
    elif post.path:
        facts.append(f"file: `{_line(post.path)}`")
    else:
        facts.append("unplaced: imported, no post matched")
    heading.append(" · ".join(facts))
    return heading


def _markdown_item(ann: Annotation, is_orphan: bool) -> list[str]:
    out = ["> " + line for line in _clean(ann.target.exact).split("\n")]
    if is_orphan and not ann.post.path:
        out.extend(["", "*(unplaced: imported, and no post matched its page)*"])
    elif is_orphan:
        out.extend(["", "*(orphan: this passage is no longer in the post)*"])
    if ann.note:
        out.extend(["", _clean(ann.note).rstrip("\n")])
    if ann.tags:
        out.extend(["", "tags: " + " ".join(f"#{_tag(t)}" for t in ann.tags)])
    return out


def _tag(tag: str) -> str:
    # Obsidian tags end at whitespace: join words with a hyphen.
    return "-".join(_clean(tag).split())


# -- JSON ----------------------------------------------------------------------------


def to_json(annotations: Sequence[Annotation]) -> str:
    """One JSON array of the documents as stored (indented, UTF-8, not escaped)."""
    docs = [ann.to_doc() for ann in annotations]
    return orjson.dumps(docs, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"


# -- CSV -----------------------------------------------------------------------------


def to_csv(annotations: Sequence[Annotation], *, orphans: Collection[str] = frozenset()) -> str:
    """A header row then one row per annotation (see CSV_COLUMNS)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for ann in annotations:
        row = [
            ann.id,
            ann.target.exact,
            ann.note,
            "; ".join(ann.tags),
            ann.color,
            ann.post.title,
            ann.post.author,
            ann.post.date or "",
            ann.post.source or "",
            ann.created,
            ann.updated,
            ann.post.id,
            "yes" if ann.id in orphans else "no",
        ]
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue()


def _cell(value: str) -> str:
    value = _CONTROL.sub("", value)
    if value[:1] in ("=", "+", "-", "@", "\t"):
        return "'" + value
    return value


# -- JSON-LD -------------------------------------------------------------------------


def to_jsonld(annotations: Sequence[Annotation], *, orphans: Collection[str] = frozenset()) -> str:
    """A W3C Web Annotation ``AnnotationCollection`` with one page of items."""
    ids = ",".join(sorted(ann.id for ann in annotations))
    collection_id = f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, 'collection:' + ids)}"
    page_id = f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, 'page:' + ids)}"
    doc = {
        "@context": ANNO_CONTEXT,
        "id": collection_id,
        "type": "AnnotationCollection",
        "label": "postil annotations",
        "total": len(annotations),
        "first": {
            "id": page_id,
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": [_web_annotation(ann, ann.id in orphans) for ann in annotations],
        },
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"


def _web_annotation(ann: Annotation, is_orphan: bool) -> dict[str, Any]:
    bodies: list[dict[str, Any]] = []
    if ann.note:
        bodies.append(
            {
                "type": "TextualBody",
                "value": ann.note,
                "format": "text/plain",
                "purpose": "commenting",
            }
        )
    bodies.extend({"type": "TextualBody", "value": tag, "purpose": "tagging"} for tag in ann.tags)
    selectors: list[dict[str, Any]] = [
        {
            "type": "TextQuoteSelector",
            "exact": ann.target.exact,
            "prefix": ann.target.prefix,
            "suffix": ann.target.suffix,
        }
    ]
    if not is_orphan:
        # An orphan's offsets point at text that is gone: only the quote is meaningful.
        selectors.append(
            {"type": "TextPositionSelector", "start": ann.target.start, "end": ann.target.end}
        )
    item: dict[str, Any] = {
        "id": f"urn:uuid:{ann.id}",
        "type": "Annotation",
        "motivation": "commenting" if ann.note else "highlighting",
        "created": ann.created,
        "modified": ann.updated,
    }
    if bodies:
        item["body"] = bodies[0] if len(bodies) == 1 else bodies
    item["target"] = {
        "source": _source_iri(ann.post),
        "selector": selectors,
        "styleClass": f"postil-{ann.color}",
        "dc:title": ann.post.title,
        "dc:creator": ann.post.author,
    }
    css = _CSS_COLORS.get(ann.color, ann.color)
    item["stylesheet"] = {
        "type": "CssStylesheet",
        "value": f".postil-{ann.color} {{ background-color: {css} }}",
    }
    return item


def _source_iri(post: PostSnapshot) -> str:
    if post.source:
        return post.source
    if os.path.isabs(post.path):
        return Path(post.path).as_uri()
    return f"urn:postil:post:{post.id}"
