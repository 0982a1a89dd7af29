"""Reading annotations made elsewhere: Hypothesis JSON, W3C Web Annotation JSON-LD, Readwise CSV.

Each reader turns a file's records into :class:`Incoming` annotations (the page they were
made on, the quote with its context, the note, tags, dates, a stable id) or into a
:class:`Skipped` reason; :mod:`annotations.importing` matches them to posts and stores
them. Every field is untrusted: a record that lacks what a highlight needs is skipped
with a reason, never an exception.

- **Hypothesis**: the rows of its API's search (``{"rows": [...]}``, or a plain list of
  rows): ``id``, ``uri``, ``target[].selector`` with ``TextQuoteSelector`` (``exact``,
  ``prefix``, ``suffix``) and ``TextPositionSelector``, ``text`` (the note), ``tags``,
  ``created``, ``updated``, ``document.title``. Replies (``references``) and page notes
  (no quote) are skipped.
- **JSON-LD**: an ``AnnotationCollection`` (its ``first`` page's ``items``), an
  ``AnnotationPage``, one ``Annotation`` or a list of them, per the W3C Web Annotation
  model: ``body`` (``TextualBody`` values: ``commenting`` or no purpose is the note,
  ``tagging`` a tag), ``target`` with ``source`` and ``selector`` (``TextQuoteSelector``,
  ``TextPositionSelector``), and what postil's export adds: ``styleClass`` ``postil-COLOR``,
  the page's ``dc:title`` and ``dc:creator``.
- **Readwise**: its CSV export (``Highlight, Book Title, Book Author, Amazon Book ID,
  Note, Color, Tags, Location Type, Location, Highlighted at, Document tags``), or its
  import layout (``Highlight, Title, Author, URL, Note, Location, Date``). No context is
  kept there, so the quote alone is looked for.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from annotations.model import COLORS, iso_utc

ImportFormat = Literal["hypothesis", "jsonld", "readwise"]
FORMATS: tuple[ImportFormat, ...] = ("hypothesis", "jsonld", "readwise")

_NAMESPACE = uuid.UUID("2b7c6c1e-5d0a-4b8e-9d67-3f0e8a1c4d22")
"""Namespace of the ids given to imported annotations (the same record, the same id)."""

_COLOR_ALIASES = {"orange": "yellow", "red": "pink", "violet": "purple"}


class ImportFileError(ValueError):
    """The file cannot be read as the format; ``str()`` is one sentence."""


@dataclass(frozen=True, slots=True)
class Incoming:
    """One annotation read from a file, before it is matched to a post."""

    id: str
    """A uuid: the record's own when it is one, else derived from it (stable)."""
    source: str | None
    """The page it was made on (a URL, a ``file:`` URI or ``urn:postil:post:ID``)."""
    title: str
    """The page's title, if the file has it (matched exactly when the URL does not)."""
    exact: str
    prefix: str = ""
    suffix: str = ""
    author: str = ""
    """The page's author, if the file has it (kept for an unplaced annotation)."""
    position: int | None = None
    """Where the quote started in the page's text, when the file says (a hint only)."""
    note: str = ""
    tags: tuple[str, ...] = ()
    color: str = COLORS[0]
    created: str | None = None
    """ISO 8601 UTC, or None (then the time of the import)."""
    updated: str | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record that is not imported, and why (a plural phrase that reads after a count)."""

    reason: str


Record = Incoming | Skipped


def detect_format(name: str, raw: bytes) -> ImportFormat:
    """Guess the format from the file's name and first bytes.

    Raises:
        ImportFileError: it is neither JSON nor CSV with a ``Highlight`` column.
    """
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"["):
        text = raw[:4096].decode("utf-8", "replace")
        if "@context" in text or '"AnnotationCollection"' in text or '"Annotation"' in text:
            return "jsonld"
        return "hypothesis"
    if name.lower().endswith(".csv") or b"highlight" in raw[:200].lower():
        return "readwise"
    raise ImportFileError("cannot tell its format (give --format hypothesis, jsonld or readwise).")


def read_records(raw: bytes, fmt: ImportFormat) -> list[Record]:
    """The records of a file in ``fmt``.

    Raises:
        ImportFileError: the file is not valid JSON or CSV, or not shaped like the format.
    """
    if fmt == "readwise":
        return list(_readwise(_decode(raw)))
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ImportFileError(
            f"it is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})."
        ) from None
    if fmt == "hypothesis":
        return list(_hypothesis(data))
    return list(_jsonld(data))


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"it is not UTF-8 text (byte {exc.start}).") from None


# -- Hypothesis ------------------------------------------------------------------------


def _hypothesis(data: Any) -> Iterator[Record]:
    rows = data.get("rows") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise ImportFileError('it is not Hypothesis JSON (no "rows" list of annotations).')
    for row in rows:
        yield _hypothesis_row(row)


def _hypothesis_row(row: Any) -> Record:
    if not isinstance(row, dict):
        return Skipped("records that are not an annotation")
    if row.get("references"):
        return Skipped("replies to another annotation")
    targets = row.get("target")
    target = targets[0] if isinstance(targets, list) and targets else {}
    selectors = target.get("selector") if isinstance(target, dict) else None
    quote, position = _selectors(selectors)
    if quote is None:
        return Skipped("page notes (no quote)")
    document = row.get("document")
    titles = document.get("title") if isinstance(document, dict) else None
    title = titles[0] if isinstance(titles, list) and titles else titles
    source = row.get("uri") or (target.get("source") if isinstance(target, dict) else None)
    record_id = _text(row.get("id"))
    return Incoming(
        id=_stable_id("hypothesis", record_id or f"{source}\n{quote[0]}\n{row.get('created')}"),
        source=_text(source) or None,
        title=_text(title),
        exact=quote[0],
        prefix=quote[1],
        suffix=quote[2],
        position=position,
        note=_text(row.get("text")),
        tags=_tags(row.get("tags")),
        created=_iso(row.get("created")),
        updated=_iso(row.get("updated")),
    )


def _selectors(selectors: Any) -> tuple[tuple[str, str, str] | None, int | None]:
    """((exact, prefix, suffix) of the TextQuoteSelector, TextPositionSelector start)."""
    if isinstance(selectors, dict):
        selectors = [selectors]
    if not isinstance(selectors, list):
        return None, None
    quote: tuple[str, str, str] | None = None
    position: int | None = None
    for selector in selectors:
        if not isinstance(selector, dict):
            continue
        kind = selector.get("type")
        if kind == "TextQuoteSelector" and _text(selector.get("exact")).strip():
            quote = (
                _text(selector.get("exact")),
                _text(selector.get("prefix")),
                _text(selector.get("suffix")),
            )
        elif kind == "TextPositionSelector" and isinstance(selector.get("start"), int):
            position = max(0, selector["start"])
    return quote, position


# -- W3C Web Annotation JSON-LD --------------------------------------------------------


def _jsonld(data: Any) -> Iterator[Record]:
    for item in _items(data):
        yield _web_annotation(item)


def _items(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        raise ImportFileError("it is not a W3C Web Annotation document.")
    kind = data.get("type")
    if kind == "AnnotationCollection" or "first" in data:
        first = data.get("first")
        if not isinstance(first, dict):
            raise ImportFileError(
                "its AnnotationCollection does not hold its first page (only a link to it)."
            )
        return _items(first)
    if kind == "AnnotationPage" or "items" in data:
        items = data.get("items")
        if not isinstance(items, list):
            raise ImportFileError('its AnnotationPage has no "items" list.')
        return items
    if kind == "Annotation" or "target" in data:
        return [data]
    raise ImportFileError("it is not a W3C Web Annotation document.")


def _web_annotation(item: Any) -> Record:
    if not isinstance(item, dict):
        return Skipped("records that are not an annotation")
    target = item.get("target")
    if isinstance(target, list):
        target = next((t for t in target if isinstance(t, dict)), None)
    if not isinstance(target, dict):
        return Skipped("annotations of a whole page (no selector)")
    quote, position = _selectors(target.get("selector"))
    if quote is None:
        return Skipped("annotations with no TextQuoteSelector")
    note, tags = _bodies(item.get("body"), item.get("bodyValue"))
    source = target.get("source")
    if isinstance(source, dict):
        source = source.get("id")
    record_id = _text(item.get("id"))
    own = record_id.removeprefix("urn:uuid:")
    style = _text(target.get("styleClass")).removeprefix("postil-")
    return Incoming(
        id=own if _is_uuid(own) else _stable_id("jsonld", record_id or f"{source}\n{quote[0]}"),
        source=_text(source) or None,
        title=_text(target.get("dc:title") or target.get("title")),
        author=_text(target.get("dc:creator")),
        exact=quote[0],
        prefix=quote[1],
        suffix=quote[2],
        position=position,
        note=note,
        tags=tags,
        color=style if style in COLORS else COLORS[0],
        created=_iso(item.get("created")),
        updated=_iso(item.get("modified")),
    )


def _bodies(body: Any, body_value: Any) -> tuple[str, tuple[str, ...]]:
    """(note, tags) from the annotation's bodies."""
    bodies = body if isinstance(body, list) else [body] if body is not None else []
    notes: list[str] = [body_value] if isinstance(body_value, str) and body_value else []
    tags: list[str] = []
    for each in bodies:
        if isinstance(each, str):
            continue  # an IRI: an external resource, not text
        if not isinstance(each, dict) or not isinstance(each.get("value"), str):
            continue
        purpose = each.get("purpose")
        if purpose == "tagging":
            tags.append(each["value"])
        elif purpose in (None, "commenting", "describing", "replying", "editing"):
            notes.append(each["value"])
    return "\n\n".join(notes), _tags(tags)


# -- Readwise CSV ------------------------------------------------------------------------


def _readwise(text: str) -> Iterator[Record]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    fields = {(name or "").strip().casefold(): name for name in reader.fieldnames or ()}
    if "highlight" not in fields:
        raise ImportFileError('it is not a Readwise CSV (no "Highlight" column).')

    def cell(row: Mapping[str, str | None], *names: str) -> str:
        for name in names:
            key = fields.get(name)
            if key is not None and row.get(key):
                return (row[key] or "").strip()
        return ""

    for row in reader:
        exact = cell(row, "highlight")
        if not exact:
            yield Skipped("empty highlights")
            continue
        tags = cell(row, "tags")
        if ".discard" in tags.split(","):
            yield Skipped("discarded in Readwise")
            continue
        title = cell(row, "book title", "title")
        when = cell(row, "highlighted at", "date")
        color = cell(row, "color").casefold()
        color = _COLOR_ALIASES.get(color, color)
        yield Incoming(
            id=_stable_id("readwise", f"{title}\n{exact}\n{when}"),
            source=cell(row, "url") or None,
            title=title,
            author=cell(row, "book author", "author"),
            exact=exact,
            note=cell(row, "note"),
            tags=_tags(t for t in tags.split(",") if not t.strip().startswith(".")),
            color=color if color in COLORS else COLORS[0],
            created=_iso(when),
        )


# -- shared ------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _tags(values: Any) -> tuple[str, ...]:
    if not isinstance(values, Iterable) or isinstance(values, str | bytes):
        return ()
    return tuple(v.strip() for v in values if isinstance(v, str) and v.strip())


def _iso(value: Any) -> str | None:
    """A date in any ISO 8601 form (``Z``, offsets, a space for ``T``) as UTC, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return iso_utc(moment)


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


def _stable_id(kind: str, key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}"))
