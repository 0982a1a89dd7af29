"""``postil ls``, ``check``, ``index`` and ``show``: the corpus from the command line.

Each brings the corpus's index up to date first (with progress on a terminal), then
answers from it; what they print is in :mod:`tui.cli.corpus_output`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import click

from tui.cli.base import corpus_paths, fail, main, say_waiting, store_file

if TYPE_CHECKING:
    from tui.corpus.index import CorpusIndex
    from tui.corpus.model import Post
    from tui.corpus.query import PostState, Query


def _index(paths: tuple[str, ...], *, synced: bool = True) -> CorpusIndex:
    """The index of PATHs (default: the configured corpus), brought up to date with the
    files unless ``synced`` is False; a missing path is a usage error."""
    from tui.cli.corpus_output import ProgressBar
    from tui.corpus.errors import CorpusError
    from tui.corpus.index import CorpusIndex

    targets = corpus_paths(paths)
    bar = ProgressBar()
    try:
        index = CorpusIndex(targets)
        if synced:
            report = index.sync(progress=bar.callback("reading post files"), waiting=say_waiting)
            if report.renamed:
                _follow_renames(index, report.renamed)
    except CorpusError as exc:
        fail(str(exc), 2 if type(exc).__name__ == "MissingPath" else 1)
    finally:
        bar.close()
    for notice in index.notices:
        click.echo(notice, err=True)
    index.notices.clear()
    return index


def _follow_renames(index: CorpusIndex, renamed: list[tuple[str, str]]) -> None:
    """Move the annotations of renamed posts to their new ids, if there is a store."""
    from annotations.model import PostSnapshot
    from annotations.rehome import follow_renames
    from annotations.store import AnnotationStore, StoreError

    path = store_file()
    if not path.exists():
        return
    pairs = [
        (old, PostSnapshot.from_post(post))
        for old, new in renamed
        if (post := index.db.find_post(new)) is not None
    ]
    try:
        store = AnnotationStore(path)
        if not store.read_only:
            follow_renames(store, pairs)
    except StoreError as exc:
        click.echo(f"postil: warning: {exc}", err=True)


def _cli_state(query: Query) -> PostState:
    """Reading/annotation state for ``is:``, ``has:``, ``note:`` and ``quote:`` terms, from
    the store if it exists."""
    from tui.corpus.query import EMPTY_STATE, FieldTerm, Marks, StateTerm

    path = store_file()
    asks = any(
        isinstance(t, StateTerm) or (isinstance(t, FieldTerm) and t.key in ("note", "quote"))
        for t in query.terms
    )
    if not asks or not path.exists():
        return EMPTY_STATE
    from annotations.store import AnnotationStore, StoreError

    try:
        store = AnnotationStore(path)
        return Marks.read_from(store)
    except StoreError as exc:
        fail(str(exc), 1)


def _searchable(index: CorpusIndex, query: Query) -> None:
    """Bring the search engine up to date for ``query``: its fields always, the posts'
    text when it has text terms (with progress), unless another process is indexing it
    (then say that the answer is partial)."""
    from tui.cli.corpus_output import ProgressBar
    from tui.corpus.errors import CorpusError
    from tui.corpus.index.engine import EngineBusy

    bar = ProgressBar()
    try:
        index.feed_fields(progress=bar.callback("indexing the posts' fields"))
        if not query.has_text_terms:
            return
        with index.text_indexer() as mine:
            if mine:
                index.feed_text(progress=bar.callback("indexing the posts' text"))
    except EngineBusy as exc:
        bar.close()
        click.echo(f"postil: {exc}; this answer may be incomplete.", err=True)
    except CorpusError as exc:
        bar.close()
        fail(str(exc), 1)
    finally:
        bar.close()
    total, _, with_text = index.stage_counts()
    if with_text < total:
        click.echo(
            f"postil: the text of {total - with_text:,} of {total:,} posts is still being"
            " indexed by another postil; this answer is partial.",
            err=True,
        )


def _warn_problems(index: CorpusIndex) -> None:
    """Say on stderr how many files were skipped or listed with problems."""
    problems = index.db.problems()
    failed = {p.path for p in problems if not p.recovered}
    flawed = {p.path for p in problems if p.recovered} - failed
    if failed:
        n = len(failed)
        noun = "file" if n == 1 else "files"
        click.echo(f"postil: {n} {noun} could not be read (run postil check).", err=True)
    if flawed:
        n = len(flawed)
        noun = "file was" if n == 1 else "files were"
        click.echo(f"postil: {n} {noun} listed with problems (run postil check).", err=True)


TABLE_ROWS_HELD = 10_000
"""Rows `ls` reads before printing its table, to fit the author column to them (more
are printed as they are read, the column fitted to every author of the archive)."""


@main.command("ls")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-q", "--query", "query_text", default="", help="Only posts matching QUERY.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array of posts.")
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Print at most N posts.")
@click.option(
    "--snippets",
    is_flag=True,
    help="With --json and text terms: add each post's passage around the first match.",
)
def ls_command(
    paths: tuple[str, ...], query_text: str, as_json: bool, limit: int | None, snippets: bool
) -> None:
    """List the posts below PATHs, newest first (or in the query's sort: order)."""
    from tui.cli.corpus_output import (
        TABLE_COLUMNS,
        author_width,
        batched_rows,
        post_json,
        write_json,
        write_table,
    )
    from tui.corpus.index.db import POST_COLUMNS, post_of
    from tui.corpus.query import QueryError, parse_query

    if snippets and not as_json:
        fail("--snippets adds a field to the JSON rows: give --json too.", 2)
    try:
        query = parse_query(query_text)
    except QueryError as exc:
        fail(str(exc), 2)
    index = _index(paths)
    columns = POST_COLUMNS if as_json else TABLE_COLUMNS
    rows: Iterable[tuple[Any, ...]]
    if query.is_empty and query.sort is None:
        rows = index.db.iter_rows_newest_first(columns, limit=limit)
        count = limit
    else:
        _searchable(index, query)
        search = index.search(query, _cli_state(query))
        keys = search.keys(0, limit)
        rows = batched_rows(index, keys, columns)
        count = len(keys)
    if as_json:
        posts: Iterable[Post] = map(post_of, rows)
        objects: Iterable[dict[str, Any]] = map(post_json, posts)
        if snippets and query.has_text_terms:
            objects = _with_snippets(posts, query)
        write_json(objects, sys.stdout)
    elif count is not None and count <= TABLE_ROWS_HELD:
        # The column fits the authors printed (a query's few rows, read first).
        rows = list(rows)
        write_table(rows, sys.stdout, author_width(row[4] for row in rows if row[4]))
    else:
        # Too many rows to hold: the column fits every author of the archive.
        write_table(rows, sys.stdout, author_width(index.db.authors()))
    _warn_problems(index)


def _with_snippets(posts: Iterable[Post], query: Query) -> Iterator[dict[str, Any]]:
    """``ls --json`` rows with the passage of each post's text around its first match."""
    from tui.cli.corpus_output import post_json
    from tui.corpus.errors import CorpusError
    from tui.corpus.snippets import snippet
    from tui.render.document import canonical_text

    for post in posts:
        row = post_json(post)
        try:
            row["snippet"] = snippet(canonical_text(post.path), query)
        except CorpusError:
            row["snippet"] = None
        yield row


@main.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
def check_command(paths: tuple[str, ...]) -> None:
    """List the files below PATHs that cannot be read properly; exit 1 if there are any."""
    from tui.corpus.text import display_text

    index = _index(paths)
    problems = index.db.problems()
    for problem in problems:
        click.echo(f"{display_text(problem.path)}: {display_text(problem.reason)}")
    if problems:
        sys.exit(1)
    click.echo(f"no problems in {index.db.file_count()} files")


@main.command("index")
@click.argument("paths", nargs=-1, type=click.Path())
def index_command(paths: tuple[str, ...]) -> None:
    """Build or bring up to date the search index of PATHs (the posts' fields and text)."""
    import time

    from tui.cli.corpus_output import ProgressBar
    from tui.corpus.errors import CorpusError
    from tui.corpus.index.build import Event, build

    started = time.monotonic()
    index = _index(paths, synced=False)
    bar = ProgressBar()
    reading = bar.callback("reading post files")
    fields = bar.callback("indexing the posts' fields")
    indexing = bar.callback("indexing the posts' text")

    def report(event: Event) -> None:
        if event.phase == "files":
            reading(event.done, event.total)
        elif event.phase == "fields_progress":
            fields(event.done, event.total)
        elif event.phase == "text":
            indexing(event.done, event.total)
        elif event.phase == "notice":
            click.echo(event.message, err=True)

    try:
        build(index, report)
    except CorpusError as exc:
        fail(str(exc), 1)
    except KeyboardInterrupt:
        bar.close()
        total, _, with_text = index.stage_counts()
        fail(
            f"stopped with {with_text:,} of {total:,} posts' text indexed; what is indexed"
            " is kept, and `postil index` goes on from there.",
            130,
        )
    finally:
        bar.close()
    total, _, with_text = index.stage_counts()
    if sys.stderr.isatty():
        seconds = time.monotonic() - started
        click.echo(f"postil: {with_text:,} of {total:,} posts indexed ({seconds:.1f} s).", err=True)


def resolve_post(ref: str) -> Post:
    """The post ``ref`` names: a post file (read on its own) or an id in the corpus.

    An id is looked up in the index as it is first (no folder is walked), and only if it
    is not there after the index is brought up to date.
    """
    import os

    from tui.corpus.errors import CorpusError, PostNotFound
    from tui.corpus.index import load_single

    if os.path.isdir(ref):
        fail(f"{ref} is a folder; give one post file or a post id.", 2)
    try:
        if os.path.isfile(ref):
            return load_single(ref)
        index = _index((), synced=False)
        try:
            post = index.resolve(ref)
            if os.path.isfile(post.path):
                return post
        except PostNotFound:
            pass
        index.sync(waiting=say_waiting)
        return index.resolve(ref)
    except PostNotFound as exc:
        fail(str(exc), 2)
    except CorpusError as exc:
        fail(str(exc), 1)


@main.command("show")
@click.argument("post_ref", metavar="POST")
@click.option("--width", type=click.IntRange(min=10), default=None, help="Line width in cells.")
@click.option("--plain", is_flag=True, help="Print exactly the canonical text.")
def show_command(post_ref: str, width: int | None, plain: bool) -> None:
    """Render one post (a file path or a post id) to stdout."""
    from rich.console import Console

    from tui.corpus.errors import CorpusError
    from tui.corpus.files import read_body
    from tui.render import build_document
    from tui.render.console import render_console

    post = resolve_post(post_ref)
    try:
        doc = build_document(read_body(post.path))
    except CorpusError as exc:
        fail(str(exc), 1)
    if plain:
        click.echo(doc.text)
        return
    # Styles and OSC 8 links only on a terminal: piped output is plain text.
    console = Console(highlight=False, markup=False, emoji=False, width=width)
    render_console(doc, console, width or console.width, post=post)
