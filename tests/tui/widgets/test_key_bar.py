"""KeyBar: which keys fit a width, and the bar in the app (60 columns, clicks, focus)."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from tests.tui.conftest import MakeTestApp
from tests.tui.test_terminals import screen_lines, settle
from tui.screens.help import HelpScreen
from tui.widgets.key_bar import KeyBar, KeyItem, layout_keys


def item(key: str, description: str, *, essential: bool = False) -> KeyItem:
    return KeyItem(key, key, description, enabled=True, essential=essential, tooltip="")


ITEMS = [
    item("/", "Filter"),
    item("f", "Facets"),
    item("a", "Annotations"),
    item("q", "Quit", essential=True),
    item("?", "Help", essential=True),
]
PALETTE = item("^p", "Commands")


def line(width: int) -> str:
    chosen, palette = layout_keys(ITEMS, PALETTE, width)
    text = "".join(key + description for _, key, description in chosen)
    if palette is not None:
        text += "|" + palette[1] + palette[2]
    return text


def test_wide_shows_every_key_and_the_palette() -> None:
    assert line(80) == " / Filter  f Facets  a Annotations  q Quit  ? Help |^p Commands "


def test_the_palette_goes_first_then_the_keys_pack_closer() -> None:
    assert line(51) == " / Filter  f Facets  a Annotations  q Quit  ? Help "
    assert line(46) == " / Filter f Facets a Annotations q Quit ? Help"


def test_narrow_drops_keys_from_the_end_but_never_quit_or_help() -> None:
    assert line(45) == " / Filter f Facets q Quit ? Help"
    assert line(31) == " / Filter q Quit ? Help"
    # Below that only the essential keys are left; the line is cut at the edge.
    assert line(5) == " q Quit ? Help"


async def test_library_at_60_columns_lists_quit_and_help(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(app, pilot)
        last = screen_lines(app)[-1]
        for key in ("/ Filter", "q Quit", "? Help"):
            assert key in last, last
        assert len(last) == 60


async def test_the_bar_follows_focus(make_test_app: MakeTestApp, small_corpus_dir: Path) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "Back to list" not in screen_lines(app)[-1]
        await pilot.press("slash")
        await pilot.pause()
        # Letters now type into the bar, so their keys leave the bar.
        assert screen_lines(app)[-1].startswith(" esc Back to list ")
        assert "q Quit" not in screen_lines(app)[-1]


async def test_a_click_presses_the_key(make_test_app: MakeTestApp, small_corpus_dir: Path) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        x = screen_lines(app)[-1].index("? Help")
        await click_bar(pilot, x)
        assert isinstance(app.screen, HelpScreen)


async def click_bar(pilot: Pilot[None], x: int) -> None:
    await pilot.click(KeyBar, offset=(x, 0))
    await pilot.pause()
