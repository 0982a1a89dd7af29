"""What ``postil notes``, ``export`` and ``import`` do, below their click commands.

Annotations are placed with the one policy of :mod:`annotations.placing` (moves saved
by its rule); post texts come from :class:`tui.post_texts.PostTexts`, the corpus loaded
only when a post file moved or an import needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from annotations.placing import Found, Placement, Placer

if TYPE_CHECKING:
    from annotations.importing import ImportSummary
    from annotations.model import Annotation
    from annotations.store import AnnotationStore
    from tui.corpus.index import CorpusIndex
    from tui.corpus.model import Post
    from tui.post_texts import K, Placeable, PostTexts


class CommandError(Exception):
    """A user mistake or a bad file: one sentence, and the exit status to end with."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def warn(message: str) -> None:
    """One warning sentence on stderr."""
    click.echo(f"postil: warning: {message}", err=True)


def corpus_index() -> CorpusIndex | None:
    """The configured corpus's index, brought up to date (None when it cannot be)."""
    from tui.cli.base import corpus_paths, say_waiting
    from tui.corpus.errors import CorpusError
    from tui.corpus.index import CorpusIndex

    try:
        index = CorpusIndex(corpus_paths())
        index.sync(waiting=say_waiting)
    except CorpusError:
        return None
    return index


def corpus_posts() -> list[Post]:
    """The posts of the configured corpus (empty when it cannot be loaded)."""
    index = corpus_index()
    return [] if index is None else index.db.posts_newest_first()


def placer_for(store: AnnotationStore, anns: Sequence[Annotation] = ()) -> Placer:
    """The placing policy over the posts' current texts, saving moves in ``store``; where
    ``anns`` are is found first, all at once (`PostTexts.locate_all`: in worker
    processes), with a progress bar on a terminal."""
    from tui.post_texts import PathsOf, PostTexts, placeable

    index: list[CorpusIndex | None] = []

    def find(post_id: str) -> Post | None:
        if not index:
            index.append(corpus_index())  # only for a post whose file moved
        return None if index[0] is None else index[0].db.find_post(post_id)

    texts = PostTexts(PathsOf(find))
    return Placer(texts, store, warn=warn, found=_located(texts, placeable(anns)))


def _located(texts: PostTexts, items: Iterable[Placeable[K]]) -> dict[K, Found]:
    """`PostTexts.locate_all`, with a progress bar on a terminal."""
    from tui.cli.corpus_output import ProgressBar

    bar = ProgressBar()
    try:
        return texts.locate_all(items, bar.callback("reading the annotated posts"))
    finally:
        bar.close()


def select_placements(
    store: AnnotationStore,
    query_text: str,
    post_ref: str | None,
    resolve: Callable[[str, list[Annotation]], str],
) -> list[Placement]:
    """The annotations the options select, placed, oldest first.

    Args:
        store: The open store.
        query_text: An annotation query (``-q``).
        post_ref: ``--post``: only that post's annotations.
        resolve: Turns ``post_ref`` into a post id (it may end the command).

    Raises:
        CommandError: the query does not parse.
    """
    from tui.corpus.query import Marks, QueryError, matches_annotation, parse_query

    try:
        query = parse_query(query_text, annotation_keys=True)
    except QueryError as exc:
        raise CommandError(str(exc), 2) from None
    anns = store.all()
    if post_ref is not None:
        post_id = resolve(post_ref, anns)
        anns = [a for a in anns if a.post.id == post_id]
    state = Marks.read_from(store)
    folded = query_text.casefold()
    # is:orphan and is:unplaced need the placement; any other query filters first and
    # places only the matches, which spares reading every post file.
    needs_place = "orphan" in folded or "unplaced" in folded
    if not needs_place:
        anns = [a for a in anns if matches_annotation(query, a, is_orphan=False, state=state)]
    placer = placer_for(store, anns)
    chosen = []
    for ann in anns:
        placed = placer.place(ann)
        if needs_place and not matches_annotation(
            query,
            placed.annotation,
            is_orphan=placed.is_orphan,
            is_unplaced=placed.status == "unplaced",
            state=state,
        ):
            continue
        chosen.append(placed)
    return chosen


def notes_json(placements: Sequence[Placement]) -> list[dict[str, object]]:
    """``notes --json``: the stored documents, each with its ``anchor``."""
    docs = []
    for placed in placements:
        doc = placed.annotation.to_doc()
        doc["anchor"] = placed.as_json()
        docs.append(doc)
    return docs


def print_notes(placements: Sequence[Placement]) -> None:
    """The human listing: one heading per post, each highlight and its note; then the
    unplaced annotations (imported, no post matched), with their source."""
    from tui.corpus.text import sanitize

    placed = [p for p in placements if p.status != "unplaced"]
    unplaced = [p for p in placements if p.status == "unplaced"]
    current = None
    for item in sorted(placed, key=lambda p: (p.annotation.post.id, p.annotation.target.start)):
        post = item.annotation.post
        if post.id != current:
            if current is not None:
                click.echo("")
            current = post.id
            click.echo(_post_heading(post.title, post.id, post.author, post.date))
        _print_item(item.annotation, "  (orphan)" if item.is_orphan else "")
    if unplaced:
        if placed:
            click.echo("")
        count = len(unplaced)
        noun = "annotation" if count == 1 else "annotations"
        click.echo(f"Unplaced: {count} imported {noun} whose post is not in the corpus")
        for item in sorted(unplaced, key=lambda p: (p.annotation.post.title, p.annotation.id)):
            post = item.annotation.post
            where = f"<{sanitize(post.source)}>" if post.source else "(no URL)"
            click.echo(f"  {sanitize(' '.join(post.title.split())) or '(untitled)'}  {where}")
            _print_item(item.annotation, "")


def _post_heading(title: str, post_id: str, author: str, date: str | None) -> str:
    from tui.corpus.text import sanitize

    heading = f"{sanitize(' '.join(title.split()))}  [{post_id}]"
    facts = [sanitize(f) for f in (author, (date or "")[:10]) if f]
    return heading + ("\n  " + " · ".join(facts) if facts else "")


def _print_item(ann: Annotation, mark: str) -> None:
    from tui.corpus.text import sanitize

    quote = " ".join(sanitize(ann.target.exact).split())
    if len(quote) > 120:
        quote = quote[:119] + "…"
    click.echo(f"  {ann.id[:8]}  [{ann.color}] “{quote}”{mark}")
    for line in sanitize(ann.note).splitlines():
        click.echo(f"      {line}")
    if ann.tags:
        click.echo("      tags: " + " ".join(f"#{sanitize(t)}" for t in ann.tags))


def import_file(path: Path, fmt: str | None, store: AnnotationStore) -> ImportSummary:
    """Import the annotations of ``path`` into ``store`` (the corpus loaded to match them).

    Raises:
        CommandError: the file is missing (2), unreadable or not in the format (1).
    """
    from annotations.import_formats import (
        ImportFileError,
        ImportFormat,
        detect_format,
        read_records,
    )
    from annotations.importing import import_records
    from tui.post_texts import PostTexts

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CommandError(f"there is no file named '{path}'.", 2) from None
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}.", 1) from None
    try:
        chosen = cast("ImportFormat", fmt) if fmt else detect_format(path.name, raw)
        records = read_records(raw, chosen)
    except ImportFileError as exc:
        raise CommandError(f"{path} cannot be imported: {exc}", 1) from None
    posts = corpus_posts()
    texts = PostTexts({p.id: p.path for p in posts})
    return import_records(
        records, posts, store, texts, locator=lambda wanted: _located(texts, wanted)
    )
