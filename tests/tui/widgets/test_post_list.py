"""PostList: rows drawn from plain text, marks, movement, column dropping, messages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from tui.corpus.model import Post, PostId
from tui.render.cells import clean_cell, fit
from tui.widgets.final_lines import line_frame
from tui.widgets.post_list import Columns, PostList


def make_post(i: int, title: str | None = None, **kw: object) -> Post:
    """A post numbered ``i`` (dates descending with ``i``)."""
    fields: dict[str, object] = {
        "id": PostId(f"{i:012x}"),
        "path": f"/corpus/{i}.md",
        "rel_path": f"{i}.md",
        "title": title if title is not None else f"Post number {i}",
        "date": datetime(2024, 1, 1, tzinfo=UTC).replace(day=1 + i % 28),
        "author": f"Author {i % 7}",
        "tags": ("alpha", "beta"),
        "categories": (),
        "source": None,
    }
    fields.update(kw)
    return Post(**fields)  # type: ignore[arg-type]


class ListApp(App[None]):
    """A bare app holding one PostList."""

    def __init__(self, posts: list[Post]) -> None:
        super().__init__()
        self.posts = posts
        self.selected: list[Post] = []
        self.highlighted: list[int] = []

    def compose(self) -> ComposeResult:
        yield PostList(id="posts")

    def on_mount(self) -> None:
        self.query_one(PostList).set_posts(self.posts)
        self.query_one(PostList).focus()

    def on_post_list_selected(self, event: PostList.Selected) -> None:
        self.selected.append(event.post)

    def on_post_list_highlighted(self, event: PostList.Highlighted) -> None:
        self.highlighted.append(event.index)


def row_text(post_list: PostList, y: int) -> str:
    """The plain text of visible row ``y``."""
    return post_list.render_line(y).text


def test_fit_counts_cells_and_never_splits_cjk() -> None:
    assert fit("abc", 5) == "abc  "
    cut = fit("港口的早晨很安静", 7)
    assert cell_len(cut) == 7
    assert cut.endswith("…")
    assert fit("港口的早晨", 4) == "港… " or cell_len(fit("港口的早晨", 4)) == 4


def reference_fit(text: str, width: int) -> str:
    """``fit`` as Rich alone would compute it."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


@settings(max_examples=400, deadline=None)
@given(
    st.text(
        st.one_of(
            st.characters(min_codepoint=0x20, max_codepoint=0x7E),
            st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
            st.sampled_from("、。「」　！？ＡＢｚ😀é\u0301ﾊ한"),
        ),
        max_size=30,
    ),
    st.integers(0, 40),
)
def test_fit_equals_rich_cell_counting(text: str, width: int) -> None:
    assert fit(text, width) == reference_fit(text, width)
    if width:
        assert cell_len(fit(text, width)) == width


def test_the_fast_path_characters_are_one_or_two_cells() -> None:
    for code in range(0x20, 0x7F):
        assert cell_len(chr(code)) == 1
    for first, last in ((0x3000, 0x3003), (0x4E00, 0x9FFF), (0xFF01, 0xFF5E)):
        assert all(cell_len(chr(code)) == 2 for code in range(first, last + 1))


def test_clean_cell_removes_control_characters() -> None:
    assert clean_cell("a\x1b[31mb\x07c\nd\x9be") == "a[31mbc de"
    assert clean_cell("Evil \u202etxt.exe \u2066x\u2069") == "Evil txt.exe x"  # bidi controls


def test_columns_drop_tags_then_author() -> None:
    wide, medium, narrow = Columns.for_width(120), Columns.for_width(80), Columns.for_width(59)
    assert wide.tags and wide.author
    assert medium.author and not medium.tags
    assert not narrow.author and not narrow.tags
    assert narrow.title >= 40


async def test_rows_show_date_title_author_and_markup_literally() -> None:
    posts = [make_post(0, title="[red]Not markup[/red]", author="[b]Eve"), make_post(1)]
    app = ListApp(posts)
    async with app.run_test(size=(120, 10)) as pilot:
        post_list = app.query_one(PostList)
        await pilot.pause()
        first = row_text(post_list, 0)
        assert "[red]Not markup[/red]" in first
        assert "[b]Eve" in first
        assert "2024-01-01" in first
        assert "alpha, beta" in first
        assert row_text(post_list, 5).strip() == ""


async def test_only_the_title_and_date_at_60_columns() -> None:
    app = ListApp([make_post(0)])
    async with app.run_test(size=(60, 5)) as pilot:
        await pilot.pause()
        text = row_text(app.query_one(PostList), 0)
        assert "Post number 0" in text
        assert "Author" not in text


async def test_marks_for_unread_notes_and_highlights() -> None:
    posts = [make_post(0), make_post(1), make_post(2)]
    app = ListApp(posts)
    async with app.run_test(size=(100, 6)) as pilot:
        post_list = app.query_one(PostList)
        read = {posts[1].id, posts[2].id}
        post_list.set_marks(lambda pid: pid in read, {posts[1].id: (1, 2), posts[2].id: (0, 3)})
        await pilot.pause()
        assert row_text(post_list, 0).startswith("•")
        assert row_text(post_list, 1).startswith(" ✎")
        assert row_text(post_list, 2).startswith(" ▌")


async def test_keyboard_movement_and_selection() -> None:
    posts = [make_post(i) for i in range(100)]
    app = ListApp(posts)
    async with app.run_test(size=(80, 12)) as pilot:
        post_list = app.query_one(PostList)
        await pilot.press("j", "j", "down")
        assert post_list.cursor == 3
        await pilot.press("k")
        assert post_list.cursor == 2
        await pilot.press("G")
        assert post_list.cursor == 99
        assert post_list.scroll_offset.y > 80  # the cursor row is on screen
        await pilot.press("g")
        assert post_list.cursor == 0
        await pilot.press("pagedown")
        assert post_list.cursor > 5
        await pilot.press("end", "up", "enter")
        await pilot.pause()
        assert app.selected == [posts[98]]
        assert app.highlighted[-1] == 98


async def test_set_posts_keeps_the_cursor_on_the_same_post() -> None:
    posts = [make_post(i) for i in range(10)]
    app = ListApp(posts)
    async with app.run_test(size=(80, 12)) as pilot:
        post_list = app.query_one(PostList)
        await pilot.press("j", "j", "j")
        post_list.set_posts(posts[2:])
        assert post_list.highlighted_post == posts[3]
        post_list.set_posts([])
        assert post_list.highlighted_post is None and post_list.cursor == -1
        await pilot.press("j", "enter")
        assert app.selected == []


async def test_fifty_thousand_posts_draw_only_visible_rows() -> None:
    posts = [make_post(i) for i in range(50_000)]
    app = ListApp(posts)
    async with app.run_test(size=(100, 20)) as pilot:
        post_list = app.query_one(PostList)
        await pilot.press("G")
        await pilot.pause()
        assert post_list.virtual_size.height == 50_000
        assert "Post number 49999" in row_text(post_list, post_list.size.height - 1)
        # Built rows are cached; far fewer than the posts exist.
        assert len(post_list._row_cache) < 100


class StyledListApp(ListApp):
    """The list with the app's own styles (background, scrollbar gutter, row parts)."""

    CSS_PATH = str(Path(__file__).resolve().parents[3] / "tui" / "app.tcss")


def segments_of(strips: list[Strip]) -> list[list[Segment]]:
    return [list(strip) for strip in strips]


def textual_lines(widget: Widget, crop: Region) -> list[Strip]:
    """The widget's lines as Textual's own path draws them (through the styles cache)."""
    widget._styles_cache.clear()
    return Widget.render_lines(widget, crop)


@pytest.mark.parametrize("theme", ["textual-dark", "ansi-dark"])
@pytest.mark.parametrize("size", [(120, 14), (70, 14)])
async def test_render_lines_equal_textuals_own_lines(theme: str, size: tuple[int, int]) -> None:
    posts = [
        make_post(i, title=title)
        for i, title in enumerate(
            [
                "港口的早晨很安静渔船慢慢回来了海鸥在天上飞" * 3,
                "Mixed 港口 and ASCII " * 5,
                "é\u0301",
            ]
            + [f"Post {i}" for i in range(3, 40)]
        )
    ]
    app = StyledListApp(posts)
    async with app.run_test(size=size) as pilot:
        app.theme = theme
        post_list = app.query_one(PostList)
        read = {p.id for p in posts[::2]}
        post_list.set_marks(lambda pid: pid in read, {posts[1].id: (1, 1), posts[4].id: (0, 2)})
        await pilot.press("j", "j")
        width, height = post_list.region.size
        for _ in range(2):  # focused, then blurred
            for scroll in (0, 5, 35):  # the last leaves blank lines after the rows
                post_list.scroll_to(y=scroll, animate=False, immediate=True)
                await pilot.pause()
                for crop in (Region(0, 0, width, height), Region(4, 2, 30, 5)):
                    ours = post_list.render_lines(crop)
                    assert segments_of(ours) == segments_of(textual_lines(post_list, crop))
                    assert [s.cell_length for s in ours] == [crop.width] * crop.height
            post_list.blur()
            await pilot.pause()


async def test_other_styles_take_textuals_path() -> None:
    app = StyledListApp([make_post(i) for i in range(20)])
    async with app.run_test(size=(80, 10)) as pilot:
        post_list = app.query_one(PostList)
        post_list.styles.padding = (0, 2)
        post_list.styles.tint = "red 20%"
        await pilot.pause()
        crop = post_list.size.region
        assert line_frame(post_list) is None
        assert segments_of(post_list.render_lines(crop)) == segments_of(
            textual_lines(post_list, crop)
        )


async def test_the_scrollbar_shows_what_textual_would_draw() -> None:
    posts = [make_post(i) for i in range(3000)]
    app = StyledListApp(posts)
    async with app.run_test(size=(100, 20)) as pilot:
        post_list = app.query_one(PostList)
        bar = post_list.vertical_scrollbar
        # Thumb sizes and positions: one cell at the top (3000 and 2000 rows), larger
        # (60 rows), moved (a cursor far down), back to a shape drawn before.
        for count, cursor in ((3000, 0), (2000, 0), (60, 0), (3000, 1500), (60, 30), (2000, 0)):
            post_list.set_posts(posts[:count])
            post_list.cursor = cursor
            await pilot.pause()
            assert bar.window_virtual_size == count
            region = bar.size.region
            assert segments_of(bar.render_lines(region)) == segments_of(textual_lines(bar, region))
            # What is on screen is what a full redraw would show.
            shown = app.export_screenshot()
            bar.refresh()
            post_list.refresh()
            await pilot.pause()
            assert app.export_screenshot() == shown


async def test_a_row_is_repainted_where_it_shows_in_a_scrolled_list() -> None:
    app = ListApp([make_post(i) for i in range(100)])
    async with app.run_test(size=(80, 12)) as pilot:
        post_list = app.query_one(PostList)
        post_list.scroll_to(y=50, animate=False, immediate=True)
        await pilot.pause()
        regions: list[Region] = []

        def refresh(*parts: Region, **_: object) -> PostList:
            regions.extend(parts)
            return post_list

        post_list.refresh = refresh  # type: ignore[method-assign]
        post_list._refresh_row(55)
        post_list._refresh_row(20)  # not on screen: nothing to repaint
        assert [(region.y, region.height) for region in regions] == [(5, 1)]
