"""Front matter values to a post's fields: aliases, dates, lists, cleaned text.

Everything here is pure and total: any value YAML can produce is turned into a field
value or reported as unusable, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from sys import intern
from typing import Any

from tui.corpus.text import clean_line, display_text, needs_cleaning, sanitize

TITLE_KEYS = ("title",)
DATE_KEYS = ("date",)
AUTHOR_KEYS = ("author", "authors")
TAG_KEYS = ("tags",)
CATEGORY_KEYS = ("categories", "category")
SOURCE_KEYS = ("from", "source", "url", "link")
KNOWN_KEYS = frozenset(
    TITLE_KEYS + DATE_KEYS + AUTHOR_KEYS + TAG_KEYS + CATEGORY_KEYS + SOURCE_KEYS
)
"""Keys read into fields; every other key is kept as an extra."""

_OFFSET_DATE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)
_BARE_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_FILE_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})-")


def fold_keys(mapping: Mapping[Any, Any]) -> dict[str, Any]:
    """Lower-case the keys; when two keys fold together the first non-empty value wins.

    Args:
        mapping: The front matter mapping (keys may be any YAML scalar).

    Returns:
        A dict keyed by lower-cased string keys, in the original order.
    """
    if _ALREADY_FOLDED.issuperset(mapping):
        return dict(mapping)  # every key is folded already (the usual case), one C call
    quick = {_fold(key): value for key, value in mapping.items()}
    if len(quick) == len(mapping):
        return quick  # no two keys fold together (the usual case)
    folded: dict[str, Any] = {}
    for key, value in mapping.items():
        name = _fold(key)
        if name not in folded or _is_empty(folded[name]):
            folded[name] = value
    return folded


def _fold(key: Any) -> str:
    """A key as text, stripped and lower-cased (memoised: archives reuse a few keys)."""
    if type(key) is str:
        folded = _FOLDED.get(key)
        if folded is None:
            if len(_FOLDED) > 10_000:
                _FOLDED.clear()
                _ALREADY_FOLDED.clear()
            folded = _FOLDED[key] = key.strip().lower()
            if folded == key:
                _ALREADY_FOLDED.add(key)
        return folded
    return str(key).strip().lower()


def folded(mapping: Mapping[Any, Any]) -> Mapping[str, Any]:
    """`fold_keys` for reading only: the mapping itself when every key is folded already."""
    if _ALREADY_FOLDED.issuperset(mapping):
        return mapping  # the usual case: one C call, no copy
    return fold_keys(mapping)


_FOLDED: dict[str, str] = {}
_ALREADY_FOLDED: set[str] = set()
"""Keys seen that fold to themselves (``title``, ``date``...)."""


def pick(fields: Mapping[str, Any], keys: Iterable[str]) -> Any:
    """The first non-empty value among ``keys`` (aliases, in order of preference)."""
    for key in keys:
        value = fields.get(key)
        # Inlined `not _is_empty(value)`: this runs six times per post.
        if value is not None and (value or type(value) not in _CONTAINERS):
            return value
    return None


_CONTAINERS = (str, list, dict)


def extra(key: str, value: Any) -> tuple[str, str]:
    """An extra front matter field as (key, value as text), both sanitized.

    Args:
        key: The folded key.
        value: Its raw value.

    Returns:
        The pair a `Post` keeps in ``extras`` (memoised: ``layout: post`` and the like
        repeat in every file of an archive).
    """
    kind = type(value)
    if kind not in _SCALARS:
        return sanitize(key), sanitize(as_text(value))
    memo_key = (key, kind, value)  # the type too: True == 1, but "true" != "1"
    found = _EXTRAS.get(memo_key)
    if found is None:
        if len(_EXTRAS) > 10_000:
            _EXTRAS.clear()
        found = _EXTRAS[memo_key] = (sanitize(key), sanitize(as_text(value)))
    return found


_SCALARS = frozenset({str, bool, int, float, type(None)})
_EXTRAS: dict[tuple[str, type, Any], tuple[str, str]] = {}


def _is_empty(value: Any) -> bool:
    return value is None or (type(value) in (str, list, dict) and not value)


def as_text(value: Any) -> str:
    """Render any YAML value as one line of text (lists joined with ", ")."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(as_text(item) for item in value if not _is_empty(item))
    if isinstance(value, dict):
        return ", ".join(f"{as_text(k)}: {as_text(v)}" for k, v in value.items())
    return str(value)


def clean_title(value: Any) -> str:
    """A title: entity-decoded (up to 3 rounds), controls removed, whitespace collapsed."""
    return clean_line(value if type(value) is str else as_text(value))


def clean_author(value: Any) -> str:
    """An author or a list of authors joined with ", ", cleaned like a title."""
    if type(value) is str:
        return clean_line(value)
    if isinstance(value, list | tuple):
        return ", ".join(a for a in (clean_line(as_text(v)) for v in value) if a)
    return clean_line(as_text(value))


def shared_author(value: Any) -> str:
    """`clean_author`, interned: one string per author however many posts name it."""
    if type(value) is str:
        found = _AUTHORS.get(value)
        if found is None:
            if len(_AUTHORS) > 10_000:
                _AUTHORS.clear()
            found = _AUTHORS[value] = intern(clean_line(value))
        return found
    return intern(clean_author(value))


_AUTHORS: dict[str, str] = {}
"""Cleaned, interned authors by the front matter string (archives repeat a few hundred)."""


def shared_list(value: Any) -> tuple[str, ...]:
    """`clean_list` with every name interned, memoised for lists of strings.

    Tags and categories repeat across posts: one shared tuple per distinct list.
    """
    if type(value) is list:
        try:
            joined = ",".join(value)  # TypeError unless every item is a string
        except TypeError:
            return tuple(map(intern, clean_list(value)))
        key = tuple(value)  # strings only: no 1 == True collision between lists
        found = _LISTS.get(key)
        if found is None:
            if " " not in joined and "" not in value and not needs_cleaning(joined):
                # Plain names with nothing to strip, decode or remove: drop repeats only.
                found = tuple(map(intern, dict.fromkeys(value)))
            else:
                found = tuple(map(intern, clean_list(value)))
            if len(_LISTS) > 10_000:
                _LISTS.clear()
            _LISTS[key] = found
        return found
    return tuple(map(intern, clean_list(value)))


_LISTS: dict[tuple[str, ...], tuple[str, ...]] = {}


def extras(fields: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The `extra` pairs of every key but the `KNOWN_KEYS`, in the mapping's order.

    Args:
        fields: The folded front matter.

    Returns:
        What a `Post` keeps in ``extras``.
    """
    keys = tuple(fields)
    names = _EXTRA_NAMES.get(keys)
    if names is None:
        # Which keys are extras depends on the keys only: archives repeat a few key sets.
        if len(_EXTRA_NAMES) > 1_000:
            _EXTRA_NAMES.clear()
        names = _EXTRA_NAMES[keys] = tuple(k for k in keys if k not in KNOWN_KEYS)
    return tuple([extra(name, fields[name]) for name in names]) if names else ()


_EXTRA_NAMES: dict[tuple[str, ...], tuple[str, ...]] = {}


def clean_list(value: Any) -> tuple[str, ...]:
    """Tags or categories: a list, or one string split on commas; empties and repeats dropped."""
    if _is_empty(value):
        return ()
    if type(value) is list:
        try:
            joined = ",".join(value)  # TypeError unless every item is a string
        except TypeError:
            joined = "&"  # something to clean: the general path below
        if not needs_cleaning(joined):
            # Plain strings with nothing to decode or remove: strip and drop repeats only.
            if " " not in joined and "" not in value:
                return tuple(dict.fromkeys(value))  # nothing to strip either
            return tuple(dict.fromkeys(s for s in (v.strip() for v in value) if s))
    items: list[Any]
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list | tuple | set):
        items = list(value)
    else:
        items = [value]
    seen: dict[str, None] = {}
    for item in items:
        text = clean_line(as_text(item))
        if text:
            seen.setdefault(text, None)
    return tuple(seen)


def clean_source(value: Any) -> str | None:
    """The source URL, stripped; None when empty."""
    if type(value) is str and value.isascii() and value.isprintable():
        return value.strip() or None  # no control character to remove (the usual URL)
    text = sanitize(as_text(value)).strip()
    return text or None


def to_utc(value: datetime) -> datetime:
    """An aware UTC datetime; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_date(value: Any) -> datetime | None:
    """Parse a front matter date in any accepted form.

    Accepts a YAML timestamp or date, ISO 8601 (``Z``, offsets, fractions),
    ``YYYY-MM-DD HH:MM:SS +0800``, a bare date (midnight UTC) and RFC 2822.

    Args:
        value: The raw value from the front matter.

    Returns:
        An aware UTC datetime, or None when the value is not a usable date.
    """
    if isinstance(value, datetime):
        return to_utc(value)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    if not isinstance(value, str):
        return None
    return _parse_date_text(value.strip())


def _parse_date_text(text: str) -> datetime | None:
    """The string forms, most common first; impossible values give None."""
    try:
        if m := _OFFSET_DATE.fullmatch(text):
            return _from_match(m)
        if m := _BARE_DATE.fullmatch(text):
            y, mo, d = (int(g) for g in m.groups())
            return datetime(y, mo, d, tzinfo=UTC)
    except (ValueError, OverflowError):
        return None
    try:
        return to_utc(datetime.fromisoformat(text))
    except ValueError:
        pass
    try:
        return to_utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _from_match(m: re.Match[str]) -> datetime:
    """Build the datetime of an `_OFFSET_DATE` match (may raise ValueError)."""
    y, mo, d, hh, mm, ss, frac, tz = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    value = datetime(int(y), int(mo), int(d), int(hh), int(mm), int(ss or 0), micro)
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
        return value.replace(tzinfo=UTC) - timedelta(minutes=offset)
    return value.replace(tzinfo=UTC)


def date_from_epoch_ms(ms: int) -> datetime | None:
    """The ``<!--epoch-ms-->`` marker as an aware UTC datetime (None when out of range)."""
    try:
        return datetime.fromtimestamp(ms / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def date_from_file_name(name: str) -> datetime | None:
    """A ``YYYY-MM-DD-`` file name prefix as midnight UTC (None when absent or impossible)."""
    m = _FILE_DATE.match(name)
    if m is None:
        return None
    try:
        return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=UTC)
    except ValueError:
        return None


def title_from_file_name(name: str) -> str:
    """A file name without its extension and ``YYYY-MM-DD-`` prefix, as a last-resort title."""
    stem = name.rsplit(".", 1)[0] if "." in name[1:] else name
    stem = _FILE_DATE.sub("", stem, count=1) or stem
    return clean_line(display_text(stem))
