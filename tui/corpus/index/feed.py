"""Filling the search engine from the database: fields first, then text.

`feed_fields` gives every post without a document one with its fields (quick: nothing is
read from the post files), and makes the engine forget the posts the sync removed.
`feed_text` then renders posts (worker processes: `tui.render` is Python) and replaces
their documents with ones that hold their canonical text, a batch at a time, so a killed
or interrupted run keeps every batch it committed and the next run goes on from there.

Each batch is committed to the engine first and marked in the database second: a run
killed in between leaves posts marked one stage lower than they are, which the next run
indexes again (their old documents are deleted first, so nothing is there twice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

from tui.corpus.index.db import NOT_INDEXED, POST_COLUMNS, Database, Stage, post_of
from tui.corpus.index.engine import Engine, document, document_fields, make_document
from tui.corpus.textmatch import index_terms
from tui.corpus.workers import run_chunks

FIELDS_BATCH: Final[int] = 50_000
"""Posts per engine commit when indexing fields. Each commit makes segments that the
engine then merges: the 50k archive's fields took 4.8-8.3 s (median 5.6 s) in one commit
and 7.0-10.3 s (median 8.0 s) in commits of 5,000; the batch's rows cost ~80 MB at the
peak, below what the text stage takes after it."""

FIELDS_PROGRESS_EVERY: Final[int] = 5_000
"""Posts between two reports of the fields' progress (about half a second's work)."""

TEXT_BATCH: Final[int] = 1_000
"""Posts per engine commit when indexing text: small enough that a query during a first
build soon sees some, and that another process waiting for the writer gets its turn."""

TEXT_CHUNK: Final[int] = 50
"""Posts per rendering task sent to a worker."""

Progress = Callable[[int, int], None]
"""progress(done, total): posts whose fields (or text) are indexed, out of all posts."""

Fields = dict[str, Any]
"""A document's values (`engine.document_fields`)."""

Row = tuple[Any, ...]
"""A post's row, its `POST_COLUMNS`."""


def feed_fields(db: Database, engine: Engine, *, progress: Progress | None = None) -> int:
    """Index the fields of every post that has no document; forget removed posts.

    Args:
        db: The database.
        engine: The engine.
        progress: Called with (posts given their fields so far, all posts) before the
            first post and every `FIELDS_PROGRESS_EVERY` posts, when there are any to do.

    Returns:
        How many posts got a document.
    """
    gone = [row[0] for row in db.conn.execute("SELECT key FROM gone")]
    count = 0
    total = already = 0
    with engine.writer() as writer:
        for key in gone:
            writer.delete_documents_by_term("key", key)
        while True:
            rows = db.conn.execute(
                f"SELECT {POST_COLUMNS} FROM files"
                f" WHERE {NOT_INDEXED} AND base_id IS NOT NULL AND stage < ? LIMIT ?",
                (Stage.FIELDS, FIELDS_BATCH),
            ).fetchall()
            if not rows:
                break
            if progress is not None and not total:
                total, already, _ = db.stage_counts()
                progress(already, total)
            for added, row in enumerate(rows, 1):
                writer.delete_documents_by_term("key", row[0])
                writer.add_document(make_document(post_of(row), row[0], None))
                if progress is not None and added % FIELDS_PROGRESS_EVERY == 0:
                    progress(min(already + count + added, total), total)
            writer.commit()
            # A row another process's sync rewrote meanwhile stays behind: this loop
            # (or that process) indexes it again as it is now.
            keys = _unchanged(db, rows, lambda stage: stage < Stage.FIELDS)
            with db.writing() as conn:
                conn.executemany(
                    "UPDATE files SET stage = ? WHERE key = ? AND stage < ?",
                    [(Stage.FIELDS, key, Stage.FIELDS) for key in keys],
                )
            count += len(keys)
            if progress is not None:
                progress(min(already + count, total), total)
    with db.writing() as conn:
        conn.executemany("DELETE FROM gone WHERE key = ?", [(key,) for key in gone])
    return count


def feed_text(
    db: Database,
    engine: Engine,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """Index the text of every post whose document holds only its fields.

    Worker processes read, render and tokenize the posts and make their documents' values,
    a chunk at a time; this process adds them to the engine and commits every
    `TEXT_BATCH` posts, holding the writer only for that. The workers go on meanwhile: a
    batch's worth of chunks is sent ahead.

    Args:
        db: The database.
        engine: The engine (its fields must be indexed: `feed_fields`).
        progress: Called after each commit with (posts with text, all posts).
        workers: Worker processes for rendering (see `run_chunks`).
        should_stop: Asked between chunks; True ends the run (what is committed is kept).

    Returns:
        How many posts got their text indexed.
    """
    total, _, already = db.stage_counts()
    done = 0
    pending: list[tuple[Row, Fields]] = []
    chunks = _unindexed_chunks(db)
    for documents in run_chunks(
        _text_chunk, chunks, workers=workers, ahead=TEXT_BATCH // TEXT_CHUNK
    ):
        pending += documents
        stop = should_stop()
        if len(pending) >= TEXT_BATCH or stop:
            done += _commit_text(db, engine, pending)
            pending = []
            if progress is not None:
                progress(already + done, total)
            if stop:
                return done
    if pending:
        done += _commit_text(db, engine, pending)
        if progress is not None:
            progress(already + done, total)
    return done


def _unindexed_chunks(db: Database) -> Iterator[list[Row]]:
    """The rows (`POST_COLUMNS`) of the posts whose text is not indexed, `TEXT_CHUNK` at a
    time, read from the database a page at a time as the workers ask for them."""
    last = -1
    while True:
        rows = db.conn.execute(
            f"SELECT {POST_COLUMNS} FROM files WHERE {NOT_INDEXED} AND base_id IS NOT NULL"
            " AND stage = ? AND key > ? ORDER BY key LIMIT ?",
            (Stage.FIELDS, last, TEXT_CHUNK * 20),
        ).fetchall()
        if not rows:
            return
        last = rows[-1][0]
        for start in range(0, len(rows), TEXT_CHUNK):
            yield rows[start : start + TEXT_CHUNK]


def _commit_text(db: Database, engine: Engine, documents: list[tuple[Row, Fields]]) -> int:
    """Replace these posts' documents with their full ones; returns how many were.

    A post another process removed or changed since its chunk was read (its row is no
    longer the one read, or its stage no longer FIELDS) is left as it is: its document
    would hold the fields of the row read. The next run indexes its text.
    """
    current = _unchanged(db, [row for row, _ in documents], lambda stage: stage == Stage.FIELDS)
    with engine.writer() as writer:
        for row, fields in documents:
            if row[0] in current:
                writer.delete_documents_by_term("key", row[0])
                writer.add_document(document(fields))
    with db.writing() as conn:
        conn.executemany(
            "UPDATE files SET stage = ? WHERE key = ? AND stage = ?",
            [(Stage.TEXT, key, Stage.FIELDS) for key in current],
        )
    return len(current)


def _unchanged(db: Database, rows: list[Row], stage_ok: Callable[[int], bool]) -> set[int]:
    """The keys of ``rows`` whose row in the database is still exactly the one read and
    whose stage passes ``stage_ok``.

    Another process's sync may have rewritten a row since it was read (an edited file, a
    rename that changed its id) or removed it.
    """
    read = {row[0]: tuple(row) for row in rows}
    return {
        now[0]
        for now in db.rows_by_key(list(read), f"{POST_COLUMNS}, stage")
        if stage_ok(now[-1]) and now[:-1] == read[now[0]]
    }


def _text_chunk(rows: list[Row]) -> list[tuple[Row, Fields]]:
    """Worker task: the full documents' values of a chunk of posts (`POST_COLUMNS` rows).

    A file that cannot be read now (changed or gone since the sync) gets an empty text;
    the next sync finds what became of it.
    """
    from tui.corpus.errors import CorpusError
    from tui.render.document import canonical_text

    out: list[tuple[Row, Fields]] = []
    for row in rows:
        post = post_of(row)
        try:
            text = canonical_text(post.path)
        except CorpusError:
            text = ""
        out.append((row, document_fields(post, row[0], index_terms(text))))
    return out
