"""postil on a shared server: private files, a read-only corpus left untouched.

Every file postil writes in the user's folders (store, drafts, config, filter history,
metadata cache) is 0600 in 0700 folders, whatever the umask; nothing is ever written
into the corpus. (Two logins annotating at once are in test_ssh.py.)
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.corpus_posts import load_corpus
from tests.e2e.sshtui import POSTS, TARGET_TITLE
from tests.tui.screens.test_reader_support import settle as settle_workers
from tui import locations
from tui.app import PostilApp, make_app


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """A umask that lets group and others read new files, as on many servers."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """The e2e corpus, made read-only like a shared archive (root still could write)."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in POSTS.items():
        (folder / name).write_text(text, encoding="utf-8")
        (folder / name).chmod(0o444)
    folder.chmod(0o555)
    return folder


def tree(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry below ``folder`` with its size and modification time."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


def user_folders() -> list[Path]:
    """postil's folders in the user's data, config, cache and state homes."""
    state = Path(os.environ["XDG_STATE_HOME"]) / locations.APP_NAME
    return [locations.data_dir(), locations.config_dir(), locations.cache_dir(), state]


def loose_entries() -> list[str]:
    """Files not 0600 and folders not 0700 among postil's own files."""
    loose = []
    for top in user_folders():
        if not top.exists():
            continue
        for path in [top, *top.rglob("*")]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            want = 0o700 if path.is_dir() else 0o600
            if mode & 0o077 or mode != want and path.is_dir():
                loose.append(f"{path} is {mode:04o}, want {want:04o}")
    return loose


async def settle(app: PostilApp, pilot: Pilot[None], pause: float = 0.0) -> None:
    """Wait for workers (loading, store and config writes) and their messages."""
    await settle_workers(pilot, pause=pause)


async def test_everything_postil_writes_is_private(
    corpus: Path, loose_umask: None, tmp_path: Path
) -> None:
    """A session that filters, highlights, types a note and changes theme leaves only
    0600 files in 0700 folders, and the corpus exactly as it was."""
    before = tree(corpus)
    app = make_app([corpus])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"tag:sea", "enter")
        await settle(app, pilot)
        assert [p.title for p in app.library.post_list.posts] == [TARGET_TITLE]
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("v", "h")
        await settle(app, pilot)
        await pilot.press("v", "down", "n", *"kept private")
        await settle(app, pilot, pause=0.7)  # the draft is written after a typing pause
        assert app.drafts.path.exists(), "the draft reached the disk"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        app.theme = "textual-light"
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
    assert locations.store_path().exists()
    assert locations.config_file().exists()
    assert any(locations.cache_dir().rglob("*")), "the metadata cache was written"
    assert not loose_entries(), "\n".join(loose_entries())
    assert tree(corpus) == before, "nothing is written into the corpus"


def test_loading_a_read_only_corpus_writes_only_the_cache(corpus: Path) -> None:
    """Loading with the cache on, twice (cold, then warm): the corpus is untouched."""

    before = tree(corpus)
    cold = load_corpus([corpus])
    warm = load_corpus([corpus])
    assert not cold.problems and not warm.problems
    assert [p.id for p in warm.posts] == [p.id for p in cold.posts]
    assert len(warm.posts) == len(POSTS)
    assert tree(corpus) == before
    assert any(locations.cache_dir().rglob("*")), "the cache lives in the user's cache folder"
