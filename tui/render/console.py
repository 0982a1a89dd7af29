"""Printing a document to a Rich console: the ``postil show`` output."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console
from rich.style import Style
from rich.text import Text

from tui.corpus.model import Post
from tui.render.document import Document
from tui.render.layout import DECORATION, Layout
from tui.render.text import header_line, readable_url
from tui.render.wrap import wrap

TITLE = Style(bold=True, color="bright_white")
META = Style(color="bright_black")


def header_lines(doc: Document, post: Post | None = None) -> list[Text]:
    """The post's header: title, then author · date · tags, then the source URL.

    Values come from the post record when given, else from the archive header; all are
    cleaned (entities decoded, controls removed) and never parsed as markup.
    """
    title = post.title if post else (doc.header.title or "")
    author = post.author if post else ""
    source = (post.source if post else None) or doc.header.url or ""
    date = post.date if post else None
    if date is None:
        date = doc.header.date
    if date is None and doc.header.epoch_ms is not None:
        date = datetime.fromtimestamp(doc.header.epoch_ms / 1000, tz=UTC)
    meta = [header_line(author)] if author else []
    if date is not None:
        meta.append(date.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    if post and post.tags:
        meta.append(", ".join("#" + header_line(t) for t in post.tags))
    lines: list[Text] = []
    if title:
        lines.append(Text(header_line(title), style=TITLE))
    if meta:
        lines.append(Text(" · ".join(m for m in meta if m), style=META))
    if source:
        target = header_line(source)
        lines.append(
            Text(readable_url(target), style=Style(color="bright_blue", link=target or None))
        )
    return lines


def render_console(
    doc: Document, console: Console, width: int, *, post: Post | None = None
) -> None:
    """Print the header, the body and the link list of ``doc`` at ``width`` cells.

    Args:
        doc: The document.
        console: Where to print; styles and OSC 8 links appear only when it is a
            terminal (a piped console gets plain text).
        width: Cells per line.
        post: The post record, for the header's metadata.
    """
    header = header_lines(doc, post)
    for line in header:  # broken as the body is (no line starts with closing punctuation)
        for start, end in wrap(line.plain, width):
            console.print(line[start:end], crop=False, soft_wrap=True)
    if header:
        console.print(Text("─" * min(width, 40), style=DECORATION), crop=False)
        console.print()
    # One print for the whole body: Rich's per-call overhead dominates line by line.
    body = Text("\n", end="\n").join(wrapped.text for wrapped in Layout(doc, width).lines())
    console.print(body, crop=False, soft_wrap=True)
