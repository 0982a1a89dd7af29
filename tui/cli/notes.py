"""``postil highlight``, ``notes``, ``export`` and ``import``: the store from the command line.

What ``notes``, ``export`` and ``import`` do below their click commands is in
:mod:`tui.cli.annotation_commands`; annotations are placed with the one policy of
:mod:`annotations.placing`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from tui.cli.base import STORE_OPTION, fail, main, store_file
from tui.cli.corpus import resolve_post

if TYPE_CHECKING:
    from annotations.model import Annotation
    from annotations.placing import Placement
    from annotations.store import AnnotationStore


def _open_store(store: str | None, *, writing: bool) -> AnnotationStore:
    """Open the store; a store that cannot be parsed fails writes, warns for reads."""
    from annotations.store import AnnotationStore

    opened = AnnotationStore(store_file(store))
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
    from annotations.model import PostSnapshot, clean_tags
    from annotations.placing import Placer, find_quote, highlight_at
    from annotations.store import StoreError
    from tui.corpus.errors import CorpusError
    from tui.corpus.text import sanitize
    from tui.render.document import canonical_text

    if not quote.strip():
        fail("the quote is empty; give some text of the post with --quote.", 2)
    post = resolve_post(post_ref)
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
    placed = Placer(lambda _post: text, opened).place_all(opened.for_post(post.id))
    existing = highlight_at(((p.annotation, p.span) for p in placed), (found.start, found.end))
    if existing is not None:
        # Run twice, the command adds nothing; a note or tags it would add are not
        # dropped without a word.
        if (note and note != existing.note) or not set(clean_tags(tags)) <= set(existing.tags):
            fail(
                f"the passage is highlighted already ({existing.id}) with another note or"
                " other tags; nothing was changed.",
                1,
            )
        click.echo("postil: the passage is highlighted already; nothing was added.", err=True)
        click.echo(existing.id)
        return
    try:
        ann = opened.create(
            PostSnapshot.from_post(post),
            make_target(text, found.start, found.end),
            note=note,
            tags=clean_tags(tags),
            color=color,
        )
    except StoreError as exc:
        fail(str(exc), 1)
    click.echo(ann.id)


def _post_id_for(ref: str, anns: list[Annotation]) -> str:
    """The post id ``--post`` names: a file, an id (prefix) in the store, else the corpus."""
    import os

    if os.path.isfile(ref):
        return resolve_post(ref).id
    ids = {a.post.id for a in anns if a.post.id.startswith(ref.lower())}
    if len(ids) == 1:
        return ids.pop()
    return resolve_post(ref).id


def _placements(store: AnnotationStore, query_text: str, post_ref: str | None) -> list[Placement]:
    """The annotations the options select, placed by the one policy (moves saved)."""
    from tui.cli.annotation_commands import CommandError, select_placements

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
    from tui.cli.annotation_commands import notes_json, print_notes

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

    from tui.cli.annotation_commands import CommandError, import_file

    opened = _open_store(store, writing=True)
    try:
        summary = import_file(Path(file), fmt, opened)
    except CommandError as exc:
        fail(str(exc), exc.code)
    for line in summary.lines():
        click.echo(line)
    if summary.error is not None:
        fail(summary.error, 1)
