"""The app shell: config file, precedence of settings, drafts offered on start, export."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import MakeTestApp
from tests.tui.screens.test_reader_support import run_command
from tests.tui.screens.test_reader_support import settle as settle_workers
from tui import locations
from tui.app import PostilApp, make_app
from tui.config import (
    NEW_FILE_HEADER,
    Config,
    load_config,
    resolve_corpus,
    resolve_store,
    save_config,
)
from tui.widgets.ordered_keys import UNASKED_READ_S


async def settle(app: PostilApp, pilot: Pilot[None]) -> None:
    """Wait for workers and the messages they posted."""
    await settle_workers(pilot)


# -- config file ---------------------------------------------------------------------------


def test_missing_config_gives_defaults() -> None:
    assert load_config() == (Config(), None)


def test_config_round_trips(tmp_path: Path) -> None:
    config = Config(
        corpus=("~/posts", '/srv/odd "name"\\x'),
        theme="nord",
        store="/tmp/s.json",
        sort="title",
        script="traditional",
    )
    save_config(config)
    assert load_config()[0] == config
    assert (locations.config_file().stat().st_mode & 0o777) == 0o600
    save_config(Config())
    assert locations.config_file().read_text(encoding="utf-8") == NEW_FILE_HEADER


USERS_FILE = """# my settings: the archive on the big disk
corpus = "/data/posts"   # the NAS mount
sort = "title"
future_key = 3

[future_table]
x = 1
"""


def test_saving_a_setting_keeps_the_users_file(tmp_path: Path) -> None:
    """The app rewrote the whole file when the theme or the order changed: comments, keys
    of a newer postil and the user's layout were lost."""
    path = locations.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(USERS_FILE, encoding="utf-8")
    config, _ = load_config()
    save_config(replace(config, theme="nord", sort="newest"))
    assert path.read_text(encoding="utf-8") == USERS_FILE.replace('sort = "title"\n', "").replace(
        "future_key = 3\n", 'future_key = 3\ntheme = "nord"\n'
    )
    assert load_config()[0] == replace(config, theme="nord", sort="newest")


def test_a_broken_config_file_is_never_overwritten() -> None:
    """A file that is not valid TOML gave the defaults, and the next setting saved wrote
    the defaults over it: the user's file was gone."""
    path = locations.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('corpus = "/data/posts\ntheme = "nord"\n', encoding="utf-8")
    config, notice = load_config()
    assert notice is not None
    with pytest.raises(ValueError, match="not valid TOML; it was left as it is"):
        save_config(replace(config, sort="title"))
    assert path.read_text(encoding="utf-8") == 'corpus = "/data/posts\ntheme = "nord"\n'


@pytest.mark.parametrize(
    "text",
    ["corpus = [", "\xff\xfe", 'sort = "sideways"', "theme = 3", 'script = "klingon"'],
)
def test_broken_config_gives_defaults_and_one_sentence(text: str) -> None:
    path = locations.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("latin-1"))
    config, notice = load_config()
    assert config.sort == "newest" and config.theme is None
    assert notice is not None and str(path) in notice
    assert notice.count(". ") == 0 and notice.endswith(".")


def test_precedence_cli_then_env_then_config_then_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = Config(corpus=(str(tmp_path / "from-config"),), store=str(tmp_path / "c.json"))
    cli = [tmp_path / "from-cli"]
    assert resolve_corpus(cli, config) == cli
    assert resolve_corpus([], config) == [tmp_path / "from-config"]
    assert resolve_corpus([], Config()) == [locations.SAMPLE_POSTS]
    monkeypatch.setenv("POSTIL_CORPUS", f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}")
    assert resolve_corpus([], config) == [tmp_path / "a", tmp_path / "b"]
    assert resolve_corpus(cli, config) == cli

    assert resolve_store(tmp_path / "cli.json", config) == tmp_path / "cli.json"
    assert resolve_store(None, config) == Path(os.environ["POSTIL_STORE"])
    monkeypatch.delenv("POSTIL_STORE")
    assert resolve_store(None, config) == tmp_path / "c.json"
    assert resolve_store(None, Config()) == locations.data_dir() / "annotations.json"


async def test_broken_config_is_a_notice_not_a_crash(small_corpus_dir: Path) -> None:
    path = locations.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("theme = [oops", encoding="utf-8")
    app = make_app([small_corpus_dir])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.library.total == 6
        assert any("not valid TOML" in n.message for n in app._notifications)
        app.set_sort("title")  # saving a setting leaves the broken file as it is
        await settle(app, pilot)
        assert path.read_text(encoding="utf-8") == "theme = [oops"
        assert any("Could not save the settings" in n.message for n in app._notifications)


# -- drafts and export ---------------------------------------------------------------------


async def test_drafts_left_by_a_crash_are_offered(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    from tests.corpus_posts import corpus_posts
    from tui.drafts import DraftStore, draft_key
    from tui.screens.confirm import ConfirmScreen
    from tui.screens.reader import ReaderScreen

    post = corpus_posts([small_corpus_dir])[0]
    DraftStore().save(
        draft_key(post.id, None, 0, 9),
        "half a thought",
        post_id=post.id,
        start=0,
        end=9,
        quote="The river",
        title=post.title,
    )
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "1 unsaved note" in app.screen.question
        await pilot.pause(UNASKED_READ_S)  # read before answered (see UnaskedDialog)
        await pilot.press("y")
        await settle(app, pilot)
        reader = app.screen_stack[1]
        assert isinstance(reader, ReaderScreen)
        assert reader.post.id == post.id
        assert reader.resume_draft is not None and reader.resume_draft.text == "half a thought"


async def test_drafts_kept_when_later_is_chosen(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    from tests.corpus_posts import corpus_posts
    from tui.drafts import DraftStore, draft_key

    post = corpus_posts([small_corpus_dir])[0]
    DraftStore().save(draft_key(post.id, None, 0, 9), "keep me", post_id=post.id, start=0, end=9)
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.pause(UNASKED_READ_S)
        await pilot.press("n")
        await settle(app, pilot)
        assert app.screen is app.library
    assert [d.text for d in DraftStore().pending()] == ["keep me"]


def held_drafts(app: PostilApp, post_dir: Path) -> threading.Event:
    """Leave a draft of the first post in the store and hold the app's reading of the
    drafts until the returned event is set (the offer comes once the list shows)."""
    from tests.corpus_posts import corpus_posts
    from tui.drafts import DraftStore, draft_key

    post = corpus_posts([post_dir])[0]
    store = DraftStore()
    store.save(draft_key(post.id, None, 0, 9), "typed before", post_id=post.id, start=0, end=9)
    gate = threading.Event()
    read = store.pending

    def pending() -> Any:
        gate.wait(10)
        return read()

    app.drafts.pending = pending  # type: ignore[method-assign]
    return gate


def offered(app: PostilApp) -> bool:
    """Whether the drafts offer is up and ready: mounted, a button focused (a test that
    ended while it mounted left its on_mount without its buttons)."""
    from textual.widgets import Button

    from tui.screens.confirm import ConfirmScreen

    return isinstance(app.screen, ConfirmScreen) and isinstance(app.focused, Button)


async def until(pilot: Pilot[None], condition: Any, timeout: float = 10.0) -> None:
    """Pause until ``condition()`` holds (or fail after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.02)


@contextlib.asynccontextmanager
async def listed_with_held_drafts(
    make_test_app: MakeTestApp, corpus_dir: Path
) -> AsyncIterator[tuple[PostilApp, Pilot[None], threading.Event]]:
    """The app on ``corpus_dir`` with a draft whose reading is held (`held_drafts`: set
    the event to let it through), once its list shows."""
    app = make_test_app([corpus_dir])
    gate = held_drafts(app, corpus_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.is_loaded and app.library.post_list.posts)
        yield app, pilot, gate


async def test_the_drafts_offer_ignores_keys_typed_before_it_could_be_read(
    make_test_app: MakeTestApp, small_corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An Enter meant for the list, typed as the offer came up, answered it (Restore)."""
    from tui.screens.reader import ReaderScreen
    from tui.widgets import ordered_keys

    # Longer than a loaded machine can take between the offer's mount and the keys (half
    # a second was, once, under the parallel suite); its end is then set by hand.
    monkeypatch.setattr(ordered_keys, "UNASKED_READ_S", 60.0)
    async with listed_with_held_drafts(make_test_app, small_corpus_dir) as (app, pilot, gate):
        gate.set()
        await until(pilot, lambda: offered(app))
        await pilot.press("enter", "down")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ordered_keys.UnaskedDialog)  # still asking
        dialog.keys_from = time.monotonic()  # as if its time to be read had passed
        await pilot.press("enter")  # now read: Restore
        await settle(app, pilot)
        assert any(isinstance(screen, ReaderScreen) for screen in app.screen_stack)


async def test_the_drafts_offer_waits_until_the_keys_rest(
    make_test_app: MakeTestApp, small_corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The offer came up under a typist, taking the keys meant for the list."""
    from tui.widgets import ordered_keys

    monkeypatch.setattr(ordered_keys, "UNASKED_QUIET_S", 2.0)
    async with listed_with_held_drafts(make_test_app, small_corpus_dir) as (app, pilot, gate):
        typed = time.monotonic()
        await pilot.press("down")
        gate.set()
        await pilot.pause(0.3)
        assert app.screen is app.library
        assert app.library.post_list.cursor == 1
        await until(pilot, lambda: offered(app))
        assert time.monotonic() - typed >= 2.0


async def test_drafts_asked_for_from_the_palette_are_offered_at_once(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    """The palette's "Restore note drafts" waited for the keys to rest, like the offer at
    a start, and then took no key for half a second: the user had asked for it."""
    from tui.screens.reader import ReaderScreen

    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await run_command(pilot, "restore note drafts")
        await settle(app, pilot)
        assert app.screen is app.library
        assert any("There are no note drafts." in n.message for n in app._notifications)

    app = make_test_app([small_corpus_dir])
    held_drafts(app, small_corpus_dir).set()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: offered(app))
        await pilot.pause(UNASKED_READ_S)
        await pilot.press("n")  # Later
        await settle(app, pilot)
        await run_command(pilot, "restore note drafts")
        await until(pilot, lambda: offered(app))
        await pilot.press("enter")  # Restore, at once
        await settle(app, pilot)
        assert isinstance(app.screen_stack[1], ReaderScreen)


async def test_export_command_opens_the_dialog(
    make_test_app: MakeTestApp, small_corpus_dir: Path
) -> None:
    from tui.screens.export_dialog import ExportDialog

    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.action_export()
        await settle(app, pilot)
        assert isinstance(app.screen, ExportDialog)
        assert app.screen.annotations == []


async def test_the_store_is_opened_after_the_corpus(
    make_test_app: MakeTestApp, small_corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first list never waits for the store's reading."""
    from annotations.store import AnnotationStore
    from tui.corpus.index.library import Library

    opened_during_load: list[bool] = []
    everything = Library.everything

    def watched(self: Library) -> Any:
        opened_during_load.append(app.store_is_open)
        return everything(self)

    monkeypatch.setattr(Library, "everything", watched)
    app = make_test_app([small_corpus_dir])
    assert not app.store_is_open
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert opened_during_load[0] is False
        assert app.store_is_open
        assert isinstance(app.store, AnnotationStore)


def test_make_app_opens_the_store_named_by_the_environment(small_corpus_dir: Path) -> None:
    app = make_app([small_corpus_dir], config=Config())
    assert app.store.path == Path(os.environ["POSTIL_STORE"])
    assert app.paths == [small_corpus_dir]


def test_missing_corpus_folder_is_one_sentence_and_status_2(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from tui.cli import main

    result = CliRunner().invoke(main, [str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "there is no file or folder named" in result.output
    assert "Traceback" not in result.output


async def test_corpus_gone_at_load_time_is_a_notice(
    make_test_app: MakeTestApp, tmp_path: Path
) -> None:
    folder = tmp_path / "vanishing"
    folder.mkdir()
    app = make_test_app([folder])
    folder.rmdir()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert not app.library.post_list.posts
        assert not app.library.is_loading
        assert any("could not be loaded" in n.message for n in app._notifications)


async def test_unexpected_load_failure_is_reported_and_the_library_shown(
    make_test_app: MakeTestApp, small_corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui.corpus.index

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(tui.corpus.index, "CorpusIndex", broken)
    app = make_test_app([small_corpus_dir])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert not app.library.is_loading
        assert not app.library.post_list.posts
        assert any("the disk caught fire" in n.message for n in app._notifications)


async def test_a_cold_start_indexes_in_a_process_of_its_own(make_test_app: MakeTestApp) -> None:
    """The app reads and indexes the files in a child process (its workers take the
    cores, not the app's event loop), and lists every post once that has read them."""
    from tests.conftest import SAMPLE_POSTS
    from tests.corpus_posts import corpus_posts

    app = make_test_app([SAMPLE_POSTS])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app._indexer is not None
        indexer = app._indexer.process
        assert indexer is not None and indexer.returncode == 0
        assert indexer.pid != os.getpid()
        assert not any("could not be loaded" in n.message for n in app._notifications)
        assert list(app.library.post_list.posts) == corpus_posts([SAMPLE_POSTS])
        assert app.index_state.text_complete
