"""A warm start: the list of last time from the metadata cache first, then checked against
the files (and replaced only if they changed), with marks and filtering on the way."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message
from textual.pilot import Pilot

from tui.app import PostilApp, make_app
from tui.config import Config
from tui.corpus.loader import load_corpus
from tui.screens.library import LibraryData, LibraryIndex, LibraryScreen


async def settle(app: PostilApp, pilot: Pilot[None]) -> None:
    """Wait for every worker and the messages they posted."""
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


def warm_app(folder: Path, store: Path) -> PostilApp:
    """The app as `postil FOLDER` builds it, with the metadata cache in use."""
    return make_app([folder], store_path=store, use_cache=True, config=Config())


def titles(app: PostilApp) -> list[str]:
    return [post.title for post in app.library.post_list.posts]


async def test_warm_start_shows_the_cached_list_then_checks_it(
    small_corpus_dir: Path, store_path: Path
) -> None:
    from annotations.store import AnnotationStore

    cold = load_corpus([small_corpus_dir])  # fills the cache
    store = AnnotationStore(store_path)
    store.set_reading(cold.posts[0].id, is_read=True)
    store.close()
    seen: list[Message] = []
    app = warm_app(small_corpus_dir, store_path)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await settle(app, pilot)
        loaded = [m for m in seen if isinstance(m, PostilApp.CorpusLoaded)]
        checked = [m for m in seen if isinstance(m, PostilApp.CorpusChecked)]
        assert len(loaded) == 1 and len(checked) == 1
        assert loaded[0].data.marks is None  # the list came before the store was read
        assert not loaded[0].data.checked
        assert loaded[0].data.corpus.posts == cold.posts
        assert checked[0].result.posts is loaded[0].data.corpus.posts  # nothing changed
        assert not app.library.query_one("#loading").display
        assert app.library.checked
        assert "checking" not in str(app.library.query_one("#status").render())
        assert app.corpus == cold
        # The marks arrived after the list: the read post has no unread dot.
        post_list = app.library.post_list
        assert post_list.render_line(0).text.startswith(" ")
        assert post_list.render_line(1).text.startswith("•")
        await pilot.press("slash")
        app.library.filter_bar.input.value = "tag:nature"
        await pilot.press("enter")
        await pilot.pause()
        assert titles(app) == ["The river at night", "Winter letters"]


async def test_a_file_changed_since_last_time_replaces_the_cached_list(
    small_corpus_dir: Path, store_path: Path
) -> None:
    load_corpus([small_corpus_dir])
    river = small_corpus_dir / "2023-10-26-river.md"
    river.write_text(river.read_text().replace("The river at night", "The river at dawn"))
    (small_corpus_dir / "new-post.md").write_text("---\ntitle: A new post\ndate: 2024-01-02\n---\n")
    seen: list[Message] = []
    app = warm_app(small_corpus_dir, store_path)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await settle(app, pilot)
        loaded = [m for m in seen if isinstance(m, PostilApp.CorpusLoaded)]
        assert len(loaded) == 2
        first = {p.title for p in loaded[0].data.corpus.posts}
        assert "The river at night" in first and "A new post" not in first
        assert titles(app)[:2] == ["A new post", "The river at dawn"]
        assert app.corpus == load_corpus([small_corpus_dir], use_cache=False)
        assert app.library.checked
        # Only the first list offers drafts: no second confirmation on the refresh.
        assert app.screen is app.library


async def test_a_refreshed_corpus_keeps_the_query_and_the_cursor(
    small_corpus_dir: Path, store_path: Path
) -> None:
    from tui.corpus.query import Marks

    app = warm_app(small_corpus_dir, store_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        library = app.library
        assert isinstance(library, LibraryScreen)
        await pilot.press("slash")
        library.filter_bar.input.value = "tag:nature"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("down")
        kept = library.post_list.highlighted_post
        assert kept is not None and kept.title == "Winter letters"
        # What the loader hands over when the files changed since the cached list.
        (small_corpus_dir / "2025-05-05-spring.md").write_text(
            "---\ntitle: Spring river\ndate: 2025-05-05\ntags: [nature]\n---\n"
        )
        fresh = load_corpus([small_corpus_dir], use_cache=False)
        library.set_data(LibraryData(fresh, Marks()))
        await pilot.pause()
        assert titles(app) == ["The river at night", "Winter letters"]  # until indexed
        library.set_index(LibraryIndex.build(fresh.posts))
        await pilot.pause()
        assert titles(app) == ["Spring river", "The river at night", "Winter letters"]
        highlighted = library.post_list.highlighted_post
        assert highlighted is not None and highlighted.title == "Winter letters"
        assert library.filter_bar.applied_text == "tag:nature"


async def test_the_status_line_says_while_the_cached_list_is_checked(
    small_corpus_dir: Path, store_path: Path
) -> None:
    cold = load_corpus([small_corpus_dir])
    app = warm_app(small_corpus_dir, store_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        library = app.library
        library.set_data(LibraryData(cold, None, checked=False))  # as the cached list comes
        await pilot.pause()
        assert "checking for changed files" in str(library.query_one("#status").render())
        library.set_checked(cold)
        await pilot.pause()
        assert "checking" not in str(library.query_one("#status").render())
        library.set_data(LibraryData(cold, None))  # a list read from the files
        await pilot.pause()
        assert "checking" not in str(library.query_one("#status").render())
