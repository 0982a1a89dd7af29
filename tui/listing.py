"""The library's list apart from Textual: how far indexing is, a query's rows, a passage.

The library screen runs these in its workers and shows what they return; the app
follows the indexing process's reports in an :class:`IndexState`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.cells import get_character_cell_size

from tui.corpus.errors import CorpusError
from tui.corpus.index.build import Event
from tui.corpus.index.library import PAGE, Library, ResultRows
from tui.corpus.model import Post
from tui.corpus.query import Marks, Query, SortKey, parse_query
from tui.corpus.snippets import marked_passage
from tui.render.document import canonical_text

NOT_IN_TEXT = "(the words are in its title, author or tags)"
"""The passage shown for a post whose text does not hold the words."""


@dataclass(frozen=True, slots=True)
class IndexState:
    """How far the app's indexing process is."""

    checked: bool = False
    """The files were compared with the index (the list shows what they hold)."""
    fields: bool = False
    """Every post's fields are searchable: filtering works."""
    fields_done: tuple[int, int] | None = None
    """(posts whose fields are searchable, all posts) while they are being indexed."""
    text_done: int = 0
    """Posts whose text is searchable..."""
    text_total: int = 0
    """...of this many (equal when every post's text is)."""
    text_since: tuple[float, int] | None = None
    """When (a monotonic time) this run's first text step came, and how many posts' text
    was searchable then: the rate since gives the time left."""
    text_at: float = 0.0
    """When the last text step came."""

    @property
    def text_complete(self) -> bool:
        """Whether every post's text is searchable."""
        return self.fields and self.text_done >= self.text_total

    @property
    def text_left(self) -> float | None:
        """Seconds until every post's text is searchable, at the rate so far; None until
        there is a rate to tell (a few seconds of it)."""
        if self.text_since is None or self.text_complete:
            return None
        started, done = self.text_since
        elapsed, indexed = self.text_at - started, self.text_done - done
        if elapsed < TEXT_RATE_AFTER_S or indexed <= 0:
            return None
        return (self.text_total - self.text_done) * elapsed / indexed

    def after(self, step: Event, now: float = 0.0) -> tuple[IndexState, bool]:
        """The state after a step the indexing process reported at ``now`` (a monotonic
        time), and whether the files differed from the index (the list is then read
        again)."""
        if step.phase == "synced":
            return replace(self, checked=True), step.changed
        if step.phase == "error":
            return replace(self, checked=True), False  # the check ended: nothing to wait for
        if step.phase == "fields_progress":
            return replace(self, fields_done=(step.done, step.total)), False
        if step.phase == "fields":
            return replace(self, fields=True, fields_done=None, text_total=step.total), False
        if step.phase in ("text", "done"):
            since = self.text_since or (now, step.done)
            return (
                replace(
                    self, text_done=step.done, text_total=step.total, text_since=since, text_at=now
                ),
                False,
            )
        return self, False


TEXT_RATE_AFTER_S = 5.0
"""Seconds of text indexing before the time left is told (a rate from less jumps about)."""


CURSOR_REACH = 60
"""Rows either side of the cursor's that the frame showing it may hold (a tall terminal)."""


def result_rows(
    library: Library, query: Query | None, order: SortKey, marks: Marks, current: str | None
) -> tuple[ResultRows, int | None] | None:
    """A query's rows (None: every post), with the page the cursor will show read (that of
    ``current``, else the first), and the row of ``current``.

    Args:
        library: The index's read side.
        query: The query; None lists every post.
        order: The order of the rows.
        marks: Reading and annotation state, for ``is:`` and ``has:``.
        current: The id of the post under the cursor, to find its row again.

    Returns:
        The rows and the row of ``current`` (None: not listed, or not asked), or None
        when the index cannot answer yet.
    """
    rows: ResultRows | None
    if query is None and order == "newest":
        rows = library.everything()
    else:
        rows = library.search(query or parse_query(""), marks, order=order)
        if rows is None:
            return None
    row = rows.position_of(current) if current is not None else None
    if row:
        rows.prefetch(2 * CURSOR_REACH, at=max(0, row - CURSOR_REACH))
    else:
        rows.prefetch(PAGE)
    return rows, row


def passage_of(
    post: Post, query: Query, width: int, lines: int
) -> tuple[str, list[tuple[int, int]]]:
    """The passage of ``post``'s text where ``query``'s words are, for ``lines`` lines of
    ``width`` cells, with where they are in it; `NOT_IN_TEXT` when they are not.

    The first match starts at most half a line in, so it shows whole however the lines
    wrap (a CJK character is two cells: counted in characters, a passage of Chinese
    would push its match past the lines shown)."""
    try:
        found = marked_passage(
            canonical_text(post.path),
            query,
            before=width // 2,
            after=lines * width,
            char_width=get_character_cell_size,
        )
    except CorpusError:
        found = None
    return found if found is not None else (NOT_IN_TEXT, [])


def uses_state(text: str) -> bool:
    """Whether a query depends on reading or annotation state (then marks refilter it)."""
    folded = text.casefold()
    return "is:" in folded or "has:" in folded
