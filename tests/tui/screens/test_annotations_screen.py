"""The annotations screen: listing, orphans, the annotation query, opening, export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from textual.widgets import Input

from annotations.anchor import make_target
from annotations.model import PostSnapshot, Target
from annotations.store import AnnotationStore
from tests.tui.conftest import FIXED_POSTS, write_posts
from tests.tui.screens.test_reader_support import ScreenApp, finder, load_posts, post_named, settle
from tests.tui.widgets.test_ordered_keys import arrive_together
from tui.corpus.model import Post
from tui.drafts import DraftStore
from tui.screens.annotations_screen import AnnotationsScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.export_dialog import ExportDialog
from tui.screens.reader import ReaderScreen

RIVER_TEXT = (
    "The river is dark at night. Lights move on the water. Nobody speaks on the bridge."
    "\n\nLater the rain comes. It washes the streets clean."
)
ORPHAN_QUOTE = "This sentence was edited out of the post long ago."


@pytest.fixture
def corpus(tmp_path: Path) -> list[Post]:
    return load_posts(write_posts(tmp_path / "posts", FIXED_POSTS))


@pytest.fixture
def store(tmp_path: Path, corpus: list[Post]) -> AnnotationStore:
    """Three annotations on the river post (one an orphan), one on the markup post."""
    store = AnnotationStore(tmp_path / "annotations.json")
    river = PostSnapshot.from_post(post_named(corpus, "2023-10-26-river.md"))
    start = RIVER_TEXT.index("Lights")
    store.create(
        river, make_target(RIVER_TEXT, start, start + 25), note="calm [b]water[/b]", tags=["quiet"]
    )
    start = RIVER_TEXT.index("Later")
    store.create(river, make_target(RIVER_TEXT, start, start + 21), color="green")
    store.create(river, Target(ORPHAN_QUOTE, "", "", 10, 10 + len(ORPHAN_QUOTE)))
    markup = PostSnapshot.from_post(post_named(corpus, "2022-05-01-markup.md"))
    text = "Titles with square brackets must show literally. Nothing here is styled."
    store.create(markup, make_target(text, 0, 27), note="[red]literal[/red]")
    return store


def app_for(store: AnnotationStore, corpus: list[Post], tmp_path: Path) -> ScreenApp:
    return ScreenApp(
        lambda: AnnotationsScreen(store, finder(corpus)), DraftStore(tmp_path / "drafts.json")
    )


def shown(app: ScreenApp) -> list[str]:
    screen = app.screen
    assert isinstance(screen, AnnotationsScreen)
    return [a.target.exact for a in screen.annotation_list.shown]


async def test_lists_every_annotation_and_marks_orphans(
    store: AnnotationStore, corpus: list[Post], tmp_path: Path
) -> None:
    app = app_for(store, corpus, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AnnotationsScreen)
        assert len(shown(app)) == 4
        [orphan] = [a for a in screen.annotations if a.target.exact == ORPHAN_QUOTE]
        assert screen.orphans == {orphan.id}
        index = shown(app).index(ORPHAN_QUOTE)
        entry = screen.annotation_list.entry_text(index)
        assert ORPHAN_QUOTE in entry and "orphan" in entry
        # Notes and titles are shown literally, never as markup.
        prompts = " ".join(screen.annotation_list.entry_text(i) for i in range(4))
        drawn = "".join(
            segment.text for y in range(12) for segment in screen.annotation_list.render_line(y)
        )
        assert "[red]literal[/red]" in drawn
        assert "[red]literal[/red]" in prompts
        assert "calm [b]water[/b]" in prompts
        assert "[red]Not markup[/red]" in prompts
        status = str(screen.query_one("#annotations-status").render())
        assert "4 of 4 annotations" in status and "1 orphan" in status


async def test_orphans_are_found_in_worker_processes(
    store: AnnotationStore, corpus: list[Post], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With many posts to read (here: from one chunk), their texts are read and the
    quotes looked for in worker processes, spawned from the app; the answer is the same."""
    from tui.corpus import workers
    from tui.screens import annotations_screen

    pools: list[object] = []
    new_pool = workers._new_pool

    def recorded(n_workers: int) -> object:
        pools.append(pool := new_pool(n_workers))
        return pool

    monkeypatch.setattr(annotations_screen, "POOL_FROM", 1)
    monkeypatch.setattr("tui.post_texts.TEXTS_CHUNK", 1)
    monkeypatch.setattr(workers, "_start_method", lambda: "spawn")
    monkeypatch.setattr(workers, "_new_pool", recorded)
    app = app_for(store, corpus, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, AnnotationsScreen)
        for _ in range(600):
            await pilot.pause(0.05)
            if screen._checked:
                break
        [orphan] = [a for a in screen.annotations if a.target.exact == ORPHAN_QUOTE]
        assert screen.orphans == {orphan.id}
        assert pools and pools[0] is not None
        status = str(screen.query_one("#annotations-status").render())
        assert "4 of 4 annotations" in status and "1 orphan" in status


async def test_the_status_line_counts_the_quotes_checked(
    store: AnnotationStore, corpus: list[Post], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checking 10,000 annotations takes seconds: the status line says how far it got."""
    monkeypatch.setattr(AnnotationsScreen, "_find_orphans", lambda self, annotations: None)
    app = app_for(store, corpus, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AnnotationsScreen)

        def status() -> str:
            return str(screen.query_one("#annotations-status").render())

        assert status().endswith(
            "4 of 4 annotations · checking which quotes are still in their posts…"
        )
        screen.post_message(AnnotationsScreen.OrphansFound(frozenset(), 2, False))
        await settle(pilot)
        assert status().endswith("checking which quotes are still in their posts: 2 of 4…")
        [orphan] = [a.id for a in screen.annotations if a.target.exact == ORPHAN_QUOTE]
        screen.post_message(AnnotationsScreen.OrphansFound(frozenset({orphan}), 4, True))
        await settle(pilot)
        assert status() == "4 of 4 annotations · 1 orphan"


async def test_d_deletes_the_annotation_under_the_cursor_after_asking(
    store: AnnotationStore, corpus: list[Post], tmp_path: Path
) -> None:
    """An orphan could not be deleted at all (the reader cannot reach it); ``d`` asks,
    ``n`` keeps it, ``y`` deletes it and the cursor stays on the next one."""
    app = app_for(store, corpus, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AnnotationsScreen)
        at = shown(app).index(ORPHAN_QUOTE)
        screen.annotation_list.cursor = at
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert len(store.all()) == 4
        before = shown(app)
        await pilot.press("d", "y")
        await settle(pilot)
        assert ORPHAN_QUOTE not in [a.target.exact for a in store.all()]
        assert shown(app) == [q for q in before if q != ORPHAN_QUOTE]
        assert screen.annotation_list.cursor == min(at, 2)
        status = str(screen.query_one("#annotations-status").render())
        assert "3 of 3 annotations" in status and "orphan" not in status


FILTERS = [
    ("is:orphan", [ORPHAN_QUOTE]),
    ("note:calm", ["Lights move on the water."]),
    ("hl-tag:quiet", ["Lights move on the water."]),
    ("color:green", ["Later the rain comes."]),
    ('author:"ada lovelace" -is:orphan', ["Lights move on the water.", "Later the rain comes."]),
    ("", None),
]
"""Queries and the quotes they keep (None: all four)."""


async def test_an_empty_store_says_how_to_highlight(tmp_path: Path, corpus: list[Post]) -> None:
    app = app_for(AnnotationStore(tmp_path / "empty.json"), corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        status = str(app.screen.query_one("#annotations-status").render())
        assert status == "no highlights yet: in a post, v selects a sentence and h highlights it"


async def test_filter_with_the_annotation_query(
    store: AnnotationStore, corpus: list[Post], tmp_path: Path
) -> None:
    app = app_for(store, corpus, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        everything = sorted(shown(app))
        for query, expected in FILTERS:
            await pilot.press("slash")
            app.screen.query_one("#annotations-filter").value = query  # type: ignore[attr-defined]
            await pilot.press("enter")
            assert sorted(shown(app)) == sorted(expected or everything), query


async def test_bad_filter_keeps_the_list_and_says_why(
    store: AnnotationStore, corpus: list[Post], tmp_path: Path
) -> None:
    app = app_for(store, corpus, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"date:2023-13", "enter")
        await pilot.pause()
        assert len(shown(app)) == 4
        error = app.screen.query_one("#annotations-error")
        assert error.display
        assert "date:2023-13" in str(error.render())


async def test_a_long_filter_error_wraps_on_a_narrow_screen(
    store: AnnotationStore, corpus: list[Post], tmp_path: Path
) -> None:
    """The error was one line as wide as its text, cut off at the screen's edge (at 80
    columns the keys ``is:`` accepts were lost)."""
    app = app_for(store, corpus, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"is:foo", "enter")
        await pilot.pause()
        error = app.screen.query_one("#annotations-error")
        assert error.region.right <= 80 and error.region.height == 2
        lines = app.export_screenshot()  # the text as drawn, across its lines
        assert "is:unplaced)" in lines


async def test_enter_opens_the_post_at_the_highlight(
    store: AnnotationStore, corpus: list[Post], tmp_path: Path
) -> None:
    app = app_for(store, corpus, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"color:green", "enter", "enter")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, ReaderScreen)
        current = reader.view.current
        assert current is not None
        assert store.get(current).target.exact == "Later the rain comes."  # type: ignore[union-attr]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, AnnotationsScreen)


async def test_export_dialog_writes_the_shown_annotations(
    store: AnnotationStore, corpus: list[Post], tmp_path: Path
) -> None:
    app = app_for(store, corpus, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *'author:"Ada Lovelace"', "enter")
        # Two formats through the dialog; annotations.export's own tests cover all four.
        for fmt in ("jsonld", "csv"):
            await pilot.press("x")
            dialog = app.screen
            assert isinstance(dialog, ExportDialog)
            dialog.query_one(f"#format-{fmt}").value = True  # type: ignore[attr-defined]
            await pilot.pause()
            dest = tmp_path / "out" / f"notes-{fmt}.txt"
            dest.parent.mkdir(exist_ok=True)
            dialog.query_one("#export-path").value = str(dest)  # type: ignore[attr-defined]
            await pilot.click("#export-ok")
            await settle(pilot)
            assert isinstance(app.screen, AnnotationsScreen)
            check_export(fmt, dest)


async def test_export_by_keyboard_alone(
    store: AnnotationStore, corpus: list[Post], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """x, then Enter writes Markdown to the suggested file (in the working folder); the
    arrows choose the format (the file's extension follows) and Enter exports from the
    format list too."""
    monkeypatch.chdir(tmp_path)
    app = app_for(store, corpus, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *'author:"Ada Lovelace"', "enter")
        await pilot.press("x", "enter")
        await settle(pilot)
        assert isinstance(app.screen, AnnotationsScreen)
        check_export("markdown", tmp_path / "postil-notes.md")
        await pilot.press("x", "down", "down")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        formats = [dialog.format]
        assert "Enter export" in str(dialog.query_one("#export-keys").render())
        await pilot.press("up")
        formats.append(dialog.format)
        assert formats == ["csv", "json"]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AnnotationsScreen)
        check_export("json", tmp_path / "postil-notes.json")


async def test_keys_typed_in_one_read_follow_the_focus(
    store: AnnotationStore, corpus: list[Post], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``/`` and a filter, or Tab and a file name, arriving in one read (a fast typist over
    ssh): the keys after the one that moves the focus went to where the focus had been
    (the filter's letters to the list's keys; the file name was lost)."""
    monkeypatch.chdir(tmp_path)
    app = app_for(store, corpus, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await arrive_together(pilot, "slash", *"color:green", "enter")
        await settle(pilot)
        assert shown(app) == ["Later the rain comes."]
        await arrive_together(pilot, "x", "tab", "ctrl+u", *"mine.md")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        assert dialog.query_one("#export-path", Input).value == "mine.md"
        await pilot.press("enter")
        await settle(pilot)
        assert "> Later the rain comes." in (tmp_path / "mine.md").read_text(encoding="utf-8")


async def test_the_export_dialog_fits_the_smallest_terminal(
    store: AnnotationStore, corpus: list[Post], tmp_path: Path
) -> None:
    """At 60x20 (the smallest size supported) the keys fit on one line and the buttons
    are on screen (they were cut off below the box)."""
    app = app_for(store, corpus, tmp_path)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        assert dialog.query_one("#export-keys").region.height == 1
        box = dialog.query_one("#export-box").region
        for button in ("#export-ok", "#export-cancel"):
            region = dialog.query_one(button).region
            assert box.contains_region(region) and region.bottom <= 20


def check_export(fmt: str, dest: Path) -> None:
    """The file holds the three river annotations, in ``fmt``, private to the user."""
    text = dest.read_text(encoding="utf-8")
    assert dest.stat().st_mode & 0o777 == 0o600
    if fmt == "markdown":
        assert "> Lights move on the water." in text
        assert "> " + ORPHAN_QUOTE in text
    elif fmt == "json":
        assert sorted(d["target"]["exact"] for d in json.loads(text)) == sorted(
            ["Lights move on the water.", "Later the rain comes.", ORPHAN_QUOTE]
        )
    elif fmt == "csv":
        assert len(list(csv.DictReader(io.StringIO(text)))) == 3
    else:
        data = json.loads(text)
        assert data["type"] == "AnnotationCollection"
        assert len(data["first"]["items"]) == 3


async def test_export_asks_before_overwriting(
    store: AnnotationStore, corpus: list[Post], tmp_path: Path
) -> None:
    dest = tmp_path / "existing.md"
    dest.write_text("keep me", encoding="utf-8")
    app = app_for(store, corpus, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        dialog.query_one("#export-path").value = str(dest)  # type: ignore[attr-defined]
        await pilot.click("#export-ok")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert dest.read_text(encoding="utf-8") == "keep me"
        assert isinstance(app.screen, ExportDialog)
        await pilot.click("#export-ok")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, AnnotationsScreen)
    assert "> Lights move on the water." in dest.read_text(encoding="utf-8")
