"""Front matter YAML to a mapping: a fast hand-written path and the PyYAML reference.

Most archives write plain headers (``key: value``, ``"quoted"``, ``[a, b]`` lists). For
those, `parse_simple` builds the mapping without running a YAML parser, resolving each
plain scalar with PyYAML's own resolver and constructors, so the result is identical to
``yaml.load`` (a test compares the two on every fixture and real file). Anything it is
not sure about returns None and `load_yaml` (PyYAML's C loader) takes over.

One deliberate difference from bare PyYAML, made in both paths: a timestamp that looks
like a date but is impossible (``2023-13-45``) stays a string instead of aborting the
whole front matter, so the post is listed with its other fields and a problem record.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

STR_TAG = "tag:yaml.org,2002:str"
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"

_BaseLoader: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)


def _tolerant_timestamp(loader: SafeConstructor, node: ScalarNode) -> Any:
    """PyYAML's timestamp, or the text itself when it is not a real date."""
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return str(node.value)


class TolerantLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """PyYAML's safe C loader, except that impossible timestamps stay strings."""


TolerantLoader.add_constructor(TIMESTAMP_TAG, _tolerant_timestamp)


def load_yaml(text: str) -> Any:
    """Parse front matter with PyYAML (C loader, safe, tolerant timestamps).

    Args:
        text: The YAML between the front matter delimiters.

    Returns:
        Whatever the document holds (None for an empty one).

    Raises:
        yaml.YAMLError: The text is not valid YAML.
    """
    return yaml.load(text, Loader=TolerantLoader)  # noqa: S506 - a safe loader subclass


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_PLAIN_FORBIDDEN_START = frozenset("-?:,[]{}#&*!|>'\"%@`")
_ITEM_FORBIDDEN = re.compile(r"[\[\]{}#:\"'\t]")
_PLAIN_UNSURE = re.compile(r": | #|:$|\t")
_RESOLVER = Resolver()
_RESOLVED_FIRST = frozenset(k for k in Resolver.yaml_implicit_resolvers if k)
"""First characters for which PyYAML's resolver may give a non-string tag."""
_CONSTRUCTOR = SafeConstructor()
_CONSTRUCTORS = dict(SafeConstructor.yaml_constructors)
_CONSTRUCTORS[TIMESTAMP_TAG] = _tolerant_timestamp
_NOT_PLAIN = re.compile(
    "[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
"""Characters only PyYAML reads right: what YAML treats as a line break (or a BOM), and
the control and special characters its reader rejects (the whole front matter fails)."""
_MEMO: dict[str, Any] = {}
"""Constructed plain scalars by text: tags, authors and ``post`` repeat across files."""
_MEMO_LIMIT = 50_000
_LINES: dict[str, tuple[str, Any]] = {}
"""Parsed short lines (``layout: post``, ``author: X``): archives repeat them in every file."""
_REPEATABLE = frozenset({str, bool, int, float, type(None)})
_QUOTES = frozenset({'"', "'"})
_GOOD_KEYS: set[str] = set()
"""Keys already known to be plain string keys (``title``, ``date``...)."""
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)")


class _Unsure(Exception):
    """The fast path cannot be sure it matches PyYAML: fall back."""


def parse_simple(text: str) -> dict[str, Any] | None:
    """Parse a plain ``key: value`` front matter without a YAML parser.

    Args:
        text: The YAML between the front matter delimiters.

    Returns:
        The mapping, exactly as PyYAML (tolerant timestamps) would build it; or None when
        the text uses anything beyond plain keys, quoted strings and flat ``[a, b]`` lists.
    """
    if _NOT_PLAIN.search(text) is not None:
        return None
    result: dict[str, Any] = {}
    lines = _LINES
    try:
        # The text starts and ends with a line break (after and before the dashes):
        # stripped, two lines less to look at.
        for line in text.strip("\n").split("\n"):
            known = lines.get(line)
            if known is not None:
                result[known[0]] = known[1]
                continue
            if not line or line[0] == "#" or line.isspace():
                continue
            key, colon, rest = line.partition(":")
            if not colon or (rest and rest[0] != " "):
                return None
            if key not in _GOOD_KEYS:
                if not _KEY.fullmatch(key) or (key[0] in _RESOLVED_FIRST and not _plain_key(key)):
                    return None
                if len(_GOOD_KEYS) > 10_000:
                    _GOOD_KEYS.clear()
                _GOOD_KEYS.add(key)
            raw = rest.strip(" ")
            first = raw[:1]
            # A quoted title, a list or a timestamp is nearly always unique to its file:
            # those lines are not kept in `_LINES`.
            if first == '"':
                inner = double_quoted(raw)
                if inner is None:
                    return None
                result[key] = inner
            elif first == "[":
                result[key] = _flow_list(raw)
            elif raw[10:11] == "T" and ISO_Z.fullmatch(raw):
                # The archives' usual timestamp, as `_construct` would build it (such a
                # value holds nothing `_value` declines), without its checks first.
                try:
                    result[key] = datetime.fromisoformat(raw)
                except ValueError:
                    result[key] = _value(raw)
            else:
                value = result[key] = _value(raw)
                if type(value) in _REPEATABLE and first != "'" and len(line) < 80:
                    if len(lines) >= _MEMO_LIMIT:
                        lines.clear()
                    lines[line] = (key, value)
    except _Unsure:
        return None
    return result


def _value(raw: str) -> Any:
    """One value: empty (null), quoted string, flow list or plain scalar."""
    if not raw:
        return None
    first = raw[0]
    if first == '"':
        text = double_quoted(raw)
        if text is None:
            raise _Unsure
        return text
    if first == "'":
        inner = raw[1:-1]
        if len(raw) < 2 or raw[-1] != "'" or "'" in inner or "\t" in inner:
            raise _Unsure
        return inner
    if first == "[":
        return _flow_list(raw)
    if first in _PLAIN_FORBIDDEN_START or _PLAIN_UNSURE.search(raw):
        raise _Unsure
    return _construct(raw)


def double_quoted(raw: str) -> str | None:
    """The text of a ``"quoted"`` value (``raw`` stripped of spaces) with nothing PyYAML
    would read otherwise (an escape, a tab, a quote inside); None otherwise."""
    inner = raw[1:-1]
    if len(raw) < 2 or raw[0] != '"' or raw[-1] != '"' or '"' in inner or "\\" in inner:
        return None
    return None if "\t" in inner else inner


def _flow_list(raw: str) -> list[Any]:
    """A flat ``[a, b, c]`` list of plain scalars (a new list each time: lists are mutable)."""
    known = _LISTS.get(raw)
    if known is not None:
        return list(known)
    items: list[Any] | None = _flow_items(raw)
    if items is None:
        raise _Unsure
    resolved_first = _RESOLVED_FIRST
    # Inlined `_construct`'s first test: most items are names, strings at once.
    items = [_construct(item) if item[0] in resolved_first else item for item in items]
    if len(_LISTS) >= _LISTS_LIMIT:
        _LISTS.clear()
    _LISTS[raw] = tuple(items)
    return items


def _flow_items(raw: str) -> list[str] | None:
    """The plain items of a flat flow list ``raw`` (opening with ``[``), stripped; None
    when the list is not closed, or holds anything but plain scalars."""
    if raw[-1] != "]":
        return None
    inner = raw[1:-1].strip(" ")
    if not inner:
        return []
    if _ITEM_FORBIDDEN.search(inner):
        return None
    items = [part.strip(" ") for part in inner.split(",")]
    for item in items:
        if not item or item[0] in _PLAIN_FORBIDDEN_START:
            return None
    return items


_LISTS: dict[str, tuple[Any, ...]] = {}
"""Parsed flow lists by their text: ``categories: [news]`` repeats in every file of a source."""
_LISTS_LIMIT = 10_000


def _plain_key(key: str) -> bool:
    """True when PyYAML reads ``key`` as a string (``yes``, ``null``, ``1`` are not)."""
    known = _KEYS.get(key)
    if known is None:
        if len(_KEYS) > 10_000:
            _KEYS.clear()
        known = _KEYS[key] = _resolve(key) == STR_TAG
    return known


_KEYS: dict[str, bool] = {}


def _resolve(value: str) -> str:
    """The tag PyYAML's implicit resolver gives a plain scalar."""
    return str(_RESOLVER.resolve(ScalarNode, value, (True, False)))  # type: ignore[no-untyped-call]


def _construct(value: str) -> Any:
    """Build a plain scalar the way PyYAML's safe constructor does."""
    if value[0] not in _RESOLVED_FIRST:
        return value  # no implicit resolver starts with this character: a string
    if ISO_Z.fullmatch(value):
        # The archives' usual timestamp; fromisoformat builds the same value, faster.
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass  # an impossible date: the tolerant constructor below keeps the text
    try:
        return _MEMO[value]
    except KeyError:
        pass
    tag = _resolve(value)
    if tag == STR_TAG:
        result: Any = value
    else:
        constructor = _CONSTRUCTORS.get(tag)
        if constructor is None:
            raise _Unsure
        result = constructor(_CONSTRUCTOR, ScalarNode(tag, value))
    if len(_MEMO) >= _MEMO_LIMIT:
        _MEMO.clear()
    _MEMO[value] = result
    return result
