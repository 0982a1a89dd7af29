"""One post file to a `Post` record (and the problems met on the way).

Listing never reads a whole body: only the first `HEAD_BYTES` of a file (more only while
the front matter is not closed), then the front matter and the archive header.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import yaml
from yaml.reader import ReaderError

from tui.corpus import fields as F
from tui.corpus.errors import FileProblem
from tui.corpus.files import FM_BOUNDARY, decode_bytes, read_bytes, split_front_matter
from tui.corpus.header import HEADER_LINES, ArchiveHeader, split_archive_header
from tui.corpus.ids import post_id
from tui.corpus.model import Post, PostId, Problem, ProblemKind, post_from_row, relative_part
from tui.corpus.text import clean_line, sanitize
from tui.corpus.yamlfast import TolerantLoader, load_yaml, parse_simple

HEAD_BYTES = 1024
"""Bytes read to list a post: real front matter fits within this (and nearly always the
archive header after it, which only a post missing a field needs).

(The real archives' front matter ends within ~550 bytes; decoding is a good part of the
cost of a file, ~9 µs a KB of Chinese text here, so no more is read than that needs.)

More is read only while the front matter is not closed within what was read, or when
the archive header is needed and its lines may run past what was read.
"""


@dataclass(slots=True)
class Parsed:
    """What parsing one file gave: a post (None when nothing usable) and problems."""

    post: Post | None
    problems: list[Problem] = field(default_factory=list)


_Date = TypeVar("_Date")

FieldsWith = tuple[
    PostId,
    str,
    _Date,
    str,
    tuple[str, ...],
    tuple[str, ...],
    str | None,
    tuple[tuple[str, str], ...],
    str,
]
"""A post's parsed fields with the date as ``_Date``: (id, title, date, author, tags,
categories, source, extras, encoding)."""

Fields = FieldsWith[datetime | None]
"""A post's parsed fields: the `ROW_FIELDS` less those the scan already knows (path,
rel_start, size, mtime_ns). Worker processes send these back: the parent has the rest."""


@dataclass(slots=True)
class _FrontMatter:
    """The mapping read from a file's front matter, or why there is none.

    The body is ``text[body_start:]``, sliced only if the archive header is needed.
    """

    mapping: dict[Any, Any]
    text: str
    body_start: int
    error: tuple[ProblemKind, str] | None = None


def parse_file(
    path: str, rel_path: str, size: int = 0, mtime_ns: int = 0, *, reference: bool = False
) -> Parsed:
    """Parse one post file's metadata.

    Args:
        path: Absolute path of the file.
        rel_path: Its path relative to the corpus root (POSIX separators).
        size: Its size in bytes (recorded on the post).
        mtime_ns: Its modification time (recorded on the post).
        reference: Read the whole file with python-frontmatter and PyYAML instead of
            the fast path (the tests compare the two; it is never used to list).

    Returns:
        The post, or None with at least one problem explaining why.

    Raises:
        ValueError: ``path`` does not end with ``rel_path`` (as `Post` does).
    """
    rel_start = len(path) - len(rel_path)
    fields, problems = parse_fields(path, rel_start, reference=reference)
    if fields is None:
        return Parsed(None, problems)
    if rel_start < 0 or not path.endswith(rel_path.replace("/", os.sep)):
        raise ValueError(f"{path!r} does not end with {rel_path!r}")
    return Parsed(make_post(fields, path, rel_start, size, mtime_ns), problems)


def make_post(fields: Fields, path: str, rel_start: int, size: int, mtime_ns: int) -> Post:
    """The `Post` of parsed ``fields`` and what the scan knows of the file."""
    fid, title, date, author, tags, categories, source, extras, encoding = fields
    return post_from_row(
        (fid, path, rel_start, title, date, author, tags, categories, source, extras)
        + (size, mtime_ns, encoding)
    )


def parse_fields(
    path: str, rel_start: int, *, reference: bool = False
) -> tuple[Fields | None, list[Problem]]:
    """Parse one post file's metadata to its fields (see `parse_file`).

    Args:
        path: Absolute path of the file.
        rel_start: Where its path relative to the corpus root begins in ``path``.
        reference: Use the reference parser (see `parse_file`).

    Returns:
        (the fields, or None when nothing is usable; the problems met, at least one
        when the fields are None).
    """
    try:
        if reference:
            text, encoding = decode_bytes(read_bytes(path))
            front = _front_matter_reference(text)
            partial = False
        else:
            text, encoding, bounds, partial = _read_head(path)
            front = _front_matter_fast(text, bounds)
    except FileProblem as exc:
        return None, [Problem(path, exc.kind, str(exc))]
    header = _LazyHeader(front.text, front.body_start, path if partial else None)
    problems: list[Problem] = []
    if encoding != "utf-8":
        problems.append(
            Problem(path, "encoding", f"it is not UTF-8; it was read as {encoding}.", True)
        )
    if front.error is not None:
        kind, reason = front.error
        if header.get().title is None:
            return None, [*problems, Problem(path, kind, reason)]
        reason = reason[:-1] + "; listed with the title from the body header."
        problems.append(Problem(path, kind, reason, True))
    fields = _build_fields(path, rel_start, encoding, front.mapping, header, problems)
    return fields, problems


class _LazyHeader:
    """The body's archive header, split off only if a field needs it.

    Most archive posts have title, date and source in the front matter: their header
    is never looked at, which saves a good part of the per-file cost. When only the
    head of the file was read and its last, possibly cut, line could be part of the
    header, the whole file is read for it (so the result is the reference's).
    """

    __slots__ = ("_header", "_path", "_start", "_text")

    def __init__(self, text: str, start: int, path: str | None) -> None:
        """The body is ``text[start:]``; ``path``: the file, when ``text`` comes from a
        partial read (else None)."""
        self._text = text
        self._start = start
        self._path = path
        self._header: ArchiveHeader | None = None

    def get(self) -> ArchiveHeader:
        if self._header is None:
            body = self._text[self._start :] if self._start else self._text
            if self._path is not None and _cut_line_may_matter(body):
                body = _whole_body(self._path, body)
            self._header = split_archive_header(body)[0]
        return self._header


def _cut_line_may_matter(body: str) -> bool:
    """True when the last line of a partial body could change the archive header.

    The header lies in the first `HEADER_LINES` lines; a cut line matters only if, once
    complete, it could be blank or start a header element (marker, title link, rule,
    date line).
    """
    if body.count("\n") >= HEADER_LINES:
        return False
    cut = body[body.rfind("\n") + 1 :].strip()
    return len(cut) < 4 or cut.startswith(("<!--", "[", "日期", "---", "==="))


def _whole_body(path: str, fallback: str) -> str:
    """The body of the whole file (``fallback`` if it cannot be read now)."""
    try:
        return split_front_matter(decode_bytes(read_bytes(path))[0])[1]
    except FileProblem:
        return fallback


def _read_head(path: str) -> tuple[str, str, _Bounds | None, bool]:
    """Decode the file's head, reading on while the front matter is not closed.

    Returns:
        (text, encoding, where its front matter lies (see `front_bounds`), whether
        the text is only the head of the file).
    """
    limit = HEAD_BYTES
    while True:
        data = read_bytes(path, limit)
        partial = len(data) >= limit
        text, encoding = decode_bytes(data, partial=partial)
        bounds = front_bounds(text)
        if not partial or bounds is None or bounds[2] >= 0:
            return text, encoding, bounds, partial
        limit *= 4


_Bounds = tuple[str, int, int, int]
"""(the text without leading whitespace, start of the front matter, its end or -1 when it
is not closed, start of the body or -1)."""


def front_bounds(text: str) -> _Bounds | None:
    """Where `FM_BOUNDARY.split` would cut ``text.lstrip()``, without splitting it.

    The same cuts as `split_front_matter` (and python-frontmatter): the front matter
    runs from the end of the opening ``---`` line to the start of the first line at or
    after it that `FM_BOUNDARY` matches; only lines starting with ``---`` can match, so
    only those are tried (the split's regex search tries every line start).

    Returns:
        None when the text does not open a front matter; else (the stripped text, start
        of the front matter, its end, start of the body), end and body -1 when no line
        closes it.
    """
    stripped = text.lstrip()
    opening = FM_BOUNDARY.match(stripped)
    if opening is None:
        return None
    start = pos = opening.end()
    match = FM_BOUNDARY.match
    find = stripped.find
    while (cut := find("\n---", pos)) >= 0:
        # `^` matches after a newline even at the position a match starts from.
        closing = match(stripped, cut + 1)
        if closing is not None:
            return stripped, start, cut + 1, closing.end()
        pos = cut + 1
    return stripped, start, -1, -1


_UNCLOSED = "the front matter has no closing '---' line."


def _front_matter_fast(text: str, bounds: _Bounds | None) -> _FrontMatter:
    """Parse with the hand-written parser, PyYAML's C loader as the fallback.

    ``bounds`` is `front_bounds` of ``text``.
    """
    if bounds is None:
        return _FrontMatter({}, text, 0)
    stripped, start, end, body_start = bounds
    if end < 0:
        return _FrontMatter({}, text, 0, ("yaml", _UNCLOSED))
    fm = stripped[start:end]
    simple = parse_simple(fm)
    if simple is not None:
        return _FrontMatter(simple, stripped, body_start)
    return _load(fm, stripped, body_start, _first_line(text))


def _front_matter_reference(text: str) -> _FrontMatter:
    """Split with python-frontmatter's own handler and parse with PyYAML only."""
    from frontmatter.default_handlers import YAMLHandler

    handler = YAMLHandler()
    stripped = text.strip()
    if not handler.detect(stripped):
        return _FrontMatter({}, text, 0)
    try:
        fm, body = handler.split(stripped)
    except ValueError:
        return _FrontMatter({}, text, 0, ("yaml", _UNCLOSED))
    try:
        data = handler.load(fm, Loader=TolerantLoader)
    except yaml.YAMLError as exc:
        return _FrontMatter({}, body, 0, ("yaml", _yaml_reason(exc, _first_line(text), fm)))
    return _mapping_or_error(data, body, 0)


def _first_line(text: str) -> int:
    """The 0-based line of the opening ``---`` (leading blank lines are allowed)."""
    return text[: len(text) - len(text.lstrip())].count("\n")


def _load(fm: str, text: str, body_start: int, offset: int) -> _FrontMatter:
    """PyYAML for front matter the fast path declined (the body is ``text[body_start:]``)."""
    try:
        data = load_yaml(fm)
    except yaml.YAMLError as exc:
        return _FrontMatter({}, text, body_start, ("yaml", _yaml_reason(exc, offset, fm)))
    return _mapping_or_error(data, text, body_start)


def _mapping_or_error(data: Any, text: str, body_start: int) -> _FrontMatter:
    if data is None:
        return _FrontMatter({}, text, body_start)
    if not isinstance(data, dict):
        kind = type(data).__name__
        what = {"list": "a list", "str": "a single string"}.get(kind, f"a {kind}")
        reason = f"the front matter is {what}, not a mapping of keys to values."
        return _FrontMatter({}, text, body_start, ("not-mapping", reason))
    return _FrontMatter(data, text, body_start)


def _yaml_reason(exc: yaml.YAMLError, offset: int, fm: str) -> str:
    """One sentence naming the file line of a YAML error in front matter ``fm``."""
    # The front matter text starts on the opening '---' line, hence the offset.
    if isinstance(exc, ReaderError) and isinstance(exc.character, int):
        line = offset + fm.count("\n", 0, max(0, exc.position)) + 1
        return (
            f"the front matter is not valid YAML (line {line}: the character "
            f"U+{exc.character:04X} is not allowed)."
        )
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "it cannot be parsed"
    if mark is None:
        return f"the front matter is not valid YAML ({problem})."
    line = offset + mark.line + 1
    return f"the front matter is not valid YAML (line {line}: {problem})."


def _build_fields(
    path: str,
    rel_start: int,
    encoding: str,
    mapping: dict[Any, Any],
    header: _LazyHeader,
    problems: list[Problem],
) -> Fields:
    """Normalise every field, with the header and the file name as fallbacks.

    The usual value of each field (a non-empty string under its first key, a UTC
    timestamp) is taken straight from the mapping; anything else goes through
    `fields.pick` and the general cleaners, which give the same result for it.
    """
    f = F.folded(mapping)
    get = f.get
    name = path[path.rfind(os.sep) + 1 :]  # os.path.basename, without its call overhead
    raw = get("title")
    title = clean_line(raw) if type(raw) is str else F.clean_title(F.pick(f, F.TITLE_KEYS))
    if not title and header.get().title is not None:
        title = F.clean_title(header.get().title)
    title = title or F.title_from_file_name(name) or name
    raw = get("date")
    if type(raw) is datetime and raw.tzinfo is UTC:
        date: datetime | None = raw  # what parse_date gives for it (astimezone: itself)
    else:
        date = _date(path, f, header, problems) or F.date_from_file_name(name)
    raw = get("from")
    if type(raw) is not str or not raw:
        raw = F.pick(f, F.SOURCE_KEYS)
    source = F.clean_source(raw) or F.clean_source(header.get().url)
    raw = get("author")
    if type(raw) is not str or not raw:
        raw = F.pick(f, F.AUTHOR_KEYS)
    return (
        post_id(source, relative_part(path, rel_start)) if source is None else post_id(source, ""),
        title,
        date,
        # Authors, tags and categories repeat across thousands of posts: one shared
        # string or tuple each instead of one per post.
        F.shared_author(raw),
        F.shared_list(F.pick(f, F.TAG_KEYS)),
        F.shared_list(F.pick(f, F.CATEGORY_KEYS)),
        source,
        F.extras(f),
        encoding,
    )


def _date(
    path: str, f: Mapping[str, Any], header: _LazyHeader, problems: list[Problem]
) -> datetime | None:
    """The front matter date, else the epoch marker, else the ``日期：`` line."""
    raw_date = F.pick(f, F.DATE_KEYS)
    if raw_date is not None:
        date = F.parse_date(raw_date)
        if date is not None:
            return date
        shown = sanitize(F.as_text(raw_date))[:60]
        problems.append(
            Problem(
                path,
                "fields",
                f"the date '{shown}' is not a date postil reads (use YYYY-MM-DD, with a time"
                " if any); ignored.",
                True,
            )
        )
    found = header.get()
    if found.epoch_ms is not None:
        date = F.date_from_epoch_ms(found.epoch_ms)
        if date is not None:
            return date
    return found.date
