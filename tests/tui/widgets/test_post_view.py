"""PostView on its own: lazy layout, painting of highlights and selection, resize."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.render import build_document
from tui.widgets.post_view import NOTE_MARK, Highlight, PostView

BODY = "".join(
    f"<p>Paragraph {n}: the quick brown fox jumps over the lazy dog again.</p>" for n in range(2000)
)
"""About 150 KB of text: 2,000 paragraphs, several thousand lines at 80 columns."""


class ViewApp(App[None]):
    def compose(self) -> ComposeResult:
        yield PostView(id="view")


def line_text(view: PostView, y: int) -> str:
    return "".join(segment.text for segment in view.render_line(y))


async def test_lays_out_only_what_is_visible() -> None:
    app = ViewApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(PostView)
        document = build_document(BODY)
        view.set_document(document)
        await pilot.pause()
        assert view._layout is not None
        # The screen plus a margin, not the whole post.
        assert view._layout.line_count < 200
        assert not view._layout.is_complete
        assert line_text(view, 0).startswith("  Paragraph 0: the quick")
        await pilot.press("G")
        assert view._layout.is_complete
        assert "Paragraph 1999" in "".join(line_text(view, y) for y in range(view.size.height))


async def test_resize_keeps_reading_position() -> None:
    app = ViewApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(PostView)
        document = build_document(BODY)
        target = document.text.index("Paragraph 700:")
        view.set_document(document, position=target)
        await pilot.pause()
        assert view.position == target
        await pilot.resize_terminal(50, 20)
        await pilot.pause()
        assert view._layout is not None and view._layout.width <= 50 - 2 - 1
        assert view.position == target
        assert line_text(view, 0).startswith("  Paragraph 700:")


async def test_highlights_selection_and_note_mark_are_painted() -> None:
    app = ViewApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(PostView)
        document = build_document("<p>One two three. Four five six.</p><p>Seven eight.</p>")
        view.set_document(document)
        four = document.text.index("Four")
        view.set_highlights(
            [
                Highlight("a", 4, 7, color="green", has_note=True),
                Highlight("b", four, four + 4, color="pink"),
            ]
        )
        await pilot.pause()
        segments = list(view.render_line(0))
        assert segments[0].text == NOTE_MARK
        styled = {s.text: s.style for s in segments if s.text.strip()}
        assert styled["two"] is not None and styled["two"].underline
        assert styled["Four"] is not None and styled["Four"].underline
        assert styled["two"].bgcolor != styled["Four"].bgcolor
        plain = [s for s in segments if s.text.strip() and s.text not in ("two", "Four", NOTE_MARK)]
        assert all(not (s.style and s.style.underline) for s in plain)
        # The current highlight is bold; the selection is reversed.
        view.set_current("b")
        view.selection = (0, 3)
        await pilot.pause()
        styled = {s.text: s.style for s in view.render_line(0) if s.text.strip()}
        assert styled["Four"] is not None and styled["Four"].bold
        assert styled["One"] is not None and styled["One"].reverse
        assert view.selected_text == "One"


async def test_jump_wraps_nowhere_and_rings() -> None:
    app = ViewApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(PostView)
        view.set_document(build_document("<p>Alpha beta. Gamma delta.</p>"))
        view.set_highlights([Highlight("x", 0, 5), Highlight("y", 12, 17)])
        await pilot.pause()
        assert view.jump_highlight(1) is not None and view.current == "x"
        assert view.jump_highlight(1) is not None and view.current == "y"
        assert view.jump_highlight(1) is None and view.current == "y"
        assert view.jump_highlight(-1) is not None and view.current == "x"


async def test_a_jump_shows_the_highlight_a_third_of_the_way_down() -> None:
    app = ViewApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(PostView)
        document = build_document(BODY)
        view.set_document(document)
        start = document.text.index("Paragraph 300:")
        view.set_highlights([Highlight("far", start, start + 9)])
        await pilot.pause()
        assert view.jump_highlight(1) is not None
        await pilot.pause()
        row = view._layout.line_for_offset(start) - int(view.scroll_offset.y)  # type: ignore[union-attr]
        assert row == view.scrollable_content_region.height // 3


async def test_highlight_colours_follow_the_theme() -> None:
    app = ViewApp()
    async with app.run_test() as pilot:
        view = app.query_one(PostView)
        view.set_document(build_document("<p>Alpha beta gamma.</p>"))
        view.set_highlights([Highlight("x", 0, 5)])
        await pilot.pause()

        def alpha_background() -> object:
            return next(
                s.style.bgcolor for s in view.render_line(0) if s.text == "Alpha" and s.style
            )

        dark = alpha_background()
        app.theme = "textual-light"
        await pilot.pause()
        assert alpha_background() != dark
