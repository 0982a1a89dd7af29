"""A warm start: the index's list at once, then checked against the files by the indexing
process (and read again only if they changed), with marks and filtering on the way."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from textual.message import Message
from textual.pilot import Pilot

from tests.corpus_posts import corpus_posts
from tests.tui.screens.test_reader_support import run_command
from tests.tui.screens.test_reader_support import settle as settle_workers
from tui.app import PostilApp, make_app
from tui.config import Config
from tui.corpus.index import CorpusIndex
from tui.corpus.index.build import build
from tui.screens.library import LibraryScreen


async def settle(app: PostilApp, pilot: Pilot[None]) -> None:
    """Wait for every worker (the indexing process's included) and what they posted."""
    await settle_workers(pilot)


def indexed(folder: Path) -> None:
    """Build the folder's index wholly, as ``postil index`` does."""
    index = CorpusIndex([folder])
    try:
        build(index, lambda event: None, workers=1)
    finally:
        index.close()


def warm_app(folder: Path, store: Path) -> PostilApp:
    return make_app([folder], store_path=store, config=Config())


def titles(app: PostilApp) -> list[str]:
    return [post.title for post in app.library.post_list.posts]


async def test_warm_start_shows_the_indexed_list_then_checks_it(
    small_corpus_dir: Path, store_path: Path
) -> None:
    from annotations.store import AnnotationStore

    indexed(small_corpus_dir)
    posts = corpus_posts([small_corpus_dir])
    store = AnnotationStore(store_path)
    store.set_reading(posts[0].id, is_read=True)
    store.close()
    seen: list[Message] = []
    app = warm_app(small_corpus_dir, store_path)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await settle(app, pilot)
        opened = [m for m in seen if isinstance(m, PostilApp.CorpusOpened)]
        steps = [m.event.phase for m in seen if isinstance(m, PostilApp.IndexProgress)]
        assert len(opened) == 1 and opened[0].rows is not None
        assert list(opened[0].rows) == posts  # the list of last time, before any check
        assert steps[0] == "synced" and "done" in steps
        assert not [m for m in seen if isinstance(m, PostilApp.IndexProgress) and m.event.changed]
        assert not app.library.query_one("#loading").display
        assert app.library.checked
        assert "checking" not in str(app.library.query_one("#status").render())
        # The marks arrived after the list: the read post has no unread dot.
        post_list = app.library.post_list
        assert post_list.render_line(0).text.startswith(" ")
        assert post_list.render_line(1).text.startswith("•")
        await pilot.press("slash")
        app.library.filter_bar.input.value = "tag:nature"
        await pilot.press("enter")
        await settle(app, pilot)
        assert titles(app) == ["The river at night", "Winter letters"]


async def test_a_file_changed_since_last_time_is_listed_once_checked(
    small_corpus_dir: Path, store_path: Path
) -> None:
    indexed(small_corpus_dir)
    river = small_corpus_dir / "2023-10-26-river.md"
    river.write_text(river.read_text().replace("The river at night", "The river at dawn"))
    (small_corpus_dir / "new-post.md").write_text("---\ntitle: A new post\ndate: 2024-01-02\n---\n")
    seen: list[Message] = []
    app = warm_app(small_corpus_dir, store_path)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await settle(app, pilot)
        opened = [m for m in seen if isinstance(m, PostilApp.CorpusOpened)]
        assert len(opened) == 1 and opened[0].rows is not None
        first = {p.title for p in opened[0].rows}
        assert "The river at night" in first and "A new post" not in first
        assert titles(app)[:2] == ["A new post", "The river at dawn"]
        assert app.library.checked
        # Only the first list offers drafts: no second confirmation on the refresh.
        assert app.screen is app.library


async def test_a_changed_index_keeps_the_query_and_the_cursor(
    small_corpus_dir: Path, store_path: Path
) -> None:
    app = warm_app(small_corpus_dir, store_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        library = app.library
        assert isinstance(library, LibraryScreen)
        await pilot.press("slash")
        library.filter_bar.input.value = "tag:nature"
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("down")
        kept = library.post_list.highlighted_post
        assert kept is not None and kept.title == "Winter letters"
        # A file added while the app runs, then indexed (as a later indexing run does).
        (small_corpus_dir / "2025-05-05-spring.md").write_text(
            "---\ntitle: Spring river\ndate: 2025-05-05\ntags: [nature]\n---\n"
        )
        indexed(small_corpus_dir)
        library.set_state(replace(library.state), changed=True)
        await settle(app, pilot)
        assert titles(app) == ["Spring river", "The river at night", "Winter letters"]
        highlighted = library.post_list.highlighted_post
        assert highlighted is not None and highlighted.title == "Winter letters"
        assert library.filter_bar.applied_text == "tag:nature"


async def test_the_status_line_says_while_the_list_is_checked(
    small_corpus_dir: Path, store_path: Path
) -> None:
    app = warm_app(small_corpus_dir, store_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        library = app.library
        checked = library.state
        library.set_state(replace(checked, checked=False))  # as a warm start begins
        await pilot.pause()
        assert "checking for changed files" in str(library.query_one("#status").render())
        library.set_state(checked)
        await pilot.pause()
        assert "checking" not in str(library.query_one("#status").render())


async def test_check_for_changed_files_reads_what_changed_while_the_app_runs(
    small_corpus_dir: Path, store_path: Path
) -> None:
    """Posts written while the app is open show after "Check for changed files" (the
    palette's command), without a restart: a new one listed, an edited one's new title."""
    app = warm_app(small_corpus_dir, store_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "The harbour at dawn" not in titles(app)
        (small_corpus_dir / "2024-05-05-harbour.md").write_text(
            "---\ntitle: The harbour at dawn\ndate: 2024-05-05\n---\n<p>Boats come in.</p>\n",
            encoding="utf-8",
        )
        river = small_corpus_dir / "2023-10-26-river.md"
        river.write_text(
            river.read_text(encoding="utf-8").replace(
                'title: "The river at night"', 'title: "The river before dawn"'
            ),
            encoding="utf-8",
        )
        await run_command(pilot, "check for changed")
        await settle(app, pilot)
        assert titles(app)[0] == "The harbour at dawn"
        assert "The river before dawn" in titles(app)
        assert "The river at night" not in titles(app)
        assert "checking" not in str(app.library.query_one("#status").render())


async def test_check_for_changed_files_when_the_folder_is_gone(
    tmp_path: Path, small_corpus_dir: Path, store_path: Path
) -> None:
    """The corpus folder removed while the app runs: the check says so once, the list
    keeps what it showed, and the status line stops saying *checking* (it said it on)."""
    import shutil

    folder = tmp_path / "posts"
    shutil.copytree(small_corpus_dir, folder)
    app = warm_app(folder, store_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        shown = titles(app)
        shutil.rmtree(folder)
        app.action_check_files()
        await settle(app, pilot)
        assert "checking" not in str(app.library.query_one("#status").render())
        assert titles(app) == shown
        [notice] = [n.message for n in app._notifications]
        assert notice.startswith("The posts could not be loaded: there is no file or folder")


async def test_the_index_removed_while_the_app_runs_is_built_again(
    tmp_path: Path, small_corpus_dir: Path, store_path: Path
) -> None:
    """The index folder deleted under the running app (a cache cleaner): a text query
    then waited for ever, unanswered, and after *Check for changed files* it listed every
    post, its old connections and the new engine mixed. Now the app says so, builds the
    index again, and the query answers."""
    import shutil

    app = warm_app(small_corpus_dir, store_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        library = app.library_index
        assert library is not None
        shutil.rmtree(library.folder)
        app.library.apply_query("渔船")  # only in the harbour post's text
        await settle(app, pilot)
        assert titles(app) == ["港口的早晨"]
        assert app.library_index is not library
        notices = [n.message for n in app._notifications]
        assert any(n.startswith("The index was removed while postil was running") for n in notices)
        assert not [n for n in notices if n.startswith("Could not")], notices
        # And through the palette's check, with the list showing every post.
        library = app.library_index
        assert library is not None
        app.library.apply_query("")
        await settle(app, pilot)
        shutil.rmtree(library.folder)
        app.action_check_files()
        await settle(app, pilot)
        app.library.apply_query("渔船")
        await settle(app, pilot)
        assert titles(app) == ["港口的早晨"]
