"""The ``postil`` command: the only place that wires corpus, render and store for the CLI.

``postil [PATH ...]`` opens the app; subcommands (``ls``, ``show``, ``check``, ...) are
plain CLI tools. Errors are one sentence on stderr with exit status 2 (bad usage, no such
post) or 1 (a problem found), never a traceback for a user mistake.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from tui import locations

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from tui.corpus.index import CorpusIndex
    from tui.corpus.model import Post
    from tui.corpus.query import PostState, Query


class PostilGroup(click.Group):
    """A group whose first argument may be a path instead of a subcommand.

    ``postil sample_posts`` must open the app on that folder, while ``postil ls`` runs
    the subcommand: anything that is not a known command name goes to the app.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Route leading non-command arguments to the app as paths."""
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            if not args[0].startswith("-") or args[0].split("=", 1)[0] == "--store":
                args = ["open", *args]
        return super().parse_args(ctx, args)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one sentence to stderr and exit with ``code``."""
    click.echo(f"postil: {message}", err=True)
    sys.exit(code)


STORE_OPTION = click.option(
    "--store",
    "store",
    type=click.Path(dir_okay=False),
    default=None,
    help="The annotation store file (default: $POSTIL_STORE, else the user data folder).",
)


@click.group(
    cls=PostilGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="postil")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Read and annotate archives of post files in the terminal.

    Run without a command to open the app on PATHs (default: $POSTIL_CORPUS, else the
    bundled sample_posts/).
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(open_app)


@main.command("open")
@click.argument("paths", nargs=-1, type=click.Path())
@STORE_OPTION
def open_app(paths: tuple[str, ...] = (), store: str | None = None, **_: Any) -> None:
    """Open the app on PATHs."""
    from tui.app import run_app

    run_app(list(paths) or [str(p) for p in locations.default_corpus()], store=store)


# --- serve (web mode) -------------------------------------------------------------------


@main.command("serve")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="TCP port (0: any free port).",
)
@click.option(
    "--socket",
    "socket_path",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[PATH]",
    help="Listen on a Unix socket (mode 0600) instead of TCP; without PATH, serve.sock in "
    "your runtime folder. Forward it with ssh -L 8000:PATH server.",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Read the token from FILE (mode 0600) instead of making a new one each run.",
)
@STORE_OPTION
@click.pass_context
def serve_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    host: str,
    port: int,
    socket_path: str | None,
    token_file: Path | None,
    store: str | None,
) -> None:
    """Serve the app in a web browser, to you alone: the printed link carries a token."""
    from tui.serve import ServeError, default_socket_path, exposure_warning, serve

    if socket_path is not None and any(
        ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
        for name in ("host", "port")
    ):
        fail("--socket listens on a Unix socket: leave out --host and --port.")
    socket_file = None
    try:
        if socket_path is not None:
            socket_file = Path(socket_path) if socket_path else default_socket_path()
        elif warning := exposure_warning(host, port):
            click.secho(f"postil: {warning}", err=True, fg="yellow", bold=True)
        serve(
            paths,
            host=host,
            port=port,
            store=store,
            socket_path=socket_file,
            token_file=token_file,
        )
    except ServeError as error:
        fail(str(error), error.exit_code)
    except OSError as error:
        where = socket_file if socket_file is not None else f"{host}:{port}"
        fail(f"cannot listen on {where}: {error.strerror or error}.", 1)


# --- ls, check, index, show ----------------------------------------------------------------


def _index(paths: tuple[str, ...], *, synced: bool = True) -> CorpusIndex:
    """The index of PATHs (default: the configured corpus), brought up to date with the
    files unless ``synced`` is False; a missing path is a usage error."""
    from tui.cli_corpus import ProgressBar
    from tui.corpus.errors import CorpusError
    from tui.corpus.index import CorpusIndex

    targets = list(paths) or [str(p) for p in locations.default_corpus()]
    bar = ProgressBar()
    try:
        index = CorpusIndex(targets)
        if synced:
            report = index.sync(progress=bar.callback("reading post files"))
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

    path = locations.store_path()
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

    path = locations.store_path()
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
    from tui.cli_corpus import ProgressBar
    from tui.corpus.errors import CorpusError
    from tui.corpus.index.engine import EngineBusy

    try:
        index.feed_fields()
        if not query.has_text_terms:
            return
        with index.text_indexer() as mine:
            if mine:
                bar = ProgressBar()
                try:
                    index.feed_text(progress=bar.callback("indexing the posts' text"))
                finally:
                    bar.close()
    except EngineBusy as exc:
        click.echo(f"postil: {exc}; this answer may be incomplete.", err=True)
    except CorpusError as exc:
        fail(str(exc), 1)
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
    from tui.cli_corpus import author_width, batched_posts, post_json, write_json, write_table
    from tui.corpus.query import QueryError, parse_query

    try:
        query = parse_query(query_text)
    except QueryError as exc:
        fail(str(exc), 2)
    index = _index(paths)
    if query.is_empty and query.sort is None:
        posts: Iterable[Post] = index.db.iter_posts_newest_first(limit=limit)
    else:
        _searchable(index, query)
        search = index.search(query, _cli_state(query))
        posts = batched_posts(index, search.keys(0, limit))
    if as_json:
        rows: Iterable[dict[str, Any]] = map(post_json, posts)
        if snippets and query.has_text_terms:
            rows = _with_snippets(posts, query)
        write_json(rows, sys.stdout)
    else:
        write_table(posts, sys.stdout, author_width(index.db.authors()))
    _warn_problems(index)


def _with_snippets(posts: Iterable[Post], query: Query) -> Iterator[dict[str, Any]]:
    """``ls --json`` rows with the passage of each post's text around its first match."""
    from tui.cli_corpus import post_json
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

    from tui.cli_corpus import ProgressBar
    from tui.corpus.errors import CorpusError
    from tui.corpus.index.build import Event, build

    started = time.monotonic()
    index = _index(paths, synced=False)
    bar = ProgressBar()
    reading = bar.callback("reading post files")
    indexing = bar.callback("indexing the posts' text")

    def report(event: Event) -> None:
        if event.phase == "files":
            reading(event.done, event.total)
        elif event.phase == "text":
            indexing(event.done, event.total)
        elif event.phase == "notice":
            click.echo(event.message, err=True)

    try:
        build(index, report)
    except CorpusError as exc:
        fail(str(exc), 1)
    finally:
        bar.close()
    total, _, with_text = index.stage_counts()
    if sys.stderr.isatty():
        seconds = time.monotonic() - started
        click.echo(f"postil: {with_text:,} of {total:,} posts indexed ({seconds:.1f} s).", err=True)


def _show_post(ref: str) -> Post:
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
        index.sync()
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

    post = _show_post(post_ref)
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


# --- highlight, notes, export, import (store helper) -------------------------------------

if TYPE_CHECKING:
    from annotations.model import Annotation
    from annotations.placing import Placement
    from annotations.store import AnnotationStore


def _open_store(store: str | None, *, writing: bool) -> AnnotationStore:
    """Open the store; a store that cannot be parsed fails writes, warns for reads."""
    from annotations.store import AnnotationStore

    opened = AnnotationStore(locations.store_path(store))
    if opened.read_only:
        if writing:
            fail(opened.read_only_reason or "the annotation store is read-only.", 1)
        click.echo(f"postil: warning: {opened.read_only_reason}", err=True)
    if opened.problems:
        n = len(opened.problems)
        noun = "document is" if n == 1 else "documents are"
        click.echo(
            f"postil: warning: {n} stored {noun} not valid and left out (kept in the store).",
            err=True,
        )
    return opened


@main.command("highlight")
@click.argument("post_ref", metavar="POST")
@click.option("--quote", required=True, help="Text of the post to highlight (verbatim).")
@click.option("--note", default="", help="A note to attach.")
@click.option("--tag", "tags", multiple=True, help="A tag for the highlight (repeatable).")
@click.option(
    "--color",
    type=click.Choice(["yellow", "green", "blue", "pink", "purple"]),
    default="yellow",
    show_default=True,
    help="Highlight colour.",
)
@STORE_OPTION
def highlight_command(
    post_ref: str,
    quote: str,
    note: str,
    tags: tuple[str, ...],
    color: str,
    store: str | None,
) -> None:
    """Highlight QUOTE in POST (a file or a post id) and print the new annotation's id."""
    from annotations.anchor import make_target
    from annotations.model import PostSnapshot
    from annotations.placing import find_quote
    from annotations.store import StoreError
    from tui.corpus.errors import CorpusError
    from tui.corpus.text import sanitize
    from tui.render.document import canonical_text

    if not quote.strip():
        fail("the quote is empty; give some text of the post with --quote.", 2)
    post = _show_post(post_ref)
    try:
        text = canonical_text(post.path)
    except CorpusError as exc:
        fail(str(exc), 1)
    found = find_quote(text, quote)
    name = f"{sanitize(post.title)!r} ({post.id})"
    if found is None:
        fail(f"the quote does not occur in the text of the post {name}.", 2)
    if found.count > 1:
        click.echo(
            f"postil: the quote occurs {found.count} times in {name}; the first one is"
            " highlighted.",
            err=True,
        )
    opened = _open_store(store, writing=True)
    try:
        ann = opened.create(
            PostSnapshot.from_post(post),
            make_target(text, found.start, found.end),
            note=note,
            tags=tags,
            color=color,
        )
    except StoreError as exc:
        fail(str(exc), 1)
    click.echo(ann.id)


def _post_id_for(ref: str, anns: list[Annotation]) -> str:
    """The post id ``--post`` names: a file, an id (prefix) in the store, else the corpus."""
    import os

    if os.path.isfile(ref):
        return _show_post(ref).id
    ids = {a.post.id for a in anns if a.post.id.startswith(ref.lower())}
    if len(ids) == 1:
        return ids.pop()
    return _show_post(ref).id


def _placements(store: AnnotationStore, query_text: str, post_ref: str | None) -> list[Placement]:
    """The annotations the options select, placed by the one policy (moves saved)."""
    from tui.annotation_commands import CommandError, select_placements

    try:
        return select_placements(store, query_text, post_ref, _post_id_for)
    except CommandError as exc:
        fail(str(exc), exc.code)


@main.command("notes")
@click.option("-q", "--query", "query_text", default="", help="Only annotations matching QUERY.")
@click.option("--post", "post_ref", default=None, help="Only this post's annotations.")
@click.option("--json", "as_json", is_flag=True, help="Print the stored documents as JSON.")
@STORE_OPTION
def notes_command(query_text: str, post_ref: str | None, as_json: bool, store: str | None) -> None:
    """List highlights and notes, re-anchored to the posts' current text."""
    from tui.annotation_commands import notes_json, print_notes

    opened = _open_store(store, writing=False)
    chosen = _placements(opened, query_text, post_ref)
    if as_json:
        import orjson

        click.echo(orjson.dumps(notes_json(chosen)).decode("utf-8"))
        return
    if not chosen:
        click.echo("no annotations" + (" match the query" if query_text.strip() else ""), err=True)
        return
    print_notes(chosen)


@main.command("export")
@click.option("-q", "--query", "query_text", default="", help="Only annotations matching QUERY.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json", "csv", "jsonld"]),
    default="markdown",
    show_default=True,
    help="Output format.",
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write to FILE (atomically) instead of stdout.",
)
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@STORE_OPTION
def export_command(
    query_text: str, fmt: str, output: str | None, force: bool, store: str | None
) -> None:
    """Export highlights and notes as Markdown, JSON, CSV or JSON-LD (W3C Web Annotation)."""
    from pathlib import Path
    from typing import cast

    from annotations.export import ExportFormat, export, write_export

    opened = _open_store(store, writing=False)
    chosen = _placements(opened, query_text, None)
    orphans = {placed.annotation.id for placed in chosen if not placed.is_placed}
    anns = [placed.annotation for placed in chosen]
    text = export(anns, cast(ExportFormat, fmt), orphans=orphans)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        write_export(text, Path(output), force=force)
    except (FileExistsError, FileNotFoundError, IsADirectoryError) as exc:
        fail(str(exc) if str(exc).endswith(".") else f"cannot write {output}: {exc}.", 2)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}.", 1)
    n = len(chosen)
    click.echo(f"postil: exported {n} annotation{'s' if n != 1 else ''} to {output}.", err=True)


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["hypothesis", "jsonld", "readwise"]),
    default=None,
    help="The file's format (default: told from its name and content).",
)
@STORE_OPTION
def import_command(file: str, fmt: str | None, store: str | None) -> None:
    """Add annotations made elsewhere: Hypothesis JSON, W3C Web Annotation JSON-LD, Readwise CSV.

    Each is matched to a post by its page's source URL, else its exact title, and placed in
    the post's text; one that matches no post is kept as unplaced. Importing a file again
    adds nothing.
    """
    from pathlib import Path

    from tui.annotation_commands import CommandError, import_file

    opened = _open_store(store, writing=True)
    try:
        summary = import_file(Path(file), fmt, opened)
    except CommandError as exc:
        fail(str(exc), exc.code)
    for line in summary.lines():
        click.echo(line)
    if summary.error is not None:
        fail(summary.error, 1)
