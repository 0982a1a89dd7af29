"""The reader inside the real app: library -> reader -> highlight and note -> back."""

from __future__ import annotations

from pathlib import Path

from annotations.store import AnnotationStore
from tests.tui.conftest import FIXED_POSTS, MakeTestApp, write_posts
from tests.tui.screens.test_reader_support import settle
from tui.screens.note_editor import NoteEditor
from tui.screens.reader import ReaderScreen


async def test_open_highlight_note_and_back(make_test_app: MakeTestApp, tmp_path: Path) -> None:
    folder = write_posts(tmp_path / "posts", FIXED_POSTS)
    store_path = tmp_path / "store.json"
    app = make_test_app(paths=[folder], store=store_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        library = app.screen
        await pilot.press("enter")  # the newest post: "The river at night"
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        assert reader.post.title == "The river at night"
        await pilot.press("v", "h")
        await settle(pilot)
        await pilot.press("v", "down", "n")
        assert isinstance(app.screen, NoteEditor)
        await pilot.press(*"a note", "ctrl+s")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is library
    notes = sorted((a.target.exact, a.note) for a in AnnotationStore(store_path).all())
    assert notes == [("Lights move on the water.", "a note"), ("The river is dark at night.", "")]
    assert AnnotationStore(store_path).read_post_ids() == {reader.post.id}


async def test_quitting_in_the_reader_keeps_the_position(
    make_test_app: MakeTestApp, tmp_path: Path
) -> None:
    paragraphs = "".join(
        f"<p>Paragraph {n} of a long post that needs scrolling.</p>" for n in range(80)
    )
    folder = write_posts(tmp_path / "long", {"long.md": f"---\ntitle: Long\n---\n{paragraphs}\n"})
    store_path = tmp_path / "store.json"
    app = make_test_app(paths=[folder], store=store_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        await pilot.press("pagedown", "pagedown")
        position = reader.view.position
        assert position > 0
        await pilot.press("q")
        await pilot.pause()
    assert AnnotationStore(store_path).reading(reader.post.id).position == position
