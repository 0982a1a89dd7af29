"""Searching the posts' text in the app: progress while the text is indexed, the passage
under the list, a post opened at its first match, and finding words inside a post (with
the find's keys typed in one read)."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Input

from tests.tui.conftest import MakeTestApp, write_posts
from tests.tui.screens.test_library import apply_filter, settle, titles
from tests.tui.widgets.test_ordered_keys import arrive_together
from tui.app import PostilApp
from tui.listing import passage_of, result_rows
from tui.render.cells import clean_cell
from tui.screens.color_dialog import ColorDialog
from tui.screens.reader import ReaderScreen

LONG = (
    "---\ntitle: A long walk by the water\ndate: 2001-02-02\n---\n"
    + "".join(f"<p>Paragraph {n} of the walk, with nothing to find in it.</p>\n" for n in range(60))
    + "<p>At the end of the path stood a quince tree.</p>\n"
    + "<p>Its quince fruit is yellow; another quince grows by the gate.</p>\n"
)


def status(app: PostilApp) -> str:
    return str(app.library.query_one("#status").render())


async def test_the_status_line_shows_text_indexing_and_partial_answers(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        library = app.library
        assert "indexing" not in status(app)
        done = library.state
        library.set_state(replace(done, text_done=12_000, text_total=50_000))
        await pilot.pause()
        assert "indexing 12,000 of 50,000" in status(app)
        assert "left" not in status(app)  # no rate yet
        # 10,000 posts in 20 s: 38,000 more in 76 s.
        library.set_state(
            replace(done, text_done=12_000, text_total=50_000, text_since=(0, 2_000), text_at=20)
        )
        await pilot.pause()
        assert "indexing 12,000 of 50,000 · about 1 min left" in status(app)
        assert "partial" not in status(app)  # no text query applied
        await apply_filter(pilot, "river")
        await settle(app, pilot)
        assert "partial: text not all indexed yet" in status(app)
        await apply_filter(pilot, "tag:nature")
        await settle(app, pilot)
        assert "partial" not in status(app)  # the fields are all indexed
        library.set_state(done)
        await pilot.pause()
        assert "indexing" not in status(app)


async def test_a_text_query_shows_the_passage_of_the_post_under_the_cursor(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        snippet = app.library.snippet
        assert not snippet.display
        await apply_filter(pilot, "渔船")  # only in the harbour post's text
        await settle(app, pilot)
        assert titles(app) == ["港口的早晨"]
        assert snippet.display
        passage = snippet._text
        assert "渔船慢慢回来了" in passage
        start, end = snippet._spans[0]
        assert passage[start:end] == "渔船"
        await apply_filter(pilot, "tag:nature")
        await settle(app, pilot)
        assert not snippet.display


def harbour_far_in(folder: Path) -> Path:
    """A post whose only "渔船" follows 180 characters (360 cells) of its paragraph."""
    body = "港口边的早市一直开到中午，卖菜的人很多。" * 9 + "渔船慢慢回来了，码头上很热闹。"
    return write_posts(
        folder, {"harbour.md": f"---\ntitle: 早市\ndate: 2001-02-02\n---\n<p>{body}</p>\n"}
    )


def passage_shown(app: PostilApp) -> str:
    snippet = app.library.snippet
    return "".join(strip.text for strip in snippet.render_lines(Region(0, 0, *snippet.size)))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_passage_line_shows_a_match_far_into_a_chinese_paragraph(
    make_test_app: MakeTestApp, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_test_app([harbour_far_in(tmp_path / "harbour")])
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await apply_filter(pilot, "渔船")
        await settle(app, pilot)
        shown = passage_shown(app)
        assert "渔船" in shown
        assert shown.lstrip().startswith("…")  # cut before the match: said so


async def test_the_passage_line_is_found_again_for_a_narrower_terminal(
    make_test_app: MakeTestApp, tmp_path: Path
) -> None:
    app = make_test_app([harbour_far_in(tmp_path / "harbour")])
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(app, pilot)
        await apply_filter(pilot, "渔船")
        await settle(app, pilot)
        assert "渔船" in passage_shown(app)
        await pilot.resize_terminal(50, 24)
        await pilot.pause(0.2)
        await settle(app, pilot)
        assert "渔船" in passage_shown(app)


async def test_the_passage_line_comes_with_the_rows_of_a_text_query(
    make_test_app: MakeTestApp, small_corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until the text query's rows are there, the list keeps its lines: a passage line
    shown ahead of them would lay the screen out twice, delaying the frame with the rows."""
    import tui.screens.library as library_module

    release = threading.Event()

    def held_search(*args: Any, **kwargs: Any) -> Any:
        release.wait(10)
        return result_rows(*args, **kwargs)

    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        monkeypatch.setattr(library_module, "result_rows", held_search)
        before = titles(app)
        try:
            app.library.filter_bar.apply("渔船")
            await pilot.pause()
            assert not app.library.snippet.display
            assert titles(app) == before
        finally:
            release.set()
        await settle(app, pilot)
        assert titles(app) == ["港口的早晨"]
        assert app.library.snippet.display


async def test_the_passage_line_never_shows_another_posts_passage(
    make_test_app: MakeTestApp, small_corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Moving on to another post empties the line until that post's passage is found."""
    import tui.widgets.snippet_line as snippet_module

    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await apply_filter(pilot, "the")  # a word of several posts' text
        await settle(app, pilot)
        assert len(titles(app)) > 1
        library = app.library
        first = library.snippet._text
        assert first
        release = threading.Event()

        def held_passage(*args: Any, **kwargs: Any) -> Any:
            release.wait(10)
            return passage_of(*args, **kwargs)

        monkeypatch.setattr(snippet_module, "passage_of", held_passage)
        try:
            library.post_list.focus()
            await pilot.press("j")
            await pilot.pause(0.1)
            assert library.snippet._text == ""
        finally:
            release.set()
        await settle(app, pilot)
        post = library.post_list.highlighted_post
        query = library.filter_query
        assert post is not None and query is not None
        assert post.title == "Winter letters"
        width = library.snippet.content_size.width
        passage = passage_of(post, query, width, snippet_module.LINES)[0]
        assert library.snippet._text == clean_cell(passage) != first


async def open_from_query(app: PostilApp, pilot: Pilot[None], query: str) -> ReaderScreen:
    """Apply ``query`` in the library and open the post under the cursor."""
    await settle(app, pilot)
    await apply_filter(pilot, query)
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)
    reader = app.screen
    assert isinstance(reader, ReaderScreen)
    return reader


async def test_a_post_opened_from_a_text_query_opens_at_its_first_match(
    make_test_app: MakeTestApp, tmp_path: Path
) -> None:
    folder = write_posts(tmp_path / "walk", {"walk.md": LONG})
    app = make_test_app([folder])
    async with app.run_test(size=(100, 30)) as pilot:
        reader = await open_from_query(app, pilot, "quince")
        document = reader.document
        assert document is not None
        assert [document.text[s:e] for s, e in reader.matches] == ["quince"] * 3
        view = reader.view
        first = reader.matches[0][0]
        assert view.scroll_offset.y > 0  # the match is far below the first screen
        assert first >= view.position  # ...and on screen
        assert "match 1 of 3" in str(reader.query_one("#reader-note").render())
        await pilot.press("n")
        assert reader.match_index == 1
        await pilot.press("N", "N")
        assert reader.match_index == 2  # from the first, back to the last
        await pilot.press("escape")  # clears the marks first...
        assert reader.matches == [] and isinstance(app.screen, ReaderScreen)
        await pilot.press("escape")  # ...then goes back
        await settle(app, pilot)
        assert not isinstance(app.screen, ReaderScreen)


async def test_a_match_off_screen_is_shown_a_third_of_the_way_down(
    make_test_app: MakeTestApp, tmp_path: Path
) -> None:
    """Opening at a match (and ``n``, ``]``) shows the lines around it, not only the lines
    before it: the match does not land on the last line of the view."""
    filler = "".join(f"<p>Paragraph {n} of the walk, nothing in it.</p>\n" for n in range(60))
    post = (
        "---\ntitle: A walk\ndate: 2001-02-02\n---\n"
        + filler
        + "<p>Here a quince tree stood.</p>\n"
        + filler
        + "<p>Another quince, by the gate.</p>\n"
        + filler
    )
    folder = write_posts(tmp_path / "walk", {"walk.md": post})
    app = make_test_app([folder])
    async with app.run_test(size=(100, 30)) as pilot:
        reader = await open_from_query(app, pilot, "quince")
        view = reader.view
        height = view.scrollable_content_region.height

        def row_of_match() -> int:
            start = reader.matches[reader.match_index][0]
            return view._layout.line_for_offset(start) - int(view.scroll_offset.y)  # type: ignore[union-attr]

        assert row_of_match() == height // 3
        await pilot.press("n")
        assert reader.match_index == 1 and row_of_match() == height // 3


async def open_river(
    app: PostilApp, pilot: Pilot[None], *, highlight: bool = False
) -> ReaderScreen:
    """Open the river post of the small corpus (its first sentence highlighted, if asked)."""
    await settle(app, pilot)
    await apply_filter(pilot, "tag:nature")
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)
    reader = app.screen
    assert isinstance(reader, ReaderScreen)
    if highlight:
        await pilot.press("v", "h")
        await settle(app, pilot)
    return reader


async def test_slash_finds_words_in_the_open_post(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        reader = await open_river(app, pilot)
        assert reader.matches == []
        await pilot.press("slash")
        await pilot.press(*"WATER")
        await pilot.press("enter")
        await settle(app, pilot)
        assert reader.document is not None
        assert [reader.document.text[s:e] for s, e in reader.matches] == ["water"]
        assert "match 1 of 1" in str(reader.query_one("#reader-note").render())
        await pilot.press("slash")
        await pilot.press(*"tag:x")
        await pilot.press("enter")
        assert "Type a word or a phrase" in str(reader.query_one("#find-error").render())
        await pilot.press("escape")  # closes the bar, the marks stay
        assert reader.matches and reader.view.has_focus


async def test_a_word_typed_with_slash_in_one_read_is_found_not_run(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    """``/daily`` arriving in one read (a fast typist over ssh): the letters reached the
    reader's keys, not the find bar; ``d`` asked to delete the current highlight and
    ``y`` said yes."""
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        reader = await open_river(app, pilot, highlight=True)
        assert len(app.store.all()) == 1
        await arrive_together(pilot, "slash", *"daily", "enter")
        await settle(app, pilot)
        assert app.screen is reader and isinstance(reader, ReaderScreen)  # no dialog open
        assert len(app.store.all()) == 1
        assert reader.query_one("#find-input", Input).value == "daily"
        await arrive_together(pilot, "slash", "ctrl+u", *"water", "enter")
        await settle(app, pilot)
        assert reader.document is not None
        assert [reader.document.text[s:e] for s, e in reader.matches] == ["water"]


async def test_keys_typed_with_the_enter_that_opens_a_post_reach_the_reader(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    """``enter /water enter`` in one read: the list's Enter opens the reader through a
    message, so the find's keys reached the library first (its filter bar took
    ``water`` and applied it) and the reader found nothing."""
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await apply_filter(pilot, "tag:nature")
        await settle(app, pilot)
        await arrive_together(pilot, "enter", "slash", *"water", "enter")
        await settle(app, pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        assert reader.document is not None
        assert [reader.document.text[s:e] for s, e in reader.matches] == ["water"]
        await arrive_together(pilot, "escape", "escape")  # clear the marks, then back
        await settle(app, pilot)
        assert app.screen is app.library
        assert app.library.query_one("#filter-input", Input).value == "tag:nature"


async def test_in_a_dialog_the_apps_keys_stay_out(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    """Keys run their bindings as the app routes them, with Textual's chain: in a dialog
    whose list has the focus (the colours), ``q`` is not the app's quit."""
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await open_river(app, pilot, highlight=True)
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press("q")
        await settle(app, pilot)
        assert isinstance(app.screen, ColorDialog) and app.is_running


async def test_a_find_after_a_highlight_shows_where_the_search_is(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    """The highlight just made stays current until the user searches: then the line under
    the post says which match is shown (it kept the highlight's colour, and ``n`` seemed
    to do nothing); ``]`` makes a highlight current again."""
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        reader = await open_river(app, pilot, highlight=True)
        note = reader.query_one("#reader-note")
        assert "yellow" in str(note.render())
        await pilot.press("slash", *"water", "enter")
        await settle(app, pilot)
        assert "match 1 of 1" in str(note.render())
        assert reader.view.current is None
        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert reader.view.current is not None and "yellow" in str(note.render())


async def settle_reader(app: PostilApp, pilot: Pilot[None]) -> None:
    await settle(app, pilot)


async def test_a_query_typed_in_one_read_is_applied_as_typed(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    """Over a slow link the keys come together: backspace and Enter act where typed."""
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        await arrive_together(pilot, *"watx", "backspace", *"er", "enter")
        await settle(app, pilot)
        assert app.library.filter_bar.applied_text == "water"
        assert titles(app) == ["The river at night"]
