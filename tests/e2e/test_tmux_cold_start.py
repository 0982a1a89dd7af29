"""The real ``postil`` in tmux on a cold start big enough for worker processes.

No index yet, and enough files for the indexing process to parse and render them in
worker processes: the library lists them all, quitting soon after ends the app, and the
index it built is there for the next start. (Worker processes once failed under
Textual's own ``sys.stderr``, and the library came up with 0 posts.)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bench.gen_archive import generate
from tests.e2e.test_tmux_flow import Tmux, e2e_env, postil_in_tmux, wait_until
from tui.corpus.index.sync import CHUNK

__all__ = ["e2e_env"]  # the fixture, used by name below

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

POSTS = 5 * CHUNK + 100


@pytest.fixture
def big_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    generate(folder, POSTS)
    return folder


@pytest.fixture
def cold_tmux(e2e_env: dict[str, str], tmp_path: Path, big_corpus: Path) -> Iterator[Tmux]:
    """``postil ARCHIVE`` at 100x30 with an empty cache folder; killed afterwards."""
    with postil_in_tmux(e2e_env, f"cold-{tmp_path.name}", big_corpus, (100, 30)) as server:
        yield server


def test_a_cold_start_over_many_files_lists_them_all(
    cold_tmux: Tmux, e2e_env: dict[str, str]
) -> None:
    assert not list(Path(e2e_env["XDG_CACHE_HOME"]).glob("postil/index-*"))
    screen = cold_tmux.wait_for(f"{POSTS:,} posts")
    assert "could not be loaded" not in screen
    cold_tmux.keys("q")
    wait_until(lambda: not cold_tmux.alive(), "postil to exit", cold_tmux.screen)
    # The index it built: the next start is a warm one.
    assert list(Path(e2e_env["XDG_CACHE_HOME"]).glob("postil/index-*/posts.sqlite3"))
