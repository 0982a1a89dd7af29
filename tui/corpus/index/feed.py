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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from tui.corpus.index.db import POST_COLUMNS, Database, Stage, path_of, post_of
from tui.corpus.index.engine import Engine, make_document
from tui.corpus.textmatch import index_terms
from tui.corpus.workers import run_chunks

FIELDS_BATCH: Final[int] = 20_000
"""Posts per engine commit when indexing fields (a commit costs tens of milliseconds)."""

TEXT_BATCH: Final[int] = 1_000
"""Posts per engine commit when indexing text: small enough that a query during a first
build soon sees some, and that another process waiting for the writer gets its turn."""

TEXT_CHUNK: Final[int] = 50
"""Posts per rendering task sent to a worker."""

Progress = Callable[[int, int], None]
"""progress(done, total): posts whose text is indexed, out of all posts."""


@dataclass(frozen=True, slots=True)
class TextTerms:
    """What the engine indexes of a post's canonical text (`textmatch.index_terms`)."""

    key: int
    tokens: str
    pairs: str
    problem: str | None = None
    """Why the file could not be read (its text is then indexed as empty)."""


def feed_fields(db: Database, engine: Engine) -> int:
    """Index the fields of every post that has no document; forget removed posts.

    Returns:
        How many posts got a document.
    """
    gone = [row[0] for row in db.conn.execute("SELECT key FROM gone")]
    count = 0
    with engine.writer() as writer:
        for key in gone:
            writer.delete_documents_by_term("key", key)
        while True:
            rows = db.conn.execute(
                f"SELECT {POST_COLUMNS} FROM files WHERE base_id IS NOT NULL AND stage < ? LIMIT ?",
                (Stage.FIELDS, FIELDS_BATCH),
            ).fetchall()
            if not rows:
                break
            keys = [row[0] for row in rows]
            for row in rows:
                writer.delete_documents_by_term("key", row[0])
                writer.add_document(make_document(post_of(row), row[0], None))
            writer.commit()
            with db.writing() as conn:
                conn.executemany(
                    "UPDATE files SET stage = ? WHERE key = ? AND stage < ?",
                    [(Stage.FIELDS, key, Stage.FIELDS) for key in keys],
                )
            count += len(keys)
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

    Posts are rendered and tokenized in worker processes, a chunk at a time, and
    committed to the engine every `TEXT_BATCH` posts.

    Args:
        db: The database.
        engine: The engine (its fields must be indexed: `feed_fields`).
        progress: Called after each commit with (posts with text, all posts).
        workers: Worker processes for rendering (see `run_chunks`).
        should_stop: Asked between chunks; True ends the run (what is committed is kept).

    Returns:
        How many posts got their text indexed.
    """
    files = db.conn.execute(
        "SELECT key, path FROM files WHERE base_id IS NOT NULL AND stage = ?", (Stage.FIELDS,)
    ).fetchall()
    if not files:
        return 0
    total, _, already = db.stage_counts()
    chunks = [files[i : i + TEXT_CHUNK] for i in range(0, len(files), TEXT_CHUNK)]
    done = 0
    pending: list[TextTerms] = []
    for terms in run_chunks(_text_chunk, chunks, workers=workers):
        pending += terms
        if len(pending) >= TEXT_BATCH or should_stop():
            _commit_text(db, engine, pending)
            done += len(pending)
            pending = []
            if progress is not None:
                progress(already + done, total)
            if should_stop():
                return done
    if pending:
        _commit_text(db, engine, pending)
        done += len(pending)
        if progress is not None:
            progress(already + done, total)
    return done


def _commit_text(db: Database, engine: Engine, results: list[TextTerms]) -> None:
    posts = {
        key: post
        for key, post in zip(_keys(results), db.posts_by_key(_keys(results)), strict=False)
    }
    with engine.writer() as writer:
        for result in results:
            post = posts.get(result.key)
            writer.delete_documents_by_term("key", result.key)
            if post is not None:  # else removed meanwhile
                writer.add_document(make_document(post, result.key, (result.tokens, result.pairs)))
    with db.writing() as conn:
        conn.executemany(
            "UPDATE files SET stage = ? WHERE key = ? AND stage = ?",
            [(Stage.TEXT, result.key, Stage.FIELDS) for result in results],
        )


def _keys(results: list[TextTerms]) -> list[int]:
    return [result.key for result in results]


def _text_chunk(files: list[tuple[int, bytes]]) -> list[TextTerms]:
    """Worker task: render and tokenize a chunk of posts, given as (key, stored path)."""
    from tui.corpus.errors import CorpusError
    from tui.render.document import canonical_text

    out: list[TextTerms] = []
    for key, stored in files:
        try:
            text = canonical_text(path_of(stored))
        except CorpusError as exc:
            out.append(TextTerms(key, "", "", str(exc)))
            continue
        out.append(TextTerms(key, *index_terms(text)))
    return out
