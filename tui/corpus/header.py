"""The archive header some post bodies start with.

Archives mirrored from news sites put a small header at the top of the body::

    <!--1698361032000-->
    [the title](https://example.com/n14103768.htm)
    ------
    日期：Tue, 23 Jun 2020 07:08:36 +0000

It belongs to the archive, not to the article: the renderer drops it and the loader
takes the title, source URL and dates from it when the front matter lacks them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_EPOCH = re.compile(r"<!--\s*(\d{9,16})\s*-->\s*")
_RULE = re.compile(r"(?:-{3,}|={3,})\s*")
_DATE_LINE = re.compile(r"日期\s*[：:]\s*(.+?)\s*")
_SPACE = re.compile(r"\s")

HEADER_LINES = 8
"""Only the first few lines can hold the header; a body is never scanned further."""


@dataclass(frozen=True, slots=True)
class ArchiveHeader:
    """What the archive header of a body held (each part may be missing)."""

    title: str | None
    """The link text of the ``[title](url)`` line, as written (not entity-decoded)."""
    url: str | None
    """The link target of the ``[title](url)`` line."""
    date: datetime | None
    """The ``日期：`` line's date, aware, in UTC."""
    epoch_ms: int | None
    """The ``<!--epoch-ms-->`` marker: milliseconds since 1970 (UTC)."""


EMPTY_HEADER = ArchiveHeader(title=None, url=None, date=None, epoch_ms=None)


def parse_title_link(line: str) -> tuple[str, str] | None:
    """Parse a ``[title](url)`` line (titles may contain brackets: split at the last ``](``).

    Args:
        line: One line, surrounding whitespace allowed.

    Returns:
        (title, url), or None when the line is not a title link.
    """
    line = line.strip()
    if not (line.startswith("[") and line.endswith(")")):
        return None
    cut = line.rfind("](")
    if cut <= 0:
        return None
    url = line[cut + 2 : -1].strip()
    if _SPACE.search(url):
        return None
    return line[1:cut], url


def parse_header_date(value: str) -> datetime | None:
    """Parse a ``日期：`` value: RFC 2822 (``Tue, 23 Jun 2020 07:08:36 +0000``) or ISO 8601.

    Args:
        value: The text after ``日期：``.

    Returns:
        An aware UTC datetime (naive values are taken as UTC), or None.
    """
    value = value.strip()
    parsed: datetime | None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def split_archive_header(body: str) -> tuple[ArchiveHeader, str]:
    """Split the archive header from the top of a body.

    Recognises, in order and each optional: the ``<!--epoch-ms-->`` marker, a
    ``[title](url)`` line directly over a ``---``/``------`` rule, and a ``日期：`` line.
    Blank lines between them are skipped. A ``[title](url)`` line without the rule under
    it is article text and stays.

    Args:
        body: The body as `tui.corpus.files.read_body` returns it.

    Returns:
        (the header found, the rest of the body, otherwise untouched).
    """
    lines = body.split("\n", HEADER_LINES)
    i = _skip_blank(lines, 0)
    epoch_ms: int | None = None
    title: str | None = None
    url: str | None = None
    date: datetime | None = None
    if i < len(lines) and lines[i].startswith("<!--") and (m := _EPOCH.fullmatch(lines[i])):
        epoch_ms = int(m.group(1))
        i = _skip_blank(lines, i + 1)
    if i + 1 < len(lines) and _RULE.fullmatch(lines[i + 1]):
        link = parse_title_link(lines[i])
        if link is not None:
            title, url = link
            i = _skip_blank(lines, i + 2)
    if i < len(lines) and lines[i].startswith("日期") and (m := _DATE_LINE.fullmatch(lines[i])):
        date = parse_header_date(m.group(1))
        i = _skip_blank(lines, i + 1)
    if epoch_ms is None and title is None and date is None:
        return EMPTY_HEADER, body
    header = ArchiveHeader(title=title, url=url or None, date=date, epoch_ms=epoch_ms)
    return header, "\n".join(lines[i:])


def _skip_blank(lines: list[str], i: int) -> int:
    """The index of the first non-blank line at or after ``i`` (among the header lines)."""
    while i < len(lines) - 1 and not lines[i].strip():
        i += 1
    return i
