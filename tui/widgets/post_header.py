"""PostHeader: the title, author, date, tags and source above the reader."""

from __future__ import annotations

from tui.corpus.model import Post
from tui.render import sanitize
from tui.render.script import Script, convert
from tui.widgets.wrapped_text import Line, WrappedText


def _clean(text: str) -> str:
    """Untrusted text on one line: controls removed, whitespace collapsed."""
    return " ".join(sanitize(text).split())


def header_lines(
    post: Post, *, title: str | None = None, script: Script | None = None
) -> list[Line]:
    """The header's lines as (text, style), one per field, not wrapped.

    Args:
        post: The post shown.
        title: A better title (e.g. from the archive header) when the post has none.
        script: Show the title in this script (None: as written).
    """
    heading = convert(_clean(post.title) or _clean(title or ""), script) or post.rel_path
    parts: list[str] = []
    if post.author:
        parts.append(_clean(post.author))
    if post.date is not None:
        parts.append(post.date.strftime("%Y-%m-%d %H:%M UTC"))
    lines = [(heading, "bold $text-primary")]
    if parts:
        lines.append((" · ".join(parts), "$text-muted"))
    if post.tags:
        lines.append((" ".join(f"#{_clean(tag)}" for tag in post.tags), "$text-accent"))
    if post.source:
        lines.append((_clean(post.source), "$text-muted underline"))
    return lines


class PostHeader(WrappedText):
    """The post's metadata, drawn from untrusted text without markup, its lines broken as
    the post's text is (`WrappedText`).

    Args:
        post: The post shown.
    """

    DEFAULT_CSS = """
    PostHeader {
        height: auto;
        max-height: 6;
        padding: 0 1 0 3;
    }
    """

    def __init__(self, post: Post, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(header_lines(post), id=id, classes=classes)
        self.post = post
        """The post whose metadata is shown."""
        self._title: str | None = None
        self._script: Script | None = None

    def set_title(self, title: str | None) -> None:
        """Use ``title`` (from the archive header) when the post itself has none."""
        self._title = title
        self.set_lines(header_lines(self.post, title=title, script=self._script))

    def set_script(self, script: Script | None) -> None:
        """Show the title in ``script`` (None: as written)."""
        self._script = script
        self.set_lines(header_lines(self.post, title=self._title, script=script))
