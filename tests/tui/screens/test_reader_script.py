"""The reader's script toggle: simplified or traditional on demand, offsets untouched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from textual.pilot import Pilot

from annotations.store import AnnotationStore
from tests.tui.conftest import MakeTestApp, write_posts
from tests.tui.screens.test_reader_support import settle
from tui import locations
from tui.cli import main
from tui.config import Config, load_config
from tui.screens.reader import ReaderScreen
from tui.widgets.post_list import PostList

POSTS = {
    "2024-03-01-taiwan.md": """---
title: "台湾的发展与后来"
date: 2024-03-01T08:00:00.000Z
author: 林语
from: https://example.com/zh/taiwan.htm
---
<div><p>台湾的经济发展很快。后来大家都说这里变了！</p><p>这是第二段，讲头发和面条。</p></div>
""",
    "2024-02-01-english.md": """---
title: "Plain English"
date: 2024-02-01T08:00:00.000Z
---
<p>Nothing to convert here.</p>
""",
}
TRADITIONAL_FIRST = "臺灣的經濟發展很快。"
SIMPLIFIED_FIRST = "台湾的经济发展很快。"


def _shown(reader: ReaderScreen) -> str:
    """The text of the reader's laid-out lines (what the screen draws)."""
    layout = reader.view._layout
    assert layout is not None
    layout.complete()
    return "\n".join(layout.line(i).text.plain for i in range(layout.line_count))


def _script(reader: ReaderScreen) -> str | None:
    """The view's script (a call, so mypy does not narrow it between key presses)."""
    return reader.view.script


async def _open_first_post(pilot: Pilot[Any], app: Any, title: str) -> ReaderScreen:
    """Open the newest post from the library, whose first row shows ``title``."""
    await settle(pilot)
    assert title in _row(app, 0)
    await pilot.press("enter")
    await settle(pilot)
    reader = app.screen
    assert isinstance(reader, ReaderScreen)
    return reader


def _row(app: Any, index: int) -> str:
    post_list = app.screen.query_one(PostList)
    return "".join(segment.text for segment in post_list.render_line(index))


async def test_a_highlight_made_in_traditional_view_is_the_same_in_simplified_view(
    make_test_app: MakeTestApp, tmp_path: Path
) -> None:
    folder = write_posts(tmp_path / "posts", POSTS)
    store_path = tmp_path / "store.json"
    app = make_test_app(paths=[folder], store=store_path)
    async with app.run_test(size=(100, 30)) as pilot:
        reader = await _open_first_post(pilot, app, "台湾的发展与后来")
        assert SIMPLIFIED_FIRST in _shown(reader)

        await pilot.press("s", "s")  # as written -> simplified -> traditional
        await settle(pilot)
        assert _script(reader) == "traditional" and app.script == "traditional"
        shown = _shown(reader)
        assert TRADITIONAL_FIRST in shown and "頭髮" in shown  # by phrases: not 頭發
        assert "臺灣的發展與後來" in str(reader.query_one("#reader-header").render())

        await pilot.press("v", "h")  # the first sentence, highlighted in traditional view
        await settle(pilot)
        (made,) = reader.view.highlights
        assert (made.start, made.end) == (0, len(SIMPLIFIED_FIRST))
        await pilot.press("y")
        assert (
            app.clipboard
            == f"> {TRADITIONAL_FIRST}\n— 臺灣的發展與後來, 林语, https://example.com/zh/taiwan.htm"
        )

        await pilot.press("s", "s")  # -> as written -> simplified
        await settle(pilot)
        assert _script(reader) == "simplified"
        assert SIMPLIFIED_FIRST in _shown(reader)
        assert [(h.id, h.start, h.end) for h in reader.view.highlights] == [
            (made.id, made.start, made.end)
        ]
        await pilot.press("s")  # -> traditional, remembered for the list
        await pilot.press("escape")
        await settle(pilot)
        assert "臺灣的發展與後來" in _row(app, 0)
        assert "Plain English" in _row(app, 1)

    stored = AnnotationStore(store_path).all()
    assert [a.target.exact for a in stored] == [SIMPLIFIED_FIRST]  # the file's characters
    assert load_config(locations.config_file())[0].script == "traditional"
    result = CliRunner().invoke(main, ["notes", "--json", "--store", str(store_path)])
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.stdout)
    assert doc["id"] == stored[0].id
    assert doc["target"]["exact"] == SIMPLIFIED_FIRST
    assert doc["anchor"] == {"status": "anchored", "start": 0, "end": len(SIMPLIFIED_FIRST)}


async def test_the_remembered_script_is_shown_from_the_start(
    make_test_app: MakeTestApp, tmp_path: Path
) -> None:
    folder = write_posts(tmp_path / "posts", POSTS)
    app = make_test_app(paths=[folder], config=Config(script="traditional"))
    async with app.run_test(size=(100, 30)) as pilot:
        reader = await _open_first_post(pilot, app, "臺灣的發展與後來")
        assert TRADITIONAL_FIRST in _shown(reader)
        await pilot.press("s")  # traditional -> as written
        await settle(pilot)
        assert _script(reader) is None and SIMPLIFIED_FIRST in _shown(reader)


async def test_a_word_typed_as_the_other_script_shows_it_is_found(
    make_test_app: MakeTestApp, tmp_path: Path
) -> None:
    """Shown in traditional characters, 凭借 reads 憑藉 (converted by phrases), which the
    search's folding, character by character, makes 凭藉: typed as shown, it is found
    all the same, at the text's own offsets."""
    from textual.widgets import Input

    post = """---
title: "凭借"
date: 2024-03-01T08:00:00.000Z
---
<p>他凭借努力成功了。</p>
"""
    folder = write_posts(tmp_path / "posts", {"2024-03-01-a.md": post})
    app = make_test_app(paths=[folder], config=Config(script="traditional"))
    async with app.run_test(size=(100, 30)) as pilot:
        reader = await _open_first_post(pilot, app, "憑藉")
        assert "他憑藉努力成功了。" in _shown(reader)
        await pilot.press("slash")
        reader.query_one("#find-input", Input).value = "憑藉"
        await pilot.press("enter")
        await settle(pilot)
        assert reader.document is not None
        assert [reader.document.text[s:e] for s, e in reader.matches] == ["凭借"]
