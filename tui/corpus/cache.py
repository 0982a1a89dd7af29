"""The metadata cache: a second start on an unchanged archive parses no YAML at all.

One file per set of corpus roots, in the user cache folder (mode 0700): a first line
holding the format and a CRC-32 of the rest, so a damaged file (cut short, bits flipped,
edited) is recognised before any of it is used and the fast path need not check every
value's type; then a small JSON head (orjson; never pickle) and the big columns packed
(`encode_doc`): strings as NUL-joined UTF-8, integers as 64-bit words, which rebuild
several times faster than JSON arrays. Repeated values (authors, tag sets, extras) are
stored once in tables and shared by every post that has them. Each row is keyed by
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
import struct
import sys
import tempfile
import zlib
from array import array
from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import accumulate, chain
from operator import itemgetter
from pathlib import Path
from typing import Any, TypeVar, cast

import orjson

from tui import __version__, locations
from tui.corpus.model import Post, PostId, Problem, post_from_row
from tui.corpus.packing import fingerprint, pack_ints
from tui.corpus.parse import Parsed
from tui.corpus.scan import FileEntry, ScanColumns

FORMAT_VERSION = 6
"""Bump when the layout or the parsing rules change: old caches are then ignored."""

NOT_CACHED = frozenset({"unreadable", "loop"})
"""Problems that a chmod or a new link can cure without changing size or mtime."""

_FILE_COLUMNS = ("path", "start", "size", "mtime")
"""One JSON array per field, one row per file in scan order (columns parse much faster
than one object per file)."""

_POST_COLUMNS = ("id", "title", "date", "author", "tags", "categories", "source", "extras")
"""One JSON array per field, one entry per post in the order the load returned them.
``author``, ``tags``, ``categories`` and ``extras`` are indexes into the tables below."""

_TABLES = ("authors", "tagnames", "tagsets", "extras_table")
"""The distinct values of the indexed columns: each is parsed and built once, and every
post shares the one string or tuple (tens of MB less for 50k posts)."""

_NONE = type(None)

T = TypeVar("T")


def cache_file(roots: Sequence[str]) -> Path:
    """The cache file for a set of corpus roots (order-independent).

    Args:
        roots: Absolute corpus roots.

    Returns:
        The path in the user cache folder.
    """
    key = "\0".join(sorted(roots)).encode("utf-8", "surrogateescape")
    digest = hashlib.blake2b(key, digest_size=8).hexdigest()
    return locations.cache_dir() / f"corpus-{digest}.cache"


def cache_exists(roots: Sequence[str]) -> bool:
    """Whether there is a cache file for ``roots`` (whatever its content)."""
    return cache_file(roots).is_file()


class MetadataCache:
    """The cached parse results of one root set, read once and written back whole.

    On disk: ``format``, ``postil``, ``roots``; one array per name in `_FILE_COLUMNS`,
    one row per file in scan order; ``order``, the file rows of the posts in the order
    the load returned them; one array per name in `_POST_COLUMNS`, one entry per post in
    that order; the `_TABLES`; ``encoding``, a mapping from post position to encoding for
    the posts not read as UTF-8; and ``problems``, a mapping from file row to that
    file's problems.
    """

    def __init__(self, roots: Sequence[str], doc: dict[str, Any] | None = None) -> None:
        """Create a cache for ``roots`` from a validated on-disk document (or empty)."""
        self.roots = list(roots)
        self._doc = doc
        self._rows: dict[str, int] | None = None
        self._positions: dict[int, int] | None = None
        self._decoded: dict[str, list[Any]] = {}
        self._last: tuple[list[Post], list[Problem]] | None = None
        self._trimmed = False
        self.hits = 0
        """Rows `get` returned."""
        self.damaged = False
        """A cached value was found unusable while rebuilding every post: rewrite it."""

    @classmethod
    def load(cls, roots: Sequence[str]) -> MetadataCache:
        """Read the cache of ``roots``; an absent, corrupt or outdated one reads as empty."""
        return cls(roots, _read_doc(roots))

    @property
    def size(self) -> int:
        """Rows in the cache."""
        return 0 if self._doc is None else len(self._doc["path"])

    def last_load(self) -> tuple[list[Post], list[Problem]] | None:
        """Every post and problem of the last load, as it returned them, or None.

        Nothing is checked against the files: this is what the folders held last time,
        to show at once while a scan finds out whether it still is (see `whole`).
        Built once; `whole` returns the same objects when nothing changed.

        Returns:
            (posts in the order the last load returned them, with their ids before
            `dedupe_ids`; the problems of those files), or None when there is no cache
            or a value in it is damaged.
        """
        doc = self._doc
        if self._last is None and doc is not None and not self.damaged:
            try:
                self._last = self._rebuild(doc)
            except (TypeError, ValueError, IndexError, KeyError):
                self.damaged = True  # the row-by-row path treats them one at a time
            else:
                # Only the file columns are needed to tell whether the files changed;
                # the rest is read again if they did (rare): less memory meanwhile.
                self._doc = {name: doc.get(name) for name in (*_FILE_COLUMNS, "fingerprint")}
                self._trimmed = True
        return self._last

    def whole(self, files: ScanColumns) -> tuple[list[Post], list[Problem]] | None:
        """Every post and problem of the last load, if ``files`` are exactly its files.

        Args:
            files: The scan's files as columns (`ScanResult.columns`), in scan order.

        Returns:
            `last_load` when the scan found the same files, with the same sizes and
            mtimes, as the last load (the usual second start); None when any file was
            added, removed or changed (then `get` sorts out what can be reused).
        """
        doc = self._doc
        paths, starts, sizes, mtimes = files
        if (
            doc is None
            or paths != doc["path"]
            or sizes != doc["size"]
            or mtimes != doc["mtime"]
            or starts != doc["start"]
        ):
            return None
        return self.last_load()

    def whole_packed(self, digest: bytes) -> tuple[list[Post], list[Problem]] | None:
        """`whole` for a scan known by the `fingerprint` of its packed files."""
        doc = self._doc
        if doc is None or doc.get("fingerprint") != digest:
            return None
        return self.last_load()

    def _rebuild(self, doc: dict[str, Any]) -> tuple[list[Post], list[Problem]]:
        """The posts of every row in ``order``, built column by column (C loops)."""
        order = doc["order"]
        paths = doc["path"]
        if not order:
            posts: list[Post] = []
        else:
            # No type checks here: the checksum vouches that this is what `save` wrote.
            take = _taker(order)
            fromiso = datetime.fromisoformat
            encodings = ["utf-8"] * len(order)
            for position, encoding in doc["encoding"].items():
                encodings[int(position)] = str(encoding)
            posts = list(
                map(
                    post_from_row,
                    zip(
                        doc["id"],
                        take(paths),
                        take(doc["start"]),
                        doc["title"],
                        [None if d is None else fromiso(d) for d in doc["date"]],
                        map(self._table(doc, "authors").__getitem__, doc["author"]),
                        map(self._table(doc, "tagsets").__getitem__, doc["tags"]),
                        map(self._table(doc, "tagsets").__getitem__, doc["categories"]),
                        doc["source"],
                        map(self._table(doc, "extras_table").__getitem__, doc["extras"]),
                        take(doc["size"]),
                        take(doc["mtime"]),
                        encodings,
                        strict=True,
                    ),
                )
            )
        problems: list[Problem] = []
        for row, raw in doc["problems"].items():
            problems += _problems(paths[int(row)], raw)
        return posts, problems

    def get(self, entry: FileEntry) -> Parsed | None:
        """The cached result for a file whose size and mtime are unchanged, else None."""
        if self._trimmed:
            self._untrim()
        doc = self._doc
        if doc is None:
            return None
        if self._rows is None:
            self._rows = {path: i for i, path in enumerate(doc["path"])}
            self._positions = {row: k for k, row in enumerate(doc["order"])}
        row = self._rows.get(entry.path)
        if row is None:
            return None
        try:
            if doc["size"][row] != entry.size or doc["mtime"][row] != entry.mtime_ns:
                return None
            raw = doc["problems"].get(str(row))
            position = cast(dict[int, int], self._positions).get(row)
            post = None if position is None else self._post_at(doc, position, entry)
            parsed = Parsed(post, _problems(entry.path, raw))
        except (TypeError, ValueError, IndexError, KeyError):
            return None  # a damaged row is a miss, not a crash
        self.hits += 1
        return parsed

    def _untrim(self) -> None:
        """Read the whole document again (`last_load` kept only the file columns).

        Another postil may have saved it meanwhile: that is fine, every row is still
        checked against its file's size and mtime.
        """
        self._trimmed = False
        self._doc = _read_doc(self.roots)

    def _post_at(self, doc: dict[str, Any], k: int, entry: FileEntry) -> Post:
        """The ``k``-th post of the post columns, for the file ``entry``."""
        pid, title, date, source = doc["id"][k], doc["title"][k], doc["date"][k], doc["source"][k]
        indexes = [doc[name][k] for name in ("author", "tags", "categories", "extras")]
        if not (
            type(pid) is str
            and type(title) is str
            and type(source) in (str, _NONE)
            and type(date) in (str, _NONE)
            and all(type(i) is int and i >= 0 for i in indexes)
        ):
            raise TypeError("damaged row")
        author, tags, cats, extras = indexes
        return Post(
            id=PostId(pid),
            path=entry.path,
            rel_path=entry.rel_path,
            title=title,
            date=datetime.fromisoformat(date) if date is not None else None,
            author=self._table(doc, "authors")[author],
            tags=self._table(doc, "tagsets")[tags],
            categories=self._table(doc, "tagsets")[cats],
            source=source,
            extras=self._table(doc, "extras_table")[extras],
            size=entry.size,
            mtime_ns=entry.mtime_ns,
            encoding=str(doc["encoding"].get(str(k), "utf-8")),
        )

    def _table(self, doc: dict[str, Any], name: str) -> list[Any]:
        """Table ``name`` with its values built (once per load): shared strings and tuples.

        Raises:
            TypeError: The table holds values of the wrong type (a damaged cache).
        """
        found = self._decoded.get(name)
        if found is None:
            raw = doc[name]
            if name == "authors":
                if not _all_types(raw, str):
                    raise TypeError("damaged table")
                found = raw
            elif name == "tagsets":
                names = doc["tagnames"]
                if not (
                    _all_types(names, str)
                    and _all_types(raw, list)
                    and _all_types(chain.from_iterable(raw), int)
                ):
                    raise TypeError("damaged table")
                found = [tuple(map(names.__getitem__, t)) for t in raw]
            else:  # extras_table
                found = [tuple((str(k), str(v)) for k, v in pairs) for pairs in raw]
            self._decoded[name] = found
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
            if not parsed.problems or not any(p.kind in NOT_CACHED for p in parsed.problems)
        ]
        try:
            parts = encode_parts(_encode(self.roots, files, results, rows, order))
        except (TypeError, ValueError):
            # A file name that is not UTF-8 cannot be written: leave those files out
            # (they are parsed again next time) rather than the whole cache.
            rows = [i for i in rows if _encodable(files[i], results[i])]
            try:
                parts = encode_parts(_encode(self.roots, files, results, rows, order))
            except (TypeError, ValueError):
                return
        target = cache_file(self.roots)
        with contextlib.suppress(OSError):
            locations.ensure_private_dir(target.parent)
            fd, tmp = tempfile.mkstemp(prefix=".corpus-", suffix=".tmp", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    # Written part by part: joining them, then framing that, made two
                    # more copies of the whole document (51 MB of peak at 50k posts;
                    # the app, which cannot fork a writer, paid it).
                    f.writelines([frame_line(parts), *parts])
                os.replace(tmp, target)
                # The JSON cache of postil <= format 4: never read again.
                with contextlib.suppress(OSError):
                    os.unlink(target.with_suffix(".json"))
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise


_STR_COLUMNS = ("path", "id", "title", "date", "source")
"""Columns of strings, stored as one UTF-8 run joined by NUL (``date`` and ``source`` may
be None, stored as `_NULL`): one ``decode`` and one ``split`` rebuild 50k strings several
times faster than a JSON parser."""

_INT_COLUMNS = ("start", "size", "mtime", "order", "author", "tags", "categories", "extras")
"""Columns of integers, stored as little-endian signed 64-bit machine words."""

_NULLABLE = ("date", "source")
"""The string columns that may hold None."""

_NULL = "\x01"
"""A None in a string column (cleaned text never holds a control character)."""

_LENGTH = struct.Struct("<Q")


def encode_doc(doc: dict[str, Any]) -> bytes:
    """The bytes of a cache document (`encode_parts` joined)."""
    return b"".join(encode_parts(doc))


def encode_parts(doc: dict[str, Any]) -> list[bytes]:
    """The bytes of a cache document, in parts: its columns packed, the rest as JSON.

    Layout: the JSON's length (8 bytes), the JSON (every key but the columns, plus
    ``columns``: [name, count, byte length] in storage order), then each column's bytes.

    Raises:
        TypeError: A column holds a value of the wrong type.
        ValueError: A string holds NUL, or a lone surrogate (a file name that is not
            UTF-8), or a nullable string is `_NULL`; or an integer does not fit.
    """
    blobs: list[bytes] = []
    layout: list[list[Any]] = []
    for name in _STR_COLUMNS:
        values = doc[name]
        if name in _NULLABLE:
            if _NULL in values:
                raise ValueError("a value looks like a null")
            values = [_NULL if v is None else v for v in values]
        joined = "\0".join(values)
        if joined.count("\0") != max(len(values) - 1, 0):
            raise ValueError("a string holds NUL")
        blobs.append(joined.encode("utf-8"))  # UnicodeEncodeError is a ValueError
        layout.append([name, len(values), len(blobs[-1])])
    for name in _INT_COLUMNS:
        try:
            blobs.append(pack_ints(doc[name]))
        except OverflowError as exc:
            raise ValueError(str(exc)) from exc
        layout.append([name, len(doc[name]), len(blobs[-1])])
    columns = (*_STR_COLUMNS, *_INT_COLUMNS, "fingerprint")  # the last: made by decode_doc
    rest = {k: v for k, v in doc.items() if k not in columns}
    head = orjson.dumps({**rest, "columns": layout})
    return [_LENGTH.pack(len(head)), head, *blobs]


def decode_doc(data: bytes | memoryview) -> dict[str, Any]:
    """The document `encode_doc` made, columns back as lists.

    Raises:
        ValueError: The bytes are not such a document (a JSON error is a ValueError).
        TypeError: Its JSON has the wrong shape.
    """
    view = memoryview(data)
    if len(view) < _LENGTH.size:
        raise ValueError("cache too short")
    (size,) = _LENGTH.unpack_from(view)
    offset = _LENGTH.size + size
    doc = orjson.loads(view[_LENGTH.size : offset])
    if not isinstance(doc, dict) or not isinstance(doc.get("columns"), list):
        raise ValueError("not a cache document")
    raw: dict[str, memoryview] = {}
    for name, count, length in doc.pop("columns"):
        chunk = view[offset : offset + length]
        offset += length
        if len(chunk) != length:
            raise ValueError("cache cut short")
        if name in _FILE_COLUMNS:
            raw[name] = chunk
        if name in _STR_COLUMNS:
            values: list[Any] = str(chunk, "utf-8").split("\0") if count else []
            if name in _NULLABLE:
                values = [None if v == _NULL else v for v in values]
        elif name in _INT_COLUMNS:
            words = array("q")
            words.frombytes(chunk)
            if sys.byteorder != "little":
                words.byteswap()
            values = words.tolist()
        else:
            raise ValueError(f"unknown column {name!r}")
        if len(values) != count:
            raise ValueError("column length mismatch")
        doc[name] = values
    if offset != len(view):
        raise ValueError("trailing bytes")
    if set(raw) == set(_FILE_COLUMNS):
        doc["fingerprint"] = fingerprint(*(raw[name] for name in _FILE_COLUMNS))
    return doc


_MAGIC = b"postil-corpus-cache"


def frame(data: bytes) -> bytes:
    """The file's bytes: a line ``postil-corpus-cache FORMAT CRC32`` over the document."""
    return frame_line([data]) + data


def frame_line(parts: Sequence[bytes]) -> bytes:
    """The line `frame` puts before the document whose bytes are ``parts`` joined."""
    crc = 0
    for part in parts:
        crc = zlib.crc32(part, crc)
    return b"%s %d %08x\n" % (_MAGIC, FORMAT_VERSION, crc)


def unframe(raw: bytes) -> memoryview:
    """The document in a cache file's bytes (a view: 17 MB are not copied).

    Raises:
        ValueError: Another format, or the document does not match its checksum.
    """
    end = raw.find(b"\n", 0, 100)
    parts = raw[:end].split(b" ")
    if end < 0 or len(parts) != 3 or parts[0] != _MAGIC or parts[1] != b"%d" % FORMAT_VERSION:
        raise ValueError("not a cache file of this format")
    data = memoryview(raw)[end + 1 :]
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


def _read_doc(roots: Sequence[str]) -> dict[str, Any] | None:
    """The cache document of ``roots``; None when absent, corrupt or outdated."""
    try:
        doc = decode_doc(unframe(cache_file(roots).read_bytes()))
    except (OSError, ValueError, TypeError):  # orjson.JSONDecodeError is a ValueError
        return None
    return doc if _valid(doc, roots) else None


def _valid(doc: Any, roots: Sequence[str]) -> bool:
    """The document has this version, these roots and columns of the right lengths."""
    if (
        not isinstance(doc, dict)
        or doc.get("format") != FORMAT_VERSION
        or doc.get("postil") != __version__
        or not isinstance(doc.get("roots"), list)
        or sorted(doc["roots"]) != sorted(roots)
        or not isinstance(doc.get("problems"), dict)
        or not isinstance(doc.get("encoding"), dict)
        or not isinstance(doc.get("order"), list)
        or not all(isinstance(doc.get(name), list) for name in _TABLES)
    ):
        return False
    files: list[list[Any]] = [doc.get(name) for name in _FILE_COLUMNS]  # type: ignore[misc]
    posts: list[list[Any]] = [doc.get(name) for name in _POST_COLUMNS]  # type: ignore[misc]
    if not all(isinstance(c, list) for c in files + posts):
        return False
    n, m = len(files[0]), len(doc["order"])
    return (
        all(len(c) == n for c in files)
        and all(len(c) == m for c in posts)
        and _all_types(doc["path"], str)
    )


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
    new_row = dict(zip(rows, range(len(rows)), strict=True))
    # A post whose file is not cached cannot be in the cached order: then `whole` never
    # applies (its file count differs) and the order is only kept for completeness.
    shown = [i for i in order if i in new_row]
    paths, rel_starts, sizes, mtimes = _columns(
        [files[i] for i in rows], FileEntry._fields, "path", "rel_start", "size", "mtime_ns"
    )
    ids, titles, dates, authors, tags, cats, sources, extras, encodings = _columns(
        [cast(Post, results[i].post) for i in shown],
        Post._fields,
        *("id", "title", "date", "author", "tags", "categories", "source", "extras", "encoding"),
    )
    author_table, author_rows = _indexed(authors)
    tagsets, set_rows = _indexed(tags + cats)
    tagnames, name_rows = _indexed([name for names in tagsets for name in names])
    starts = list(accumulate(map(len, tagsets), initial=0))
    extras_table, extras_rows = _indexed(extras)
    return {
        "format": FORMAT_VERSION,
        "postil": __version__,
        "roots": roots,
        "path": paths,
        "start": rel_starts,
        "size": sizes,
        "mtime": mtimes,
        "order": list(map(new_row.__getitem__, shown)),
        "id": ids,
        "title": titles,
        "date": [None if d is None else d.isoformat() for d in dates],
        "author": author_rows,
        "tags": set_rows[: len(tags)],
        "categories": set_rows[len(tags) :],
        "source": sources,
        "extras": extras_rows,
        "encoding": {str(k): e for k, e in enumerate(encodings) if e != "utf-8"},
        "authors": author_table,
        "tagnames": tagnames,
        "tagsets": [name_rows[a:b] for a, b in zip(starts, starts[1:], strict=False)],
        "extras_table": extras_table,
        "problems": {
            str(row): [[p.kind, p.reason, p.recovered] for p in results[i].problems]
            for row, i in enumerate(rows)
            if results[i].problems
        },
    }


def _indexed(values: list[T]) -> tuple[list[T], list[int]]:
    """(the distinct values in order of appearance, each value's index among them)."""
    table = list(dict.fromkeys(values))
    index = dict(zip(table, range(len(table)), strict=True))
    return table, list(map(index.__getitem__, values))


def _columns(
    rows: Sequence[tuple[Any, ...]], fields: tuple[str, ...], *names: str
) -> list[list[Any]]:
    """The fields ``names`` of named tuples whose fields are ``fields``: a list each (C loops)."""
    return [list(map(itemgetter(fields.index(name)), rows)) for name in names]


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
