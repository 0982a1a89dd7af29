"""One post file to a `Post` record (and the problems met on the way).

Listing never reads a whole body: only the first `HEAD_BYTES` of a file (more only while
the front matter is not closed), then the front matter and the archive header.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from sys import intern
from typing import Any

import yaml

from tui.corpus import fields as F
from tui.corpus.errors import FileProblem
from tui.corpus.files import FM_BOUNDARY, decode_bytes, read_bytes, split_front_matter
from tui.corpus.header import HEADER_LINES, ArchiveHeader, split_archive_header
from tui.corpus.ids import post_id
from tui.corpus.model import Post, Problem, ProblemKind
from tui.corpus.text import sanitize
from tui.corpus.yamlfast import TolerantLoader, load_yaml, parse_simple

HEAD_BYTES = 2 * 1024
"""Bytes read to list a post: real front matter plus the archive header fit within this.

(The real archives' front matter is at most ~550 bytes; decoding is a good part of the
cost of a file, so less is read than a whole typical post.)

More is read only while the front matter is not closed within what was read, or when
the archive header is needed and its lines may run past what was read.
"""


@dataclass(slots=True)
class Parsed:
    """What parsing one file gave: a post (None when nothing usable) and problems."""

    post: Post | None
    problems: list[Problem] = field(default_factory=list)


@dataclass(slots=True)
class _FrontMatter:
    """The mapping read from a file's front matter, or why there is none."""

    mapping: dict[Any, Any]
    body: str
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
    """
    try:
        if reference:
            text, encoding = decode_bytes(read_bytes(path))
            front = _front_matter_reference(text)
            partial = False
        else:
            text, encoding, split, partial = _read_head(path)
            front = _front_matter_fast(text, split)
    except FileProblem as exc:
        return Parsed(None, [Problem(path, exc.kind, str(exc))])
    header = _LazyHeader(front.body, path if partial else None)
    problems: list[Problem] = []
    if encoding != "utf-8":
        problems.append(
            Problem(path, "encoding", f"it is not UTF-8; it was read as {encoding}.", True)
        )
    if front.error is not None:
        kind, reason = front.error
        if header.get().title is None:
            return Parsed(None, [*problems, Problem(path, kind, reason)])
        reason = reason[:-1] + "; listed with the title from the body header."
        problems.append(Problem(path, kind, reason, True))
    post = _build_post(path, rel_path, size, mtime_ns, encoding, front.mapping, header, problems)
    return Parsed(post, problems)


class _LazyHeader:
    """The body's archive header, split off only if a field needs it.

    Most archive posts have title, date and source in the front matter: their header
    is never looked at, which saves a good part of the per-file cost. When only the
    head of the file was read and its last, possibly cut, line could be part of the
    header, the whole file is read for it (so the result is the reference's).
    """

    __slots__ = ("_body", "_header", "_path")

    def __init__(self, body: str, path: str | None) -> None:
        """``path``: the file, when ``body`` comes from a partial read (else None)."""
        self._body = body
        self._path = path
        self._header: ArchiveHeader | None = None

    def get(self) -> ArchiveHeader:
        if self._header is None:
            body = self._body
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


def _read_head(path: str) -> tuple[str, str, list[str] | None, bool]:
    """Decode the file's head, reading on while the front matter is not closed.

    Returns:
        (text, encoding, the front matter split of the text (see `_split`), whether
        the text is only the head of the file).
    """
    limit = HEAD_BYTES
    while True:
        data = read_bytes(path, limit)
        partial = len(data) >= limit
        text, encoding = decode_bytes(data, partial=partial)
        split = _split(text)
        if not partial or split is None or len(split) == 3:
            return text, encoding, split, partial
        limit *= 4


def _split(text: str) -> list[str] | None:
    """`FM_BOUNDARY.split` of the text when it opens a front matter, else None.

    Three parts (before, front matter, body) when the front matter is closed; fewer
    when it is not.
    """
    stripped = text.lstrip()
    if not FM_BOUNDARY.match(stripped):
        return None
    return FM_BOUNDARY.split(stripped, 2)


_UNCLOSED = "the front matter has no closing '---' line."


def _front_matter_fast(text: str, split: list[str] | None) -> _FrontMatter:
    """Parse with the hand-written parser, PyYAML's C loader as the fallback.

    ``split`` is `_split` of ``text``: the same places `split_front_matter` cuts at.
    """
    if split is None:
        return _FrontMatter({}, text)
    if len(split) < 3:
        return _FrontMatter({}, text, ("yaml", _UNCLOSED))
    fm, body = split[1], split[2]
    simple = parse_simple(fm)
    if simple is not None:
        return _FrontMatter(simple, body)
    return _load(fm, body, _first_line(text))


def _front_matter_reference(text: str) -> _FrontMatter:
    """Split with python-frontmatter's own handler and parse with PyYAML only."""
    from frontmatter.default_handlers import YAMLHandler

    handler = YAMLHandler()
    stripped = text.strip()
    if not handler.detect(stripped):
        return _FrontMatter({}, text)
    try:
        fm, body = handler.split(stripped)
    except ValueError:
        return _FrontMatter({}, text, ("yaml", _UNCLOSED))
    try:
        data = handler.load(fm, Loader=TolerantLoader)
    except yaml.YAMLError as exc:
        return _FrontMatter({}, body, ("yaml", _yaml_reason(exc, _first_line(text))))
    return _mapping_or_error(data, body)


def _first_line(text: str) -> int:
    """The 0-based line of the opening ``---`` (leading blank lines are allowed)."""
    return text[: len(text) - len(text.lstrip())].count("\n")


def _load(fm: str, body: str, offset: int) -> _FrontMatter:
    """PyYAML for front matter the fast path declined."""
    try:
        data = load_yaml(fm)
    except yaml.YAMLError as exc:
        return _FrontMatter({}, body, ("yaml", _yaml_reason(exc, offset)))
    return _mapping_or_error(data, body)


def _mapping_or_error(data: Any, body: str) -> _FrontMatter:
    if data is None:
        return _FrontMatter({}, body)
    if not isinstance(data, dict):
        kind = type(data).__name__
        what = {"list": "a list", "str": "a single string"}.get(kind, f"a {kind}")
        reason = f"the front matter is {what}, not a mapping of keys to values."
        return _FrontMatter({}, body, ("not-mapping", reason))
    return _FrontMatter(data, body)


def _yaml_reason(exc: yaml.YAMLError, offset: int) -> str:
    """One sentence naming the file line of a YAML error."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "it cannot be parsed"
    if mark is None:
        return f"the front matter is not valid YAML ({problem})."
    # The front matter text starts on the opening '---' line, hence the offset.
    line = offset + mark.line + 1
    return f"the front matter is not valid YAML (line {line}: {problem})."


def _build_post(
    path: str,
    rel_path: str,
    size: int,
    mtime_ns: int,
    encoding: str,
    mapping: dict[Any, Any],
    header: _LazyHeader,
    problems: list[Problem],
) -> Post:
    """Normalise every field, with the header and the file name as fallbacks."""
    f = F.fold_keys(mapping)
    name = path[path.rfind(os.sep) + 1 :]  # os.path.basename, without its call overhead
    title = F.clean_title(F.pick(f, F.TITLE_KEYS))
    if not title and header.get().title is not None:
        title = F.clean_title(header.get().title)
    title = title or F.title_from_file_name(name) or name
    date = _date(path, f, header, problems) or F.date_from_file_name(name)
    source = F.clean_source(F.pick(f, F.SOURCE_KEYS)) or F.clean_source(header.get().url)
    known = F.KNOWN_KEYS
    extras = tuple(F.extra(key, value) for key, value in f.items() if key not in known)
    return Post(
        post_id(source, rel_path),
        path,
        rel_path,
        title,
        date,
        # Authors, tags and categories repeat across thousands of posts: one shared
        # string each instead of one per post.
        intern(F.clean_author(F.pick(f, F.AUTHOR_KEYS))),
        tuple(map(intern, F.clean_list(F.pick(f, F.TAG_KEYS)))),
        tuple(map(intern, F.clean_list(F.pick(f, F.CATEGORY_KEYS)))),
        source,
        extras,
        size,
        mtime_ns,
        encoding,
    )


def _date(
    path: str, f: dict[str, Any], header: _LazyHeader, problems: list[Problem]
) -> datetime | None:
    """The front matter date, else the epoch marker, else the ``日期：`` line."""
    raw_date = F.pick(f, F.DATE_KEYS)
    if raw_date is not None:
        date = F.parse_date(raw_date)
        if date is not None:
            return date
        shown = sanitize(F.as_text(raw_date))[:60]
        problems.append(
            Problem(path, "fields", f"the date '{shown}' is not a real date; ignored.", True)
        )
    found = header.get()
    if found.epoch_ms is not None:
        date = F.date_from_epoch_ms(found.epoch_ms)
        if date is not None:
            return date
    return found.date
