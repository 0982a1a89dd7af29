"""The command palette's postil commands: open a post by title, filter, sort, show screens.

Every command is one of the app's actions (:class:`PaletteHost` is what the palette asks
of the app; ``tui.app.PostilApp`` is one, and this module does not import it). Post
titles, tags and authors come from files: hits are built as ``Content`` from plain text
(Textual's ``Matcher.highlight`` parses its input as markup, so it is not used for them)
and the match positions are styled on top.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content

from tui.config import SORT_ORDERS, SortOrder
from tui.render.cells import clean_cell
from tui.widgets.facet_sidebar import facet_term
from tui.widgets.status_line import SORT_LABELS

if TYPE_CHECKING:
    from tui.corpus.index.library import Library
    from tui.corpus.model import Post

MAX_POST_HITS = 40
"""Posts offered for one search: the palette is for jumping, not browsing."""
MAX_VALUE_HITS = 20
"""Tags or authors offered for one search."""


def plain_highlight(matcher: Matcher, candidate: str) -> Content:
    """``candidate`` as plain text (never markup) with the matched characters styled."""
    content = Content(candidate)
    score, offsets = matcher.fuzzy_search.match(matcher.query, candidate)
    if not score:
        return content
    for offset in offsets:
        if not candidate[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


@runtime_checkable
class PaletteHost(Protocol):
    """The app as the palette sees it: what it knows, and the actions commands run."""

    is_loaded: bool
    """Whether the index is open."""
    library_index: Library | None
    """The index's read side (titles are searched there)."""

    @property
    def corpus_values(self) -> dict[str, dict[str, int]]:
        """The corpus's tags, authors, categories, hosts and years with their counts."""
        ...

    def action_sort(self, order: SortOrder) -> None:
        """List the posts in ``order``."""
        ...

    def action_filter(self, query: str) -> None:
        """Filter the library by ``query``."""
        ...

    def action_open_post(self, post: Post) -> None:
        """Open ``post`` in the reader."""
        ...

    def action_show_problems(self) -> None:
        """List the files that did not load."""
        ...

    def action_show_annotations(self) -> None:
        """List every annotation."""
        ...

    def action_export(self) -> None:
        """Export the annotations."""
        ...

    def action_clear_filter(self) -> None:
        """Show every post again."""
        ...

    def action_toggle_facets(self) -> None:
        """Show or hide the facet sidebar."""
        ...

    def action_check_files(self) -> None:
        """Compare the index with the files again."""
        ...

    def action_restore_drafts(self) -> None:
        """Offer the note drafts recovered from a crash again."""
        ...

    def action_discard_drafts(self) -> None:
        """Forget the note drafts recovered from a crash."""
        ...


def _words_match(words: list[str], folded: str) -> bool:
    """Every word of the query occurs in ``folded``."""
    return all(word in folded for word in words)


class PostilCommands(Provider):
    """Commands for every library action, and posts, tags and authors by name."""

    @property
    def postil(self) -> PaletteHost | None:
        """The app, when it is postil's (the palette also opens in tests' apps)."""
        app = self.app
        return app if isinstance(app, PaletteHost) else None

    def _static_commands(self) -> Iterator[tuple[str, Callable[[], object], str]]:
        """(name, callback, help) for the fixed commands."""
        app = self.postil
        if app is None:
            return
        for order in SORT_ORDERS:
            yield (
                f"Sort: {SORT_LABELS[order]}",
                partial(app.action_sort, order),
                f"List the posts {SORT_LABELS[order]}.",
            )
        yield ("Show problems", app.action_show_problems, "List the files that did not load.")
        yield ("Show annotations", app.action_show_annotations, "List every highlight and note.")
        yield ("Export annotations", app.action_export, "Write the annotations to a file.")
        yield ("Clear filter", app.action_clear_filter, "Show every post again.")
        yield ("Toggle facets", app.action_toggle_facets, "Show or hide the facet sidebar.")
        yield (
            "Check for changed files",
            app.action_check_files,
            "Read the posts edited, added or removed since postil started.",
        )
        yield (
            "Restore note drafts",
            app.action_restore_drafts,
            "Reopen notes recovered from a crash.",
        )
        yield (
            "Discard note drafts",
            app.action_discard_drafts,
            "Forget notes recovered from a crash.",
        )

    async def discover(self) -> Hits:
        """The fixed commands, shown when the palette opens."""
        for name, callback, help_text in self._static_commands():
            yield DiscoveryHit(Content(name), callback, text=name, help=help_text)

    async def search(self, query: str) -> Hits:
        """Fixed commands, then posts by title, then tags and authors to filter by."""
        matcher = self.matcher(query)
        for name, callback, help_text in self._static_commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(
                    score, plain_highlight(matcher, name), callback, text=name, help=help_text
                )
        app = self.postil
        if app is None or not app.is_loaded or len(query.strip()) < 2:
            return
        for hit in self._post_hits(app, matcher, query):
            yield hit
        for hit in self._value_hits(app, matcher, query):
            yield hit

    def _post_hits(self, app: PaletteHost, matcher: Matcher, query: str) -> Iterator[Hit]:
        """Posts whose title holds every word of ``query`` (a search of the titles)."""
        library = app.library_index
        if library is None:
            return
        from tui.corpus.query import QueryError, parse_query

        words = query.replace('"', " ").split()
        try:
            parsed = parse_query(" ".join(f'title:"{word}"' for word in words))
            rows = library.search(parsed)
        except QueryError:
            return
        if rows is None:
            return
        for post in rows[:MAX_POST_HITS]:
            title = clean_cell(post.title)
            name = f"Open: {title}"
            score = matcher.match(name) or 0.1
            yield Hit(
                score * 0.9,
                plain_highlight(matcher, name),
                partial(app.action_open_post, post),
                text=name,
                help=post.date.strftime("%Y-%m-%d") if post.date else "undated",
            )

    def _value_hits(self, app: PaletteHost, matcher: Matcher, query: str) -> Iterator[Hit]:
        """Tags and authors to filter by."""
        values = app.corpus_values
        words = query.casefold().split()
        for key, label in (("tag", "Filter by tag"), ("author", "Filter by author")):
            found = 0
            ranked = sorted(values.get(key, {}).items(), key=lambda item: -item[1])
            for value, count in ranked:
                if not _words_match(words, f"{label} {value}".casefold()):
                    continue
                name = f"{label}: {clean_cell(value)}"
                term = facet_term(key, value)  # type: ignore[arg-type]
                yield Hit(
                    (matcher.match(name) or 0.1) * 0.8,
                    plain_highlight(matcher, name),
                    partial(app.action_filter, term),
                    text=name,
                    help=f"{count} posts",
                )
                found += 1
                if found >= MAX_VALUE_HITS:
                    break
