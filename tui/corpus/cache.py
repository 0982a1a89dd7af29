"""The metadata cache: a second start on an unchanged archive parses no YAML at all.

One file per set of corpus roots, in the user cache folder (mode 0700), JSON written
with orjson (never pickle) after a first line holding the format and a CRC-32 of the
JSON, so a damaged file (cut short, bits flipped, edited) is recognised before any of
it is used and the fast path need not check every value's type. Each row is keyed by
the file's absolute path and checked against its size and mtime_ns; the file carries a
format version and postil's version, and any file that does not match, does not parse
or has the wrong shape is ignored (and rebuilt by the next load). Writes go to a
temporary file renamed into place, so a reader sees the old cache or the new one,
never half of one.

Two ways to read it:

- `MetadataCache.whole`: when the scan found exactly the files of the last load, with
  the same sizes and mtimes (the usual second start), every post is rebuilt column by
  column in the order the last load returned them: no per-file Python work beyond the
  `Post` itself, no sorting;
- `MetadataCache.get`: otherwise, row by row for the files that did not change.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

from tui import __version__, locations
from tui.corpus.model import Post, PostId, Problem
from tui.corpus.parse import Parsed
from tui.corpus.records import make_post
from tui.corpus.scan import FileEntry

FORMAT_VERSION = 3
"""Bump when the layout or the parsing rules change: old caches are then ignored."""

NOT_CACHED = frozenset({"unreadable", "loop"})
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

_POST_COLUMNS = _COLUMNS[3:]

_NONE = type(None)


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

    On disk: ``format``, ``postil``, ``roots``; one array per name in `_COLUMNS`, one
    row per file in scan order (a file without a post has null in the post columns;
    ``extras`` holds an index into ``extras_table``, the distinct extras); ``order``,
    the rows of the posts in the order the load returned them; and ``problems``, a
    mapping from row number to that file's problems.
    """

    def __init__(self, roots: Sequence[str], doc: dict[str, Any] | None = None) -> None:
        """Create a cache for ``roots`` from a validated on-disk document (or empty)."""
        self.roots = list(roots)
        self._doc = doc
        self._rows: dict[str, int] | None = None
        self._extras: list[tuple[tuple[str, str], ...] | None] = []
        if doc is not None:
            self._extras = [None] * len(doc["extras_table"])
        self.hits = 0
        """Rows `get` returned."""
        self.damaged = False
        """`whole` found the files unchanged but a cached value unusable: rewrite it."""

    @classmethod
    def load(cls, roots: Sequence[str]) -> MetadataCache:
        """Read the cache of ``roots``; an absent, corrupt or outdated one reads as empty."""
        try:
            doc = orjson.loads(unframe(cache_file(roots).read_bytes()))
        except (OSError, ValueError):  # orjson.JSONDecodeError is a ValueError
            return cls(roots)
        if not _valid(doc, roots):
            return cls(roots)
        return cls(roots, doc)

    @property
    def size(self) -> int:
        """Rows in the cache."""
        return 0 if self._doc is None else len(self._doc["path"])

    def whole(self, files: Sequence[FileEntry]) -> tuple[list[Post], list[Problem]] | None:
        """Every post and problem of the last load, if ``files`` are exactly its files.

        Args:
            files: The scan's files, in scan order.

        Returns:
            (posts in the order the last load returned them, with their ids before
            `dedupe_ids`; the problems of those files), or None when any file was added,
            removed or changed (then `get` sorts out what can be reused).
        """
        doc = self._doc
        if doc is None or len(files) != len(doc["path"]):
            return None
        paths, rels, sizes, mtimes = zip(*files, strict=True) if files else ((),) * 4
        if list(paths) != doc["path"] or list(sizes) != doc["size"] or list(mtimes) != doc["mtime"]:
            return None
        try:
            return self._rebuild(doc, paths, rels)
        except (TypeError, ValueError, IndexError, KeyError):
            self.damaged = True
            return None  # damaged values: the row-by-row path treats them one at a time

    def _rebuild(
        self, doc: dict[str, Any], paths: tuple[str, ...], rels: tuple[str, ...]
    ) -> tuple[list[Post], list[Problem]]:
        """The posts of every row in ``order``, built column by column (C loops)."""
        order = doc["order"]
        if not order:
            posts: list[Post] = []
        else:
            # No type checks here: the checksum vouches that this is what `save` wrote.
            take = _taker(order)
            ids, titles, dates, authors, tags, cats, sources, extras, encodings = (
                take(doc[name]) for name in _POST_COLUMNS
            )
            fromiso = datetime.fromisoformat
            table = [self._extras_at(doc, i) for i in range(len(doc["extras_table"]))]
            posts = list(
                map(
                    make_post,
                    ids,
                    take(paths),
                    take(rels),
                    titles,
                    [None if d is None else fromiso(d) for d in dates],
                    authors,
                    map(tuple, tags),
                    map(tuple, cats),
                    sources,
                    map(table.__getitem__, extras),
                    take(doc["size"]),
                    take(doc["mtime"]),
                    encodings,
                )
            )
        problems: list[Problem] = []
        for row, raw in doc["problems"].items():
            problems += _problems(paths[int(row)], raw)
        return posts, problems

    def get(self, entry: FileEntry) -> Parsed | None:
        """The cached result for a file whose size and mtime are unchanged, else None."""
        doc = self._doc
        if doc is None:
            return None
        if self._rows is None:
            self._rows = {path: i for i, path in enumerate(doc["path"])}
        row = self._rows.get(entry.path)
        if row is None:
            return None
        try:
            if doc["size"][row] != entry.size or doc["mtime"][row] != entry.mtime_ns:
                return None
            raw = doc["problems"].get(str(row))
            parsed = Parsed(self._post_at(doc, row, entry), _problems(entry.path, raw))
        except (TypeError, ValueError, IndexError, KeyError):
            return None  # a damaged row is a miss, not a crash
        self.hits += 1
        return parsed

    def _post_at(self, doc: dict[str, Any], row: int, entry: FileEntry) -> Post | None:
        """Row ``row`` of the post columns as a Post (None when the file had no post)."""
        pid = doc["id"][row]
        if pid is None:
            return None
        date = doc["date"][row]
        title, author, source = doc["title"][row], doc["author"][row], doc["source"][row]
        tags, cats = doc["tags"][row], doc["categories"][row]
        if not (
            type(pid) is str
            and type(title) is str
            and type(author) is str
            and type(source) in (str, _NONE)
            and type(date) in (str, _NONE)
            and type(tags) is list
            and type(cats) is list
            and _all_types(tags, str)
            and _all_types(cats, str)
        ):
            raise TypeError("damaged row")
        return make_post(
            id=PostId(pid),
            path=entry.path,
            rel_path=entry.rel_path,
            title=title,
            date=datetime.fromisoformat(date) if date is not None else None,
            author=author,
            tags=tuple(tags),
            categories=tuple(cats),
            source=source,
            extras=self._extras_at(doc, doc["extras"][row]),
            size=entry.size,
            mtime_ns=entry.mtime_ns,
            encoding=str(doc["encoding"][row]),
        )

    def _extras_at(self, doc: dict[str, Any], index: Any) -> tuple[tuple[str, str], ...]:
        """Entry ``index`` of the extras table as pairs (decoded once per load)."""
        if type(index) is not int or index < 0:
            raise TypeError("damaged extras index")
        found = self._extras[index]
        if found is None:
            found = tuple((str(k), str(v)) for k, v in doc["extras_table"][index])
            self._extras[index] = found
        return found

    def save(
        self, files: Sequence[FileEntry], results: Sequence[Parsed], order: Sequence[int]
    ) -> None:
        """Write this load's results atomically; failure to write is not an error.

        Args:
            files: The scan's files.
            results: Their parse results (same length and order).
            order: The rows whose posts the load returned, in the order it returned them.
        """
        rows = [
            i
            for i, parsed in enumerate(results)
            if not any(p.kind in NOT_CACHED for p in parsed.problems)
        ]
        try:
            data = orjson.dumps(_encode(self.roots, files, results, rows, order))
        except TypeError:
            # A file name that is not UTF-8 cannot go into JSON: leave those files out
            # (they are parsed again next time) rather than the whole cache.
            rows = [i for i in rows if _encodable(files[i], results[i])]
            try:
                data = orjson.dumps(_encode(self.roots, files, results, rows, order))
            except TypeError:
                return
        data = frame(data)
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


_MAGIC = b"postil-corpus-cache"


def frame(data: bytes) -> bytes:
    """The file's bytes: a line ``postil-corpus-cache FORMAT CRC32`` over the JSON."""
    return b"%s %d %08x\n%s" % (_MAGIC, FORMAT_VERSION, zlib.crc32(data), data)


def unframe(raw: bytes) -> bytes:
    """The JSON of a cache file's bytes.

    Raises:
        ValueError: Another format, or the JSON does not match its checksum.
    """
    head, _, data = raw.partition(b"\n")
    parts = head.split(b" ")
    if len(parts) != 3 or parts[0] != _MAGIC or parts[1] != b"%d" % FORMAT_VERSION:
        raise ValueError("not a cache file of this format")
    if parts[2] != b"%08x" % zlib.crc32(data):
        raise ValueError("damaged cache file")
    return data


def _taker(order: list[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A function picking the items at ``order`` from a sequence, as a tuple (in C)."""
    if len(order) == 1:
        only = order[0]
        return lambda column: (column[only],)
    return itemgetter(*order)


def _all_types(values: Any, *types: type) -> bool:
    """True when every value's exact type is one of ``types`` (a loop in C)."""
    return set(map(type, values)).issubset(types)


def _valid(doc: Any, roots: Sequence[str]) -> bool:
    """The document has this version, these roots and equally long columns."""
    if (
        not isinstance(doc, dict)
        or doc.get("format") != FORMAT_VERSION
        or doc.get("postil") != __version__
        or not isinstance(doc.get("roots"), list)
        or sorted(doc["roots"]) != sorted(roots)
        or not isinstance(doc.get("problems"), dict)
        or not isinstance(doc.get("order"), list)
        or not isinstance(doc.get("extras_table"), list)
    ):
        return False
    columns: list[list[Any]] = [doc.get(name) for name in _COLUMNS]  # type: ignore[misc]
    if not all(isinstance(c, list) for c in columns):
        return False
    n = len(columns[0])
    return all(len(c) == n for c in columns) and _all_types(doc["path"], str)


def _problems(path: str, raw: Any) -> list[Problem]:
    """A row's problems from their cached form (raises TypeError/ValueError when damaged)."""
    if not raw:
        return []
    return [Problem(path, kind, str(reason), bool(rec)) for kind, reason, rec in raw]


def _encode(
    roots: list[str],
    files: Sequence[FileEntry],
    results: Sequence[Parsed],
    rows: Sequence[int],
    order: Sequence[int],
) -> dict[str, Any]:
    """The on-disk document for the files at ``rows`` (column by column: C loops)."""
    kept = [files[i] for i in rows]
    posts = [results[i].post for i in rows]
    tables: dict[tuple[tuple[str, str], ...], int] = {}
    extras = [None if p is None else tables.setdefault(p.extras, len(tables)) for p in posts]
    doc: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "postil": __version__,
        "roots": roots,
        "path": [e.path for e in kept],
        "size": [e.size for e in kept],
        "mtime": [e.mtime_ns for e in kept],
        "id": [None if p is None else p.id for p in posts],
        "title": [None if p is None else p.title for p in posts],
        "date": [None if p is None or p.date is None else p.date.isoformat() for p in posts],
        "author": [None if p is None else p.author for p in posts],
        "tags": [None if p is None else p.tags for p in posts],
        "categories": [None if p is None else p.categories for p in posts],
        "source": [None if p is None else p.source for p in posts],
        "extras": extras,
        "encoding": [None if p is None else p.encoding for p in posts],
        "extras_table": list(tables),
    }
    new_row = {i: row for row, i in enumerate(rows)}
    # A post whose file is not cached cannot be in the cached order: then `whole` never
    # applies (its file count differs) and the order is only kept for completeness.
    doc["order"] = [new_row[i] for i in order if i in new_row]
    doc["problems"] = {
        str(row): [[p.kind, p.reason, p.recovered] for p in results[i].problems]
        for row, i in enumerate(rows)
        if results[i].problems
    }
    return doc


def _encodable(entry: FileEntry, parsed: Parsed) -> bool:
    """True when the row's strings are valid Unicode (no surrogate escapes)."""
    texts = [entry.path, *(p.reason for p in parsed.problems)]
    if parsed.post is not None:
        post = parsed.post
        texts += [post.title, post.author, post.source or "", *post.tags, *post.categories]
        texts += [text for pair in post.extras for text in pair]
    try:
        for text in texts:
            text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
