"""Snapshots of the library and help screens at 80x24 and 120x40 (fixed posts, no clock)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import MakeTestApp
from tests.tui.screens.test_reader_support import settle as settle_workers
from tui.screens.library import LibraryScreen

SIZES = [(80, 24), (120, 40)]


async def loaded(pilot: Pilot[Any]) -> None:
    """Wait until the corpus is listed and every worker is done."""
    await settle_workers(pilot)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_library(
    snap_compare: Any, make_test_app: MakeTestApp, small_corpus_dir: Path, size: tuple[int, int]
) -> None:
    """The six fixed posts newest first with unread marks, CJK and a literal [red] title; at
    120 columns the facet sidebar too."""
    app = make_test_app([small_corpus_dir])
    assert snap_compare(app, terminal_size=size, run_before=loaded)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_library_filtered_with_error(
    snap_compare: Any, make_test_app: MakeTestApp, small_corpus_dir: Path, size: tuple[int, int]
) -> None:
    """``tag:nature`` applied (two posts), then a bad date shown as a one-sentence error."""
    app = make_test_app([small_corpus_dir])

    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        library = pilot.app.screen
        assert isinstance(library, LibraryScreen)
        await pilot.press("slash")
        library.filter_bar.input.value = "tag:nature"
        await pilot.press("enter", "slash")
        library.filter_bar.input.value = "date:2023-13"
        await pilot.press("enter")
        await loaded(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_library_text_query(
    snap_compare: Any, make_test_app: MakeTestApp, small_corpus_dir: Path, size: tuple[int, int]
) -> None:
    """A text query (``river``, in a title and in that post's text) lists the post; under
    the list, two lines of its text around the first match, the word marked."""
    app = make_test_app([small_corpus_dir])

    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        library = pilot.app.screen
        assert isinstance(library, LibraryScreen)
        await pilot.press("slash")
        library.filter_bar.input.value = "river"
        await pilot.press("enter")
        await loaded(pilot)
        await pilot.pause(0.2)  # the passage is looked for once the cursor rests
        await loaded(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_help(
    snap_compare: Any, make_test_app: MakeTestApp, small_corpus_dir: Path, size: tuple[int, int]
) -> None:
    """The help over the library: its HELP text and the key table from its bindings."""
    app = make_test_app([small_corpus_dir])

    async def run_before(pilot: Pilot[Any]) -> None:
        await loaded(pilot)
        await pilot.press("question_mark")
        await loaded(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
