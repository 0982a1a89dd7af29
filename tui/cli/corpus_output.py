"""What the corpus commands (``ls``, ``check``, ``show``, ``index``) share: an index brought
up to date with progress on a terminal, and the listing's two output forms.

Output is streamed a batch of rows at a time, so listing 500,000 posts never holds them
all (nor their JSON) at once.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TextIO

import orjson

if TYPE_CHECKING:
    from tui.corpus.index import CorpusIndex
    from tui.corpus.model import Post

PROGRESS_AFTER_S = 0.5
"""Show a progress bar only for work that has taken longer than this."""


class ProgressBar:
    """A progress bar on stderr when it is a terminal, nothing otherwise.

    It appears only once the work has lasted `PROGRESS_AFTER_S` (a warm start shows
    nothing), and is cleared when the work ends.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.started = time.monotonic()
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}

    def callback(self, description: str) -> Callable[[int, int], None]:
        """A ``progress(done, total)`` callback drawing under ``description``."""

        def update(done: int, total: int) -> None:
            if not self.enabled or time.monotonic() - self.started < PROGRESS_AFTER_S:
                return
            progress = self._start()
            task = self._tasks.get(description)
            if task is None:
                task = self._tasks[description] = progress.add_task(description, total=total)
            progress.update(task, completed=done, total=total)

        return update

    def _start(self) -> Any:
        if self._progress is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            console = Console(file=self.stream, markup=False, highlight=False)
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),  # a first text index takes minutes: say how many
                TextColumn("left"),
                console=console,
                transient=True,
            )
            self._progress.start()
        return self._progress

    def close(self) -> None:
        """Remove the bar."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def post_json(post: Post) -> dict[str, Any]:
    """The ``ls --json`` object of a post (the CLI contract's keys)."""
    from tui.corpus.text import display_text

    date = post.date.isoformat().replace("+00:00", "Z") if post.date is not None else None
    return {
        "id": post.id,
        "path": display_text(post.path),
        "title": post.title,
        "date": date,
        "author": post.author,
        "tags": list(post.tags),
        "categories": list(post.categories),
        "source": post.source,
    }


def write_json(rows: Iterable[dict[str, Any]], out: TextIO) -> None:
    """One JSON array of ``rows``, written as they come."""
    out.write("[")
    first = True
    for row in rows:
        if not first:
            out.write(",")
        first = False
        out.write(orjson.dumps(row).decode("utf-8"))
    out.write("]\n")


TABLE_COLUMNS = "key, id, date_us, title, author"
"""The index's columns a table row is made of (`write_table`)."""


def write_table(rows: Iterable[Sequence[Any]], out: TextIO, author_width: int) -> None:
    """One post per line: id, date, title and author, aligned by terminal cell width.

    Args:
        rows: The posts' `TABLE_COLUMNS`, as the index reads them (no post objects: a
            listing of the whole archive prints every post).
        out: Where to write.
        author_width: The author column's width (`author_width`); 0 for none.
    """
    import shutil

    from tui.corpus.text import sanitize
    from tui.render.cells import fit

    width = shutil.get_terminal_size((100, 24)).columns
    title_w = max(width - 12 - 2 - 10 - 2 - 2 - author_width, 20)
    lines: list[str] = []
    authors: dict[str, str] = {}  # each author's cell, made once: few authors, many posts
    for _, post_id, date_us, title, author in rows:
        day = "" if date_us is None else _utc_day(date_us // _DAY_US)
        # isprintable(): no control character, so nothing to remove (the usual case).
        title = title if title.isprintable() else sanitize(title)
        line = f"{post_id}  {day:<10}  {fit(title, title_w)}"
        if author_width:
            cell = authors.get(author)
            if cell is None:
                shown = author if author.isprintable() else sanitize(author)
                cell = authors[author] = "  " + fit(shown, author_width)
            line += cell
        lines.append(line.rstrip())
        if len(lines) >= 1000:
            out.write("\n".join(lines) + "\n")
            lines = []
    if lines:
        out.write("\n".join(lines) + "\n")


_DAY_US = 86_400_000_000
"""Microseconds in a day."""


@functools.lru_cache(maxsize=4096)
def _utc_day(day: int) -> str:
    """The date (YYYY-MM-DD, as ``ls --json`` gives it) of a UTC day counted from
    1970-01-01 (cached: posts share days)."""
    return (_UNIX_DAY_ONE + timedelta(days=day)).isoformat()


_UNIX_DAY_ONE = date(1970, 1, 1)


def author_width(authors: Iterable[str]) -> int:
    """The author column's width: the widest author, at most 24 cells."""
    from rich.cells import cell_len

    from tui.corpus.text import sanitize

    return min(max((cell_len(sanitize(a)) for a in authors), default=0), 24)


def batched_rows(
    index: CorpusIndex, keys: list[int], columns: str, size: int = 1000
) -> Iterator[tuple[Any, ...]]:
    """These columns (the first ``key``) of the posts of ``keys`` in order, read a batch
    at a time."""
    for start in range(0, len(keys), size):
        yield from index.db.rows_by_key(keys[start : start + size], columns)
