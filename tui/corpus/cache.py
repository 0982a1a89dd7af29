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
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from tui import __version__, locations
from tui.corpus.model import Post, PostId, Problem
from tui.corpus.parse import Parsed
from tui.corpus.scan import FileEntry

FORMAT_VERSION = 1
"""Bump when the entry layout or the parsing rules change: old caches are then ignored."""

_NOT_CACHED = frozenset({"unreadable", "loop"})
"""Problems that a chmod or a new link can cure without changing size or mtime."""


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
    """The cached parse results of one root set, read once and written back whole."""

    def __init__(self, roots: Sequence[str], entries: dict[str, Any] | None = None) -> None:
        """Create a cache for ``roots`` holding raw ``entries`` (path -> encoded entry)."""
        self.roots = list(roots)
        self.entries: dict[str, Any] = entries or {}
        self.fresh: dict[str, Any] = {}
        """Entries of this load: what `save` writes (files gone since are dropped)."""

    @classmethod
    def load(cls, roots: Sequence[str]) -> MetadataCache:
        """Read the cache of ``roots``; an absent, corrupt or outdated one reads as empty."""
        try:
            doc = orjson.loads(cache_file(roots).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return cls(roots)
        if (
            not isinstance(doc, dict)
            or doc.get("format") != FORMAT_VERSION
            or doc.get("postil") != __version__
            or sorted(doc.get("roots") or []) != sorted(roots)
            or not isinstance(doc.get("files"), dict)
        ):
            return cls(roots)
        return cls(roots, doc["files"])

    def get(self, entry: FileEntry) -> Parsed | None:
        """The cached result for a file whose size and mtime are unchanged, else None."""
        raw = self.entries.get(entry.path)
        if raw is None:
            return None
        try:
            size, mtime_ns, post, problems = raw
            if size != entry.size or mtime_ns != entry.mtime_ns:
                return None
            parsed = Parsed(
                _decode_post(post, entry) if post is not None else None,
                [
                    Problem(entry.path, kind, reason, recovered)
                    for kind, reason, recovered in problems
                ],
            )
        except (TypeError, ValueError, IndexError):
            return None  # a damaged entry is a miss, not a crash
        self.fresh[entry.path] = raw
        return parsed

    def put(self, entry: FileEntry, parsed: Parsed) -> None:
        """Record a fresh parse result (unless it holds a problem that may cure itself)."""
        if any(p.kind in _NOT_CACHED for p in parsed.problems):
            return
        post = _encode_post(parsed.post) if parsed.post is not None else None
        problems = [[p.kind, p.reason, p.recovered] for p in parsed.problems]
        self.fresh[entry.path] = [entry.size, entry.mtime_ns, post, problems]

    @property
    def changed(self) -> bool:
        """True when `save` would write something different from what was read."""
        return self.fresh.keys() != self.entries.keys() or any(
            self.entries[k] is not v for k, v in self.fresh.items()
        )

    def save(self) -> None:
        """Write this load's entries atomically; failure to write is not an error."""
        doc = {
            "format": FORMAT_VERSION,
            "postil": __version__,
            "roots": self.roots,
            "files": self.fresh,
        }
        target = cache_file(self.roots)
        with contextlib.suppress(OSError):
            locations.ensure_private_dir(target.parent)
            fd, tmp = tempfile.mkstemp(prefix=".corpus-", suffix=".tmp", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(orjson.dumps(doc))
                os.replace(tmp, target)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise


def _encode_post(post: Post) -> list[Any]:
    return [
        post.id,
        post.rel_path,
        post.title,
        post.date.isoformat() if post.date is not None else None,
        post.author,
        list(post.tags),
        list(post.categories),
        post.source,
        [list(pair) for pair in post.extras],
        post.encoding,
    ]


def _decode_post(raw: list[Any], entry: FileEntry) -> Post:
    pid, rel_path, title, date, author, tags, categories, source, extras, encoding = raw
    return Post(
        id=PostId(pid),
        path=entry.path,
        rel_path=rel_path,
        title=title,
        date=datetime.fromisoformat(date) if date is not None else None,
        author=author,
        tags=tuple(tags),
        categories=tuple(categories),
        source=source,
        extras=_pairs(extras),
        size=entry.size,
        mtime_ns=entry.mtime_ns,
        encoding=encoding,
    )


def _pairs(raw: Iterable[Any]) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in raw)
