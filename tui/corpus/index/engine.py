"""The search engine: every post's fields and text in a tantivy index beside the database.

tantivy answers every query of the query language (`tui.corpus.index.search` turns a
parsed query into one of its queries): the count, the page of keys the list shows, and
the facet counts, in Rust, without making a Python object per matching post. The
database stays the home of the rows; a document here holds the post's database key and
what queries ask about:

- the fields, folded: ``tag``, ``cat``, ``author`` (whole values), ``host`` (the source
  URL's host and each of its parent domains, for ``site:``), ``day`` (the UTC day
  ordinal, for dates) and ``year`` (for the facets); and as written (``tag_shown``,
  ``cat_shown``, ``author_shown``: the facets show each value's commonest spelling);
- the text, as `tui.corpus.textmatch` tokenizes it: for the title, for author and tags
  (``meta``), and for the canonical text (``body``), the tokens (``*_t``, with their
  counts, for one-token terms and ranking) and the pairs of consecutive tokens (``*_p``,
  with positions: a longer term is a phrase of its pairs);
- the sort keys: ``new`` and ``old`` (see `db.sort_keys`), ``title_sort`` and
  ``author_sort``.

A post gets its document in two stages (`db.Stage`): its fields as soon as it is parsed,
then (the document replaced) its text once the text indexer has rendered it.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import os
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from tui.corpus.index.db import sort_keys
from tui.corpus.textmatch import index_terms

if TYPE_CHECKING:
    import tantivy

    from tui.corpus.model import Post

TOKENIZER: Final[str] = "postil_ws"
"""The engine's tokenizer: text arrives tokenized (`textmatch.index_terms`), space-separated."""

VALUE_BREAK: Final[str] = "\ue002"
"""Put between two values' pairs (author, tags), so no phrase runs from one to the next."""

WRITER_HEAP: Final[int] = 20_000_000
"""Bytes the writer buffers before it flushes a segment (tantivy's minimum is 15 MB a thread)."""

LOCK_WAIT_S: Final[float] = 10.0
"""How long a writer waits for another process's writer (they hold it a moment at a time)."""


class EngineUnusable(Exception):
    """The engine's files cannot be opened (damaged, another format): they must be rebuilt."""


class EngineBusy(Exception):
    """Another process holds the engine's writer for longer than `LOCK_WAIT_S`."""


def _schema() -> tantivy.Schema:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("key", indexed=True, fast=True)
    builder.add_integer_field("new", fast=True)
    builder.add_integer_field("old", fast=True)
    builder.add_integer_field("day", indexed=True, fast=True)
    builder.add_integer_field("year", indexed=True, fast=True)
    builder.add_text_field("id", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("title_sort", fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("author_sort", fast=True, tokenizer_name="raw", index_option="basic")
    for name in ("tag", "cat", "author", "host"):
        builder.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    for name in ("tag_shown", "cat_shown", "author_shown"):
        builder.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    for part in ("title", "meta", "body"):
        builder.add_text_field(f"{part}_t", tokenizer_name=TOKENIZER, index_option="freq")
        builder.add_text_field(f"{part}_p", tokenizer_name=TOKENIZER, index_option="position")
    return builder.build()


class Engine:
    """The tantivy index of one index folder (its ``text`` subfolder)."""

    def __init__(self, folder: Path) -> None:
        """Open the engine's index in ``folder``, creating it if missing.

        Raises:
            EngineUnusable: The files there cannot be opened as this format.
        """
        import tantivy

        self.folder = folder
        self.path = folder / "text"
        self.lock_path = folder / "write.lock"
        fresh = not (self.path / "meta.json").exists()
        self.path.mkdir(mode=0o700, exist_ok=True)
        schema = _schema()
        try:
            if fresh:
                self.index = tantivy.Index(schema, path=str(self.path))
            else:
                self.index = tantivy.Index.open(str(self.path))
        except (ValueError, OSError) as exc:
            raise EngineUnusable(f"the search engine's files cannot be read ({exc})") from exc
        if not fresh and self.index.schema != schema:
            raise EngineUnusable("the search engine's files are of another format")
        analyzer = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
        self.index.register_tokenizer(TOKENIZER, analyzer)
        self.schema = self.index.schema
        self.fresh = fresh
        _private(self.path)

    def searcher(self) -> tantivy.Searcher:
        """A searcher over the last commit (of any process)."""
        self.index.reload()
        return self.index.searcher()

    @contextlib.contextmanager
    def writer(self, *, wait_s: float = LOCK_WAIT_S) -> Iterator[tantivy.IndexWriter]:
        """The index's one writer, held for the ``with`` block; commits on success.

        Processes take turns through a lock file beside the index; a writer that is
        given up (an exception) rolls back, so the last commit stays as it was.

        Raises:
            EngineBusy: Another process kept the writer for more than ``wait_s``.
        """
        _few_malloc_arenas()
        fd = os.open(self.lock_path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            _lock(fd, wait_s)
            writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=1)
            try:
                yield writer
            except BaseException:
                writer.rollback()
                raise
            writer.commit()
            writer.wait_merging_threads()
            _private(self.path)
        finally:
            os.close(fd)  # releases the lock


@functools.cache
def _few_malloc_arenas() -> None:
    """Let glibc's malloc keep at most two arenas in this process (once, before a writer).

    Each writer indexes and merges in threads of its own, and glibc gives new threads
    arenas of their own (up to eight a CPU), each keeping the memory its thread freed:
    over a long build an indexing process held hundreds of MB that way. Nothing else
    here runs many threads, so fewer arenas cost nothing measurable.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, 2)
    except (OSError, AttributeError):  # not glibc
        pass


_M_ARENA_MAX: Final[int] = -8
"""glibc's ``mallopt`` parameter for the most arenas (malloc.h)."""


def _lock(fd: int, wait_s: float) -> None:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise EngineBusy(
                    "another postil process is updating the search index; try again shortly"
                ) from None
            time.sleep(0.05)


def _private(path: Path) -> None:
    """Make the engine's files private (tantivy creates them with the process's umask)."""
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.chmod(entry.path, 0o600)


def make_document(post: Post, key: int, body: tuple[str, str] | None) -> tantivy.Document:
    """A post's engine document (see `document_fields`)."""
    return document(document_fields(post, key, body))


def document(fields: dict[str, Any]) -> tantivy.Document:
    """The engine document of `document_fields`' values."""
    import tantivy

    return tantivy.Document(**fields)


def document_fields(post: Post, key: int, body: tuple[str, str] | None) -> dict[str, Any]:
    """What a post's engine document holds (see the module's docstring), as plain values:
    a worker process makes them (the tokenizing is most of the work), the indexing
    process turns them into a document.

    Args:
        post: The post.
        key: Its database key.
        body: The tokens and pairs of its canonical text (`textmatch.index_terms`), None
            while it is not indexed.
    """
    from tui.corpus.query import fold, host_of

    new, old = sort_keys(post.date, key)
    author = fold(post.author)
    title_t, title_p = index_terms(post.title)
    meta_t, meta_p = meta_terms(post.author, post.tags)
    fields: dict[str, Any] = {
        "key": key,
        "new": new,
        "old": old,
        "id": post.id,
        "title_sort": _sort_text(post.title, new),
        "author_sort": ("1" if not author else "0" + author) + "\0" + _tie(new),
        "tag": [fold(tag) for tag in post.tags],
        "cat": [fold(cat) for cat in post.categories],
        "author": [author] if author else [],
        "tag_shown": list(post.tags),
        "cat_shown": list(post.categories),
        "author_shown": [post.author] if author else [],
        "host": _host_parts(host_of(post.source)),
        "title_t": title_t,
        "title_p": title_p,
        "meta_t": meta_t,
        "meta_p": meta_p,
    }
    if post.date is not None:
        utc = post.date.astimezone(UTC)  # the query language speaks UTC days
        fields["day"] = utc.toordinal()
        fields["year"] = utc.year
    if body is not None:
        fields["body_t"], fields["body_p"] = body
    return fields


def meta_terms(author: str, tags: Sequence[str]) -> tuple[str, str]:
    """The tokens and pairs of a post's author and tags, no phrase running across two."""
    tokens: list[str] = []
    pairs: list[str] = []
    for value in (author, *tags):
        value_tokens, value_pairs = index_terms(value)
        if value_tokens:
            tokens.append(value_tokens)
        if value_pairs:
            pairs.append(value_pairs)
    return " ".join(tokens), f" {VALUE_BREAK} ".join(pairs)


def _sort_text(title: str, new: int) -> str:
    """Titles sort case-folded; equal ones newest first."""
    from tui.corpus.query import fold

    return fold(title) + "\0" + _tie(new)


def _tie(new: int) -> str:
    """Text that sorts as ``new`` descending."""
    return f"{(1 << 63) - 1 - new:019d}"


def _host_parts(host: str | None) -> list[str]:
    """A host and each of its parent domains (``site:`` matches any of them)."""
    if not host:
        return []
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels)) if labels[i]]
