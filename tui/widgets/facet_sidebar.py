"""The facet sidebar: tags, authors, categories and years of the current result, with counts.

The screen asks it to count a result (:meth:`FacetSidebar.count`); it counts in a worker a
moment later, so the list's frame comes first and filters in quick succession count
only the last.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from rich.segment import Segment
from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.widgets import OptionList
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from tui.render.cells import clean_cell, fit

if TYPE_CHECKING:
    from tui.corpus.facets import Facets
    from tui.corpus.index.library import Library
    from tui.corpus.query import Marks, Query

FacetKey = Literal["tag", "author", "cat", "date"]
"""The query key a facet adds (``date`` for years)."""

COUNT_DELAY = 0.05
"""Seconds between a count asked and its start: the list's frame (at most 1/60 s away)
comes first, and counts asked in quick succession count only the last."""

FACET_LIMIT = 30
"""Values shown per facet: the most frequent ones (a 50k archive has thousands of tags)."""

LABEL_WIDTH = 27
"""Cells for a value and its count (the sidebar is 32 wide with border and padding)."""

_SEPARATOR = "\x1f"
"""Joins key and value in an option id (a character no value contains after cleaning)."""

_NEEDS_QUOTES = set(' \t,:"()-')


def quote_value(value: str) -> str:
    """``value`` as the query language wants it: double-quoted when it has spaces etc.

    Double quotes inside a value cannot be written in the query language, so they are
    dropped (the term still matches: matching is on whole values, case-folded).
    """
    value = value.replace('"', "")
    if not value or any(char in _NEEDS_QUOTES for char in value):
        return f'"{value}"'
    return value


def facet_term(key: FacetKey, value: str) -> str:
    """The query term for choosing ``value`` of facet ``key`` (``tag:"a b"``)."""
    return f"{key}:{quote_value(value)}"


class FacetSidebar(OptionList):
    """Counts per tag, author, category and year; Enter adds the facet to the query."""

    HELP = """
## Facets

The sidebar counts the tags, authors, categories and years of the posts shown.
Tab reaches it from the list; Enter on a value adds it to the query (for example
`tag:"open source"`) and applies it. `f` shows or hides the sidebar; it hides itself on
narrow terminals.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select",
            "Add to filter",
            tooltip="Add the facet under the cursor to the query.",
            id="facets.choose",
        ),
    ]
    """Enter as OptionList binds it, named in the footer (it is how a facet is chosen)."""

    SECTIONS: ClassVar[tuple[tuple[FacetKey, str, str], ...]] = (
        ("tag", "tags", "Tags"),
        ("author", "authors", "Authors"),
        ("cat", "categories", "Categories"),
        ("date", "years", "Years"),
    )
    """(query key, ``Facets`` attribute, heading) for each section, in display order."""

    @dataclass
    class FacetChosen(Message):
        """The user chose a facet value."""

        sidebar: FacetSidebar
        key: FacetKey
        value: str

        @property
        def term(self) -> str:
            """The query term to add."""
            return facet_term(self.key, self.value)

        @property
        def control(self) -> FacetSidebar:
            """The sidebar that sent the message."""
            return self.sidebar

    @dataclass
    class Counted(Message):
        """The facets of a result were counted (posted to itself from its worker)."""

        facets: Facets
        generation: int
        """The count they answer (older answers are dropped)."""

    def __init__(self, *, id: str | None = None) -> None:
        """Build an empty sidebar; :meth:`count` or :meth:`set_facets` fills it."""
        super().__init__(id=id)
        self._facets: Facets | None = None
        self._generation = 0

    def count(self, library: Library, query: Query | None, marks: Marks) -> None:
        """Count the facets of ``query``'s result (None: every post) and show them."""
        self._generation += 1
        self._count(library, query, marks, self._generation)

    def drop_counts(self) -> None:
        """Drop the answers of the counts asked so far (the result changed)."""
        self._generation += 1

    @work(
        thread=True, exclusive=True, group="facets", exit_on_error=False, description="count facets"
    )
    def _count(self, library: Library, query: Query | None, marks: Marks, generation: int) -> None:
        """Count a moment later, once the list's frame is drawn (a newer count cancels it)."""
        worker = get_current_worker()
        time.sleep(COUNT_DELAY)
        if worker.is_cancelled:
            return
        facets = library.facets(query, marks)
        if facets is not None and not worker.is_cancelled:
            self.post_message(self.Counted(facets, generation))

    @on(Counted)
    def _counted(self, event: Counted) -> None:
        event.stop()
        if event.generation == self._generation:
            self.set_facets(event.facets)

    def set_facets(self, facets: Facets, *, limit: int = FACET_LIMIT) -> None:
        """Show the counts of ``facets`` (the top ``limit`` values of each section)."""
        if facets == self._facets:
            return  # rebuilding the options costs a layout of the sidebar
        self._facets = facets
        options: list[Option | None] = []
        for key, attribute, heading in self.SECTIONS:
            values: Sequence[tuple[str, int]] = getattr(facets, attribute)
            if not values:
                continue
            if options:
                options.append(None)
            options.append(Option(Text(heading, style="bold"), disabled=True))
            for value, count in values[:limit]:
                options.append(self._option(key, value, count))
        highlighted = self.highlighted_option.id if self.highlighted_option else None
        self.set_options(options)
        if highlighted is not None:
            try:
                self.highlighted = self.get_option_index(highlighted)
            except Exception:  # noqa: BLE001 - the value is gone from the new counts
                self.highlighted = None

    def _update_lines(self) -> None:
        """Lay out the options as one line each (they are cut to fit, never wrapped).

        Replaces ``OptionList._update_lines``, which measures every option's rendered
        height and then sets the virtual size, a layout of the whole screen: together
        tens of milliseconds after every filter at 50k posts. Here no option is rendered
        until drawn, and the virtual size is set quietly unless the scrollbar comes or goes.
        """
        region = self.scrollable_content_region
        if not region:
            return
        cache = self._line_cache
        lines = cache.lines
        options = self.options
        for index in range(lines[-1][0] + 1 if lines else 0, len(options)):
            cache.index_to_line[index] = len(lines)
            count = 1 + options[index]._divider
            cache.heights[index] = count
            lines.extend([(index, line) for line in range(count)])
        last_divider = bool(options) and options[-1]._divider
        size = Size(region.width - self._get_left_gutter_width(), len(lines) - last_divider)
        old = self.virtual_size
        if size == old:
            return
        if not self.is_mounted or (old.height > region.height) != (size.height > region.height):
            self.virtual_size = size
        else:
            self.set_reactive(FacetSidebar.virtual_size, size)
        self._scroll_update(size)

    def _get_option_render(self, option: Option, style: VisualStyle) -> list[Strip]:
        """An option's line straight from its Rich ``Text`` (plain, already cut to fit).

        Replaces ``OptionList._get_option_render``, which goes through Textual's content
        pipeline (wrapping, formatting): about a millisecond an option, 30 ms for the
        sidebar's first frame after every filter.
        """
        padding = self.get_component_styles("option-list--option").padding
        width = self.scrollable_content_region.width - self._get_left_gutter_width()
        cache_key = (option, style, padding)
        strips = self._option_render_cache.get(cache_key)
        if strips is None:
            base = style.rich_style
            prompt = option.prompt
            text = prompt if isinstance(prompt, Text) else Text(str(prompt))
            console = self.app.console
            # Text.render leaves out the Text's own style: it goes under each span's.
            whole = base + console.get_style(text.style) if text.style else base
            segments = [Segment(" " * padding.left, base)] if padding.left else []
            segments.extend(
                Segment(segment.text, whole + segment.style if segment.style else whole)
                for segment in text.render(console, end="")
            )
            meta = {"option": self._option_to_index[option]}
            strips = [Strip(segments).crop_extend(0, width, base).apply_meta(meta)]
            if option._divider:
                rule = self.get_visual_style("option-list--separator").rich_style
                strips.append(Strip([Segment("─" * width, rule)], width))
            self._option_render_cache[cache_key] = strips
        return strips

    def _option(self, key: FacetKey, value: str, count: int) -> Option:
        """One facet row: the value (plain text, never markup) and its count."""
        number = f" {count:,}"
        width = max(4, LABEL_WIDTH - len(number))
        label = Text(fit(clean_cell(value) or "(none)", width), no_wrap=True)
        label.append(number, style="dim")
        return Option(label, id=f"{key}{_SEPARATOR}{value}")

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Turn the chosen option into a ``FacetChosen`` message."""
        event.stop()
        option_id = event.option.id
        if option_id is None or _SEPARATOR not in option_id:
            return
        key, value = option_id.split(_SEPARATOR, 1)
        if key in ("tag", "author", "cat", "date"):
            self.post_message(self.FacetChosen(self, key, value))  # type: ignore[arg-type]
