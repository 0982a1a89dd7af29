"""WrappedText: untrusted lines broken by the reader's rule, never parsed as markup."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.geometry import Size

from tui.render.wrap import CLOSING, OPENING
from tui.widgets.wrapped_text import WrappedText, wrapped_content

QUESTION = "Delete this highlight?"
QUOTE = "“" + "".join(f"她说“{'一二三四五'[: n % 5 + 1]}”！" for n in range(6)) + "”"


def test_lines_never_start_with_closing_or_end_with_opening_punctuation() -> None:
    lines = [(QUESTION, ""), (QUOTE, "bold")]
    for width in range(8, 60):
        shown = wrapped_content(lines, width).plain.split("\n")
        assert shown[0] == QUESTION[:width] or width < len(QUESTION)
        assert "".join(shown).endswith(QUOTE)
        assert not [x for x in shown if x[0] in CLOSING or x[-1] in OPENING], width


def test_markup_in_the_text_is_shown_as_it_is() -> None:
    assert wrapped_content([("[red]not red[/red]", "")], 40).plain == "[red]not red[/red]"


class Shown(App[None]):
    def compose(self) -> ComposeResult:
        yield WrappedText([(QUESTION, ""), (QUOTE, "")], id="text")


async def test_its_height_follows_its_width_and_new_lines() -> None:
    app = Shown()
    async with app.run_test(size=(30, 20)) as pilot:
        text = app.query_one(WrappedText)
        rows = len(wrapped_content([(QUESTION, ""), (QUOTE, "")], 30).plain.split("\n"))
        assert text.size == Size(30, rows)
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        assert text.size.height < rows
        text.set_lines([("one line", "")])
        await pilot.pause()
        assert text.size.height == 1
        assert text.get_content_width(Size(60, 20), Size(60, 20)) == len("one line")
