"""A post's fields straight from the lines of a plain archive front matter.

Archive front matter is a handful of one-line ``key: value`` pairs in a fixed template
(``layout``, ``title``, ``date``, ``author``, ``from``, ``tags``, ``comments``,
``categories``). For such a front matter `quick_fields` gives the post's fields in one
pass over its lines, without building the YAML mapping first and normalising it after
(`parse_simple` then `parse._build_fields`, which took about half of a file's parse).

Each line is read as `parse_simple` reads it (the usual title, date, source and tag-list
lines by the same checks as `yamlfast`'s; any other line by `parse_simple` itself) and
each value goes through the same cleaners, so the result is the same (tests compare the
two on every fixture, every real archive file and generated front matter). Lines that
repeat across an archive (``layout: post``, an author, a category list) are looked up
whole. Anything else gives None and the general path takes over: a missing or empty
title, date or source (the body's header would be needed), a date that is not a real
date (a problem to report), an alias such as ``authors`` or ``url``, a key written
twice, keys that are not lower case, any line `parse_simple` declines.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tui.corpus import fields as F
from tui.corpus.text import clean_line
from tui.corpus.yamlfast import (
    ISO_Z,
    flow_strings,
    has_yaml_break,
    parse_simple,
    plain_string,
)

_TITLE, _DATE, _AUTHOR, _TAGS, _CATEGORIES, _SOURCE, _EXTRA = range(7)

_SLOTS = {
    "title": _TITLE,
    "date": _DATE,
    "author": _AUTHOR,
    "tags": _TAGS,
    "categories": _CATEGORIES,
    "from": _SOURCE,
}
"""The keys this path reads into fields (the first of each field's aliases)."""

_LISTS = frozenset({"tags", "categories"})

_DECLINED = F.KNOWN_KEYS - set(_SLOTS)
"""The other aliases: their precedence is the general path's business."""

_LINES: dict[str, tuple[int, Any]] = {}
"""Lines already seen, with their slot and the cleaned value (authors, tag and category
lists, extras): an archive repeats them in thousands of files."""
_LINES_LIMIT = 10_000
"""Emptied when full: an archive repeats a few hundred authors and tag lists, and a
process that parses in place (the app, on a busy machine) keeps this table."""
_UNIQUE = frozenset({_TITLE, _DATE, _SOURCE})
"""Slots whose lines are (nearly) unique to a file: not worth keeping in `_LINES`."""

QuickFields = tuple[
    str, datetime, str, tuple[str, ...], tuple[str, ...], str, tuple[tuple[str, str], ...]
]
"""(title, date, author, tags, categories, source, extras)."""


def quick_fields(front: str) -> QuickFields | None:
    """The fields of a plain front matter, or None to leave it to the general path.

    Args:
        front: The text between the front matter's delimiter lines.

    Returns:
        (title, date, author, tags, categories, source, extras), each exactly what
        `parse._build_fields` makes of `parse_simple`'s mapping of ``front``; None when
        this path is not sure of that (see the module's text).
    """
    if not front.isascii() and has_yaml_break(front):
        return None
    found: list[Any] = [None] * _EXTRA
    extras: list[tuple[str, tuple[str, str]]] = []
    lines = _LINES
    for line in front.strip("\n").split("\n"):
        known = lines.get(line)
        if known is None:
            known = _line(line)
            if known is None:
                return None
            if known[0] not in _UNIQUE:
                if known is _SKIP:
                    continue  # a blank or comment line
                if len(line) < 200:
                    if len(lines) >= _LINES_LIMIT:
                        lines.clear()
                    lines[line] = known
        slot, value = known
        if slot == _EXTRA:
            extras.append(value)
        elif found[slot] is None:
            found[slot] = value
        else:
            # A key written twice: YAML keeps the last value at the first one's place;
            # the general path does that.
            return None
    title, date, author, tags, categories, source = found
    if title is None or date is None or source is None:
        return None
    if len(extras) > 1 and len({key for key, _ in extras}) < len(extras):
        return None
    return (
        title,
        date,
        _NO_AUTHOR if author is None else author,
        () if tags is None else tags,
        () if categories is None else categories,
        source,
        tuple([pair for _, pair in extras]),
    )


_NO_AUTHOR = F.shared_author(None)
_SKIP = (_EXTRA + 1, None)


def _line(line: str) -> tuple[int, Any] | None:
    """One line's slot and cleaned value; `_SKIP` for a blank or comment line; None
    when the line is not for this path."""
    key, colon, rest = line.partition(":")
    raw = rest.strip(" ")
    # The usual quoted title and timestamp, as `parse_simple` reads them, inlined.
    if key == "title" and rest[:1] == " " and raw[:1] == '"':
        # `yamlfast.double_quoted`, inlined: the call alone was ~0.7% of a file's parse.
        inner = raw[1:-1]
        if len(raw) < 2 or raw[-1] != '"' or '"' in inner or "\\" in inner or "\t" in inner:
            return None
        return _title(inner)
    if key == "date" and rest[:1] == " " and raw[10:11] == "T" and ISO_Z.fullmatch(raw):
        try:
            return _date(datetime.fromisoformat(raw))
        except ValueError:
            return None  # an impossible date: a problem to report
    if key == "from" and rest[:1] == " ":
        value = plain_string(raw)
        if value is not None:
            return _source(value)
    if key in _LISTS and rest[:1] == " ":
        # Tag lists are often unique to a file: read without `parse_simple`'s memos.
        items = flow_strings(raw) if raw[:1] == "[" else None
        if items is not None:
            return _SLOTS[key], F.shared_list(items or None)
    mapping = parse_simple(line)
    if mapping is None:
        return None
    if not mapping:
        return _SKIP
    ((key, value),) = mapping.items()
    slot = _SLOTS.get(key)
    if slot is None:
        if key in _DECLINED or not F.is_folded(key):
            return None
        return _EXTRA, (key, F.extra(key, value))
    if slot == _TITLE:
        return _title(value) if type(value) is str else None
    if slot == _DATE:
        return _date(value)
    if slot == _SOURCE:
        return _source(value) if type(value) is str and value else None
    if slot == _AUTHOR:
        # `_build_fields` looks at the aliases when the value is not a non-empty string.
        return (_AUTHOR, F.shared_author(value)) if type(value) is str and value else None
    return slot, F.shared_list(F.pick({key: value}, (key,)))


def _title(raw: str) -> tuple[int, str] | None:
    title = clean_line(raw)
    return (_TITLE, title) if title else None


def _source(value: str) -> tuple[int, str] | None:
    source = F.clean_source(value)
    return None if source is None else (_SOURCE, source)


def _date(value: Any) -> tuple[int, datetime] | None:
    if type(value) is datetime and value.tzinfo is UTC:
        return _DATE, value
    date = F.parse_date(value)
    return None if date is None else (_DATE, date)
