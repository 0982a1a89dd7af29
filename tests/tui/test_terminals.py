"""Small and plain terminals: 80x24 and 60x20 layouts, 16 colours, keys tmux swallows.

The ssh e2e tests (tests/e2e/test_ssh.py) drive real terminals; these check the same
promises quickly with Pilot, where a failure points at one widget.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest
from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.widget import Widget

from annotations.model import COLORS
from tests.tui.conftest import MakeTestApp
from tests.tui.screens.test_reader_support import settle as settle_workers

RISKY_KEYS = {
    "shift+up": "tmux and many terminals send no distinct shift+arrow",
    "shift+down": "tmux and many terminals send no distinct shift+arrow",
    "shift+left": "tmux and many terminals send no distinct shift+arrow",
    "shift+right": "tmux and many terminals send no distinct shift+arrow",
    "ctrl+s": "XON/XOFF flow control stops the terminal where IXON is on",
    "ctrl+q": "XON/XOFF flow control",
    "ctrl+enter": "most terminals send a plain Enter",
    "ctrl+z": "suspends the process where ISIG is on",
}
"""Keys a terminal, tmux or the line discipline commonly swallow, and why."""


DONE_BY_THE_TERMINAL = {"suspend_process"}
"""Actions whose key, where a terminal swallows it, does the same there: with ISIG on,
ctrl+z suspends the process itself."""


def is_risky(key: str) -> bool:
    """True for keys that may never reach the app (alt keys are eaten by some setups)."""
    return key in RISKY_KEYS or key.startswith(("alt+", "meta+"))


async def settle(app: App[None], pilot: Pilot[None]) -> None:
    """Wait for loading workers and the messages they posted."""
    await settle_workers(pilot)


def screen_lines(app: App[None]) -> list[str]:
    """The text of every terminal line of the current screen, as a person sees it."""
    update = app.screen._compositor.render_full_update(simplify=True)  # noqa: SLF001
    return ["".join(strip.text for strip in row) for row in update.strips]


def screen_segments(app: App[None]) -> list[list[Segment]]:
    """The styled segments of every line of the current screen."""
    update = app.screen._compositor.render_full_update(simplify=True)  # noqa: SLF001
    return [[segment for strip in row for segment in strip] for row in update.strips]


def styles_of(app: App[None], text: str) -> list[Style | None]:
    """The style of each character of the first screen line holding ``text``."""
    for line in screen_segments(app):
        plain = "".join(segment.text for segment in line)
        at = plain.find(text)
        if at < 0:
            continue
        per_char = [segment.style for segment in line for _ in segment.text]
        return per_char[at : at + len(text)]
    return []


def visible_regions(app: App[None], ids: list[str]) -> dict[str, tuple[int, int, int, int]]:
    """Screen regions (x, y, width, height) of the displayed widgets with these ids."""
    regions = {}
    for widget_id in ids:
        widget = app.screen.query_one(f"#{widget_id}")
        if widget.display and widget.region.area:
            r = widget.region
            regions[widget_id] = (r.x, r.y, r.width, r.height)
    return regions


def assert_inside_and_apart(app: App[None], regions: dict[str, tuple[int, int, int, int]]) -> None:
    """Every region lies on the screen and no two of them overlap."""
    width, height = app.size
    for name, (x, y, w, h) in regions.items():
        assert x >= 0 and y >= 0 and x + w <= width and y + h <= height, (name, regions)
    for (a, (ax, ay, aw, ah)), (b, (bx, by, bw, bh)) in combinations(regions.items(), 2):
        apart = ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay
        assert apart, f"{a} overlaps {b}: {regions}"


@pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=["80x24", "60x20"])
async def test_library_fits_small_terminals(
    make_test_app: MakeTestApp, small_corpus_dir: Path, size: tuple[int, int]
) -> None:
    """Sidebar hidden, list, filter, status and footer all on screen and apart."""
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        library = app.library
        assert not library.sidebar.display, "the facet sidebar hides on a narrow terminal"
        lines = screen_lines(app)
        assert len(lines) == size[1]
        text = "\n".join(lines)
        for title in ("The river at night", "Winter letters", "On slow trains"):
            assert title in text, f"{title!r} not readable at {size}:\n{text}"
        assert "6 posts" in text
        ids = [w.id for w in library.children if isinstance(w, Widget) and w.id]
        assert_inside_and_apart(app, visible_regions(app, ids))


async def test_post_list_drops_columns_before_the_title(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    """At 60 columns every row keeps its date and the start of its title."""
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(app, pilot)
        lines = screen_lines(app)
        rows = [line for line in lines if "2023-10-26" in line or "2021-12-24" in line]
        assert len(rows) == 2, lines
        assert "The river at night" in rows[0]
        assert "Winter letters" in rows[1]
        assert "Ada Lovelace" not in rows[0], "the author column is dropped first"


async def test_sidebar_follows_resizes(make_test_app: MakeTestApp, small_corpus_dir: Path) -> None:
    """Narrowing the terminal (SIGWINCH over ssh) hides the sidebar; widening shows it."""
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.library.sidebar.display
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        assert not app.library.sidebar.display
        assert "The river at night" in "\n".join(screen_lines(app))
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert app.library.sidebar.display


@pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=["80x24", "60x20"])
async def test_reader_fits_small_terminals(
    make_test_app: MakeTestApp, small_corpus_dir: Path, size: tuple[int, int]
) -> None:
    """The reader wraps the post inside the screen and keeps the footer keys."""
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        lines = screen_lines(app)
        text = "\n".join(lines)
        assert "The river at night" in text  # the header's title
        flowing = " ".join(" ".join(lines).split())
        # Wrapped, never cut: the whole paragraph reads on across the lines.
        paragraph = "The river is dark at night. Lights move on the water. Nobody speaks"
        assert paragraph in flowing, text
        assert "Select" in lines[-1], "the footer keeps its first keys"


async def test_highlight_is_underlined_without_colour(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    """A highlight carries underline, so NO_COLOR (greyscale) still shows it."""
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("v", "h")
        await settle(app, pilot)
        sentence = "The river is dark at night."
        styles = styles_of(app, sentence)
        assert styles, "the highlighted sentence is on screen"
        assert all(style is not None and style.underline for style in styles), styles


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_highlight_colors_stay_apart_in_16_colors(
    make_test_app: MakeTestApp,
    small_corpus_dir: Path,
    theme: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Downgraded to the 16 ANSI colours (TERM=xterm, linux, screen, vt100), the five
    highlight colours stay distinguishable from each other and from the page."""
    from rich.color import ColorSystem as RichColorSystem

    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = theme
        await settle(app, pilot)
        # What Rich detects for TERM=xterm/linux/screen/vt100 without COLORTERM.
        monkeypatch.setattr(app.console, "_color_system", RichColorSystem.STANDARD)
        await pilot.press("enter")
        await settle(app, pilot)
        from tui.widgets.post_painter import PostPainter
        from tui.widgets.post_view import PostView

        view = app.screen.query_one(PostView)
        page = view.background_colors[1]
        downgraded = {"page": RichColor.from_rgb(*page.rgb).downgrade(ColorSystem.STANDARD)}
        for name in COLORS:
            style = PostPainter(view).highlight_style(name, False)  # the style drawn
            assert style.underline
            # Through the app's own line filters, as the driver draws it.
            segments = [Segment("x", style)]
            for line_filter in app._filters:  # noqa: SLF001
                segments = line_filter.apply(segments, page)
            drawn = segments[0].style
            assert drawn is not None and drawn.bgcolor is not None
            downgraded[name] = drawn.bgcolor.downgrade(ColorSystem.STANDARD)
        numbers = {name: color.number for name, color in downgraded.items()}
        clashes = [(a, b) for a, b in combinations(numbers, 2) if numbers[a] == numbers[b]]
        assert not clashes, f"same ANSI colour in 16-colour mode: {clashes} ({numbers})"
        # Only base colours: the Linux console has no bright backgrounds.
        assert all((numbers[name] or 0) < 8 for name in COLORS), numbers


def _bindings(node: DOMNode) -> list[Binding]:
    """The bindings postil's own classes in the node's hierarchy declare.

    Textual's Input and TextArea keep their editing conventions (shift+arrows select);
    what matters is that no postil action depends on such a key.
    """
    found: list[Binding] = []
    for klass in type(node).__mro__:
        if not klass.__module__.startswith("tui."):
            continue
        declared = klass.__dict__.get("BINDINGS", [])
        found += [b for bs in BindingsMap(declared).key_to_bindings.values() for b in bs]
    return found


def _risky_without_alternative(nodes: list[DOMNode]) -> list[str]:
    """Actions reachable only through keys terminals may swallow, or not in the help."""
    problems = []
    for node in nodes:
        keys_by_action: dict[str, set[str]] = {}
        described: dict[str, bool] = {}
        for binding in _bindings(node):
            if binding.system:
                continue
            keys_by_action.setdefault(binding.action, set()).add(binding.key)
            described[binding.action] = described.get(binding.action, False) or bool(
                binding.description
            )
        for action, keys in keys_by_action.items():
            risky = {k for k in keys if is_risky(k)}
            if not risky or action in DONE_BY_THE_TERMINAL:
                continue
            if risky == keys:
                problems.append(f"{type(node).__name__}.{action}: only {sorted(keys)}")
            elif not described[action]:
                problems.append(f"{type(node).__name__}.{action}: alternative not in the help")
    return problems


async def test_swallowed_keys_have_listed_alternatives(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    """Shift+arrows, ctrl+s/ctrl+q and alt keys each have another key, shown in help."""
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        nodes: list[DOMNode] = [app, *app.screen.walk_children(with_self=True)]
        await pilot.press("enter")
        await settle(app, pilot)
        nodes += list(app.screen.walk_children(with_self=True))
        await pilot.press("v", "n")
        await settle(app, pilot)
        nodes += list(app.screen.walk_children(with_self=True))
        assert type(app.screen).__name__ == "NoteEditor", "n opens the note editor"
        problems = _risky_without_alternative(nodes)
        assert not problems, "\n".join(problems)


async def test_keys_typed_right_after_slash_reach_the_filter(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    """Over ssh a fast typist's (or a paste's) ``/tag:nature`` arrives in one read: every
    key after ``/`` must land in the filter bar, none on the list (``a`` would open the
    annotations screen)."""
    from textual import events

    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        driver = app._driver  # noqa: SLF001 - the route terminal input takes
        assert driver is not None
        # As Pilot.press does, minus its wait after each key: the burst a read brings.
        for char in "/tag:nature":
            key = {"/": "slash", ":": "colon"}.get(char, char)
            event = events.Key(key, char)
            event.set_sender(app)
            driver.send_message(event)
        await settle(app, pilot)
        assert app.screen is app.library, f"a key opened {type(app.screen).__name__}"
        assert app.library.filter_bar.input.value == "tag:nature"
