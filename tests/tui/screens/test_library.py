"""Library flows through the real app: load, filter, facets, open, problems, read state, sort."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from textual.message import Message
from textual.pilot import Pilot
from textual.screen import Screen

from tests.tui.conftest import MakeTestApp
from tests.tui.screens.test_reader_support import run_command
from tests.tui.screens.test_reader_support import settle as settle_workers
from tui.app import PostilApp
from tui.config import Config, load_config
from tui.screens.help import HelpScreen, collect_help
from tui.screens.library import LibraryScreen
from tui.screens.problems import ProblemsScreen
from tui.widgets.facet_sidebar import FacetSidebar
from tui.widgets.filter_bar import history_path
from tui.widgets.post_list import PostList


async def settle(app: PostilApp, pilot: Pilot[None]) -> None:
    """Wait for every worker (loading, indexing, marks, history) and what they posted."""
    await settle_workers(pilot)


def current_screen(app: PostilApp) -> Screen[Any]:
    """The active screen (a function, so mypy does not keep an earlier narrowing)."""
    return app.screen


def titles(app: PostilApp) -> list[str]:
    """The titles listed, in order."""
    return [post.title for post in app.library.post_list.posts]


async def apply_filter(pilot: Pilot[None], text: str) -> None:
    """Focus the filter bar with ``/``, put ``text`` in it and press Enter.

    The text is set rather than typed key by key: each simulated key costs ~60 ms and
    typing is covered by the completion test.
    """
    await pilot.press("slash")
    library = pilot.app.screen
    assert isinstance(library, LibraryScreen)
    library.filter_bar.input.value = text
    await pilot.press("enter")
    await pilot.pause()


async def test_cold_start_shows_progress_then_the_list(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    seen: list[Message] = []
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await settle(app, pilot)
        progress = [
            m.event
            for m in seen
            if isinstance(m, PostilApp.IndexProgress) and m.event.phase == "files"
        ]
        assert progress and progress[-1].done == progress[-1].total == 6
        assert app.is_loaded
        assert not app.library.query_one("#loading").display
        assert len(app.library.post_list.posts) == 6
        assert app.focused is app.library.post_list
        assert titles(app)[0] == "The river at night"  # newest first
        assert titles(app)[-1] == "A note without a date"  # undated last


async def test_markup_like_title_is_drawn_literally(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        post_list = app.library.post_list
        rows = [post_list.render_line(y).text for y in range(6)]
        assert any("[red]Not markup[/red] and [b]brackets[/b]" in row for row in rows)
        assert any("[bold]Mallory" in row for row in rows)


async def test_a_filter_that_matches_nothing_says_how_to_go_back(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await apply_filter(pilot, "tag:no-such-tag")
        await settle(app, pilot)
        status = str(app.library.query_one("#status").render())
        assert status.startswith("0 of 6 posts") and status.endswith("esc shows every post")
        await pilot.press("escape")
        await settle(app, pilot)
        assert len(titles(app)) == 6
        assert "esc" not in str(app.library.query_one("#status").render())


async def test_valid_filter_narrows_the_list_and_focuses_it(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await apply_filter(pilot, "tag:nature")
        assert titles(app) == ["The river at night", "Winter letters"]
        assert app.focused is app.library.post_list
        assert "2 of 6 posts" in str(app.library.query_one("#status").render())
        await pilot.press("escape")  # clears the filter from the list
        await pilot.pause()
        assert len(titles(app)) == 6


async def test_slash_types_into_the_filter_once_it_has_focus(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    """`/` focuses the bar; typed inside the bar (a pasted URL) it is just a character."""
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        assert app.focused is app.library.filter_bar.input
        await pilot.press("a", "slash", "b")
        assert app.library.filter_bar.input.value == "a/b"


async def test_invalid_filter_shows_error_and_keeps_the_list(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await apply_filter(pilot, 'author:"Ada Lovelace"')
        before = titles(app)
        assert before == ["The river at night", "On slow trains"]
        await apply_filter(pilot, "date:2023-13")
        bar = app.library.filter_bar
        assert bar.error and "date:2023-13" in bar.error
        assert bar.has_class("-has-error")
        assert titles(app) == before
        assert app.focused is bar.input
        await pilot.press("escape")
        await pilot.pause()
        assert bar.error is None and bar.value == 'author:"Ada Lovelace"'
        assert app.focused is app.library.post_list


async def test_history_walks_back_and_is_saved(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await apply_filter(pilot, "tag:nature")
        await apply_filter(pilot, 'author:"Ada Lovelace"')
        await settle(app, pilot)
        await pilot.press("slash")
        app.library.filter_bar.input.value = ""
        await pilot.press("up")
        assert app.library.filter_bar.value == 'author:"Ada Lovelace"'
        await pilot.press("up")
        assert app.library.filter_bar.value == "tag:nature"
        await pilot.press("down", "down")
        assert app.library.filter_bar.value == ""
    assert json.loads(history_path().read_text(encoding="utf-8")) == [
        "tag:nature",
        'author:"Ada Lovelace"',
    ]


async def test_history_is_loaded_on_start(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    history_path().parent.mkdir(parents=True, exist_ok=True)
    history_path().write_text('["is:unread", "tag:travel"]', encoding="utf-8")
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", "up")
        assert app.library.filter_bar.value == "tag:travel"


async def test_completion_of_tag_values(make_test_app: MakeTestApp, small_corpus_dir: Path) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        bar = app.library.filter_bar
        await pilot.press("slash", *"tag:LE")  # typed: the suggester runs on each change
        await settle(app, pilot)
        await pilot.press("right")
        assert bar.value == "tag:letters"  # as the posts spell it
        bar.input.value = "tag:letters author:g"
        bar.input.cursor_position = len(bar.input.value)
        await pilot.press("r")
        await settle(app, pilot)
        await pilot.press("right", "enter")
        await pilot.pause()
        assert bar.applied_text == 'tag:letters author:"Grace Hopper"'
        assert titles(app) == ["Winter letters"]


async def test_tab_accepts_the_completion_shown(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    """Tab (the shell's completion key) left the completion and moved the focus to the
    facets, so the Enter after it acted there; it accepts the completion shown, and with
    none shown it still moves the focus."""
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        bar = app.library.filter_bar
        await pilot.press("slash", *"tag:LE")
        await settle(app, pilot)
        await pilot.press("tab")
        assert bar.value == "tag:letters" and bar.input.has_focus
        await pilot.press("enter")
        await settle(app, pilot)
        assert bar.applied_text == "tag:letters"
        await pilot.press("slash")
        await pilot.press("tab")  # nothing to complete: the focus moves on
        assert not bar.input.has_focus


async def test_choosing_a_facet_adds_the_term(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        sidebar = app.library.query_one(FacetSidebar)
        assert sidebar.display
        sidebar.focus()
        sidebar.highlighted = sidebar.get_option_index("tag\x1fnature")
        await pilot.pause()
        footer = {b.binding.key: b.binding.description for b in app.active_bindings.values()}
        assert footer["enter"] == "Add to filter"  # the footer says how a facet is chosen
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.library.filter_bar.applied_text == "tag:nature"
        assert titles(app) == ["The river at night", "Winter letters"]
        # The counts now describe the result.
        assert sidebar.get_option("tag\x1fletters") is not None
        labels = [str(sidebar.get_option_at_index(i).prompt) for i in range(sidebar.option_count)]
        assert not any(label.startswith("travel") for label in labels)


async def test_clicking_a_facet_adds_the_term(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    """The sidebar draws its own lines: a click still finds the option under it."""
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        sidebar = app.library.query_one(FacetSidebar)
        row = sidebar.get_option_index("tag\x1fnature")  # one line per option
        await pilot.click(FacetSidebar, offset=(3, row))
        await settle(app, pilot)
        assert app.library.filter_bar.applied_text == "tag:nature"
        assert titles(app) == ["The river at night", "Winter letters"]


async def test_f_toggles_the_sidebar_and_narrow_terminals_hide_it(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        sidebar = app.library.query_one(FacetSidebar)
        assert not sidebar.display
        await pilot.press("f")
        assert sidebar.display
        await pilot.press("f")
        assert not sidebar.display


async def test_enter_opens_the_reader(make_test_app: MakeTestApp, small_corpus_dir: Path) -> None:
    from tui.screens.reader import ReaderScreen

    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.post.title == "港口的早晨"
        await settle(app, pilot)  # the reader marks the post read: ReadingChanged
        await pilot.press("escape")
        await settle(app, pilot)
        assert current_screen(app) is app.library
        assert app.library.post_list.render_line(1).text.startswith(" ")  # no unread mark
        assert app.library.post_list.render_line(0).text.startswith("•")


async def test_problems_screen_lists_files_that_did_not_load(
    make_test_app: MakeTestApp, broken_corpus_dir: Path
) -> None:
    app = make_test_app([broken_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "2 problems" in str(app.library.query_one("#status").render())
        await pilot.press("p")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ProblemsScreen)
        assert [Path(p.path).name for p in screen.problems] == ["bad-yaml.md", "empty.md"]
        assert all(p.reason for p in screen.problems)
        await pilot.press("enter")
        await pilot.pause()
        assert app.clipboard.endswith("bad-yaml.md")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.library


async def test_problems_screen_shows_the_whole_reason_at_80_columns(
    make_test_app: MakeTestApp, broken_corpus_dir: Path
) -> None:
    app = make_test_app([broken_corpus_dir])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("p")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ProblemsScreen)
        await pilot.press("down")
        await pilot.pause()
        problem = screen.problems[1]
        detail = str(screen.query_one("#problem-detail").render())
        assert detail == f"{problem.path}\n{problem.reason}"
        assert len(problem.path) + len(problem.reason) > 80  # more than a row could show


async def test_p_is_hidden_without_problems(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("p")
        await pilot.pause()
        assert app.screen is app.library
        assert "p" not in app.library.active_bindings


async def test_r_toggles_read_state_in_the_store(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        post_list = app.library.query_one(PostList)
        post = post_list.highlighted_post
        assert post is not None
        assert post_list.render_line(0).text.startswith("•")
        await pilot.press("r")
        await settle(app, pilot)
        assert app.store.reading(post.id).is_read
        assert post_list.render_line(0).text.startswith(" ")
        await apply_filter(pilot, "is:unread")
        assert post.title not in titles(app) and len(titles(app)) == 5
        await pilot.press("escape", "g")  # the cursor stayed on the post it was on
        await pilot.press("r")
        await settle(app, pilot)
        assert not app.store.reading(post.id).is_read


async def test_sort_orders_and_the_config_remembers(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.set_sort("oldest")
        await settle(app, pilot)
        assert titles(app)[0] == "On slow trains"
        assert titles(app)[-1] == "A note without a date"
        app.set_sort("title")
        await settle(app, pilot)
        assert titles(app)[:2] == [
            "[red]Not markup[/red] and [b]brackets[/b]",
            "A note without a date",
        ]
        await apply_filter(pilot, "tag:nature")
        assert titles(app) == ["The river at night", "Winter letters"]
        app.set_sort("author")
        await settle(app, pilot)
        assert titles(app) == ["The river at night", "Winter letters"]
    assert load_config()[0].sort == "author"


async def test_the_status_line_names_the_order_the_query_asks_for(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    """``sort:oldest`` in the query lists oldest first, and the status line says so (it
    said *newest first*, the chosen order the query overrides)."""
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)

        def status() -> str:
            return str(app.library.query_one("#status").render())

        assert "newest first" in status()
        await apply_filter(pilot, "sort:oldest")
        await settle(app, pilot)
        assert titles(app)[0] == "On slow trains"
        assert "oldest first" in status() and "newest" not in status()
        await apply_filter(pilot, "river sort:relevance")
        await settle(app, pilot)
        assert "most relevant first" in status()
        await pilot.press("escape")
        await settle(app, pilot)
        assert "newest first" in status()


async def test_sort_from_the_command_palette(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await run_command(pilot, "oldest")
        await settle(app, pilot)
        assert app.library.sort == "oldest"
        assert titles(app)[0] == "On slow trains"


async def test_open_post_by_title_from_the_palette(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    from tui.screens.reader import ReaderScreen

    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await run_command(pilot, "winter")
        await pilot.pause()
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.post.title == "Winter letters"


async def test_a_command_typed_with_ctrl_p_in_one_read_reaches_the_palette(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    """The letters typed with ctrl+p (one read over ssh) reach the palette's field, though
    they arrive before it is mounted (the app now holds them until it is)."""
    from textual.command import CommandPalette
    from textual.widgets import Input

    from tests.tui.widgets.test_ordered_keys import arrive_together

    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await arrive_together(pilot, "ctrl+p", *"winter")
        await settle(app, pilot)
        assert isinstance(app.screen, CommandPalette)
        assert app.screen.query_one(Input).value == "winter"


async def test_help_lists_the_keys_of_the_screen(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        sections = collect_help(app.library)
        described = {key.description for section in sections for key in section.keys}
        for binding in [*app.library.BINDINGS, *PostList.BINDINGS, *PostilApp.BINDINGS]:
            assert binding.description in described  # type: ignore[union-attr]
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert current_screen(app) is app.library


def test_every_help_section_has_a_name_not_a_class_name() -> None:
    """The help was headed AnnotationsScreen, ReaderScreen, UnplacedScreen, PostView,
    AnnotationList and FindBar (their HELP did not start with a heading)."""
    from rich.console import Console

    from tui.screens.annotations_screen import AnnotationsScreen
    from tui.screens.help import HelpSection, help_renderable
    from tui.screens.reader import ReaderScreen
    from tui.screens.unplaced_screen import UnplacedScreen
    from tui.widgets.annotation_list import AnnotationList
    from tui.widgets.facet_sidebar import FacetSidebar
    from tui.widgets.filter_bar import FilterBar
    from tui.widgets.find_bar import FindBar
    from tui.widgets.post_view import PostView

    for node in (
        *(AnnotationsScreen, ReaderScreen, UnplacedScreen, LibraryScreen),
        *(PostView, AnnotationList, FindBar, PostList, FilterBar, FacetSidebar),
    ):
        console = Console(width=100, record=True)
        console.print(help_renderable([HelpSection(node.__name__, node.HELP.strip(), ())]))
        first = console.export_text().strip().splitlines()[0]
        assert first and first != node.__name__, first


async def test_theme_is_saved_and_restored(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.theme = "nord"
        await settle(app, pilot)
    config, notice = load_config()
    assert config.theme == "nord" and notice is None
    again = make_test_app([small_corpus_dir], config=config)
    assert again.theme == "nord"


async def test_read_only_store_is_announced(
    make_test_app: MakeTestApp, small_corpus_dir: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    app = make_test_app([small_corpus_dir], store=broken)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.store.read_only
        status = str(app.library.query_one("#status").render())
        assert str(broken) in status and "read-only" in status
        (told,) = [n.message for n in app._notifications if n.title == "Store read-only"]
        assert told.startswith(f"The annotation store {broken} cannot be parsed (")
        assert told.count(str(broken)) == 1 and told.count("read-only") == 1  # said once
        await pilot.press("r")
        await settle(app, pilot)
        assert any("read-only" in n.message.casefold() for n in app._notifications)
    assert broken.read_text(encoding="utf-8") == "{not json"


async def test_config_paths_are_used_when_none_given(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    from tui.app import make_app

    app = make_app([], config=Config(corpus=(str(small_corpus_dir),)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.library.total == len(app.library.post_list.posts) == 6


async def test_a_query_typed_before_the_fields_are_indexed_says_how_far_they_are_then_applies(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    """At 500k posts the fields take ~45 s to index; "in a moment" said nothing more."""
    from dataclasses import replace

    from tui.corpus.index.build import Event

    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        library = app.library
        app.index_state = replace(app.index_state, fields=False)  # before the fields are in
        library.set_state(app.index_state)
        await apply_filter(pilot, "tag:nature")
        await settle(app, pilot)
        status = library.query_one("#status")
        assert "indexing, the filter applies in a moment…" in str(status.render())
        app.post_message(PostilApp.IndexProgress(Event("fields_progress", 150_000, 500_000)))
        await pilot.pause()
        assert "indexing 150,000 of 500,000, then the filter applies…" in str(status.render())
        app.post_message(PostilApp.IndexProgress(Event("fields", 6, 6)))
        await settle(app, pilot)
        assert titles(app) == ["The river at night", "Winter letters"]
        assert "indexing" not in str(status.render())


async def test_palette_filters_by_tag_and_author_with_plain_text_hits(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    from textual.command import Hit

    from tui.commands import PostilCommands

    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        provider = PostilCommands(app.library)
        hits = [hit async for hit in provider.search("travel")]
        by_text = {hit.text: hit for hit in hits if isinstance(hit, Hit)}
        by_text["Filter by tag: travel"].command()
        await pilot.pause()
        assert app.library.filter_bar.applied_text == "tag:travel"
        assert titles(app) == ["On slow trains"]  # the harbour post has travel as category only
        hits = [hit async for hit in provider.search("mallory")]
        texts = {hit.text for hit in hits}
        assert "Filter by author: [bold]Mallory" in texts
        assert "Open: [red]Not markup[/red] and [b]brackets[/b]" in [
            h.text for h in [hit async for hit in provider.search("not markup")]
        ]
        # Prompts are plain Content: the brackets are text, not styles.
        prompt = next(h.prompt for h in hits if h.text == "Filter by author: [bold]Mallory")
        assert "[bold]Mallory" in str(prompt)
