"""The metadata cache: a second start on an unchanged archive parses no YAML at all.

One file per set of corpus roots, in the user cache folder (mode 0700), JSON written
with orjson (never pickle). Each entry is keyed by the file's absolute path and checked
against its size and mtime_ns; the file carries a format version and postil's version,
and any file that does not match, does not parse or has the wrong shape is ignored (and
rebuilt by the next load). Writes go to a temporary file renamed into place, so a
reader sees the old cache or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from tui import __version__, locations
from tui.corpus.model import Post, PostId, Problem
from tui.corpus.parse import Parsed
from tui.corpus.scan import FileEntry

FORMAT_VERSION = 2
"""Bump when the layout or the parsing rules change: old caches are then ignored."""

_NOT_CACHED = frozenset({"unreadable", "loop"})
"""Problems that a chmod or a new link can cure without changing size or mtime."""

_COLUMNS = (
    "path",
    "size",
    "mtime",
    "id",
    "title",
    "date",
    "author",
    "tags",
    "categories",
    "source",
    "extras",
    "encoding",
)
"""One JSON array per field (columns parse much faster than one object per file)."""


def cache_file(roots: Sequence[str]) -> Path:
    """The cache file for a set of corpus roots (order-independent).

    Args:
        roots: Absolute corpus roots.

    Returns:
        The path in the user cache folder.
    """
    key = "\0".join(sorted(roots)).encode("utf-8", "surrogateescape")
    digest = hashlib.blake2b(key, digest_size=8).hexdigest()
    return locations.cache_dir() / f"corpus-{digest}.json"


class MetadataCache:
    """The cached parse results of one root set, read once and written back whole.

    On disk: ``format``, ``postil``, ``roots``, one array per name in `_COLUMNS` (a
    file without a post has null in the post columns) and ``problems``, a mapping from
    row number to that file's problems.
    """

    def __init__(self, roots: Sequence[str], doc: dict[str, Any] | None = None) -> None:
        """Create a cache for ``roots`` from a validated on-disk document (or empty)."""
        self.roots = list(roots)
        self._doc = doc
        self._rows: dict[str, int] = {}
        self._extras: dict[str, tuple[tuple[str, str], ...]] = {}
        """Decoded extras by their JSON text: most files share the same few."""
        if doc is not None:
            self._rows = {path: i for i, path in enumerate(doc["path"])}
        self._fresh: list[tuple[FileEntry, Parsed]] = []
        self._reused = 0

    @classmethod
    def load(cls, roots: Sequence[str]) -> MetadataCache:
        """Read the cache of ``roots``; an absent, corrupt or outdated one reads as empty."""
        try:
            doc = orjson.loads(cache_file(roots).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return cls(roots)
        if not _valid(doc, roots):
            return cls(roots)
        return cls(roots, doc)

    def get(self, entry: FileEntry) -> Parsed | None:
        """The cached result for a file whose size and mtime are unchanged, else None."""
        row = self._rows.get(entry.path)
        if row is None:
            return None
        doc = self._doc
        assert doc is not None
        try:
            if doc["size"][row] != entry.size or doc["mtime"][row] != entry.mtime_ns:
                return None
            parsed = Parsed(self._post_at(doc, row, entry), _problems_at(doc, row, entry))
        except (TypeError, ValueError, IndexError, KeyError):
            return None  # a damaged row is a miss, not a crash
        self._fresh.append((entry, parsed))
        self._reused += 1
        return parsed

    def _post_at(self, doc: dict[str, Any], row: int, entry: FileEntry) -> Post | None:
        """Row ``row`` of the post columns as a Post (None when the file had no post)."""
        pid = doc["id"][row]
        if pid is None:
            return None
        date = doc["date"][row]
        title, author, source = doc["title"][row], doc["author"][row], doc["source"][row]
        if not (isinstance(title, str) and isinstance(author, str)):
            raise TypeError("damaged row")
        return Post(
            id=PostId(str(pid)),
            path=entry.path,
            rel_path=entry.rel_path,
            title=title,
            date=datetime.fromisoformat(date) if date is not None else None,
            author=author,
            tags=tuple(doc["tags"][row]),
            categories=tuple(doc["categories"][row]),
            source=source if source is None else str(source),
            extras=self._extras_of(doc["extras"][row]),
            size=entry.size,
            mtime_ns=entry.mtime_ns,
            encoding=str(doc["encoding"][row]),
        )

    def _extras_of(self, text: str) -> tuple[tuple[str, str], ...]:
        """Decode an extras cell (JSON text of [key, value] pairs), once per distinct text."""
        found = self._extras.get(text)
        if found is None:
            found = tuple((str(k), str(v)) for k, v in orjson.loads(text))
            self._extras[text] = found
        return found

    def put(self, entry: FileEntry, parsed: Parsed) -> None:
        """Record a fresh parse result (unless it holds a problem that may cure itself)."""
        if any(p.kind in _NOT_CACHED for p in parsed.problems):
            return
        self._fresh.append((entry, parsed))

    @property
    def changed(self) -> bool:
        """True when `save` would write something different from what was read."""
        return self._reused != len(self._fresh) or self._reused != len(self._rows)

    def save(self) -> None:
        """Write this load's entries atomically; failure to write is not an error."""
        try:
            data = orjson.dumps(_encode(self.roots, self._fresh))
        except TypeError:
            # A file name that is not UTF-8 cannot go into JSON: leave those files out
            # (they are parsed again next time) rather than the whole cache.
            rows = [(e, p) for e, p in self._fresh if _encodable(e, p)]
            try:
                data = orjson.dumps(_encode(self.roots, rows))
            except TypeError:
                return
        target = cache_file(self.roots)
        with contextlib.suppress(OSError):
            locations.ensure_private_dir(target.parent)
            fd, tmp = tempfile.mkstemp(prefix=".corpus-", suffix=".tmp", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, target)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise


def _valid(doc: Any, roots: Sequence[str]) -> bool:
    """The document has this version, these roots and equally long columns."""
    if (
        not isinstance(doc, dict)
        or doc.get("format") != FORMAT_VERSION
        or doc.get("postil") != __version__
        or not isinstance(doc.get("roots"), list)
        or sorted(doc["roots"]) != sorted(roots)
        or not isinstance(doc.get("problems"), dict)
    ):
        return False
    columns: list[list[Any]] = [doc.get(name) for name in _COLUMNS]  # type: ignore[misc]
    if not all(isinstance(c, list) for c in columns):
        return False
    n = len(columns[0])
    return all(len(c) == n for c in columns) and all(isinstance(p, str) for p in doc["path"])


def _problems_at(doc: dict[str, Any], row: int, entry: FileEntry) -> list[Problem]:
    raw = doc["problems"].get(str(row))
    if not raw:
        return []
    return [Problem(entry.path, kind, str(reason), bool(rec)) for kind, reason, rec in raw]


def _encode(roots: list[str], rows: list[tuple[FileEntry, Parsed]]) -> dict[str, Any]:
    """The on-disk document for these rows."""
    doc: dict[str, Any] = {"format": FORMAT_VERSION, "postil": __version__, "roots": roots}
    columns: dict[str, list[Any]] = {name: [] for name in _COLUMNS}
    problems: dict[str, list[list[Any]]] = {}
    for row, (entry, parsed) in enumerate(rows):
        columns["path"].append(entry.path)
        columns["size"].append(entry.size)
        columns["mtime"].append(entry.mtime_ns)
        post = parsed.post
        values: tuple[Any, ...]
        if post is None:
            values = (None,) * 9
        else:
            values = (
                post.id,
                post.title,
                post.date.isoformat() if post.date is not None else None,
                post.author,
                list(post.tags),
                list(post.categories),
                post.source,
                orjson.dumps(post.extras).decode("utf-8"),
                post.encoding,
            )
        for name, value in zip(_COLUMNS[3:], values, strict=True):
            columns[name].append(value)
        if parsed.problems:
            problems[str(row)] = [[p.kind, p.reason, p.recovered] for p in parsed.problems]
    doc.update(columns)
    doc["problems"] = problems
    return doc


def _encodable(entry: FileEntry, parsed: Parsed) -> bool:
    """True when the row's strings are valid Unicode (no surrogate escapes)."""
    texts = [entry.path, *(p.reason for p in parsed.problems)]
    if parsed.post is not None:
        texts += [parsed.post.title, parsed.post.author, parsed.post.source or ""]
    try:
        for text in texts:
            text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
