"""Snapshots of the reader (highlights, a note, CJK text) and the annotations screen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from annotations.anchor import make_target
from annotations.model import PostSnapshot, Target
from annotations.store import AnnotationStore
from tests.tui.conftest import FIXED_POSTS, write_posts
from tests.tui.screens.test_reader_script import POSTS as SCRIPT_POSTS
from tests.tui.screens.test_reader_support import ScreenApp, finder, load_posts, post_named, settle
from tui.corpus.model import Post
from tui.drafts import DraftStore
from tui.screens.annotations_screen import AnnotationsScreen
from tui.screens.reader import ReaderScreen

SIZES = [(80, 24), (120, 40)]
RIVER_TEXT = (
    "The river is dark at night. Lights move on the water. Nobody speaks on the bridge."
    "\n\nLater the rain comes. It washes the streets clean."
)
HARBOUR_TEXT = "清晨的港口很安静。渔船慢慢回来了！海鸥在天上飞。\n\n市场开门了，人们开始忙碌。"

SnapCompare = Callable[..., bool]


@pytest.fixture
def corpus(tmp_path: Path) -> list[Post]:
    return load_posts(write_posts(tmp_path / "posts", FIXED_POSTS))


@pytest.fixture
def store(tmp_path: Path, corpus: list[Post], monkeypatch: pytest.MonkeyPatch) -> AnnotationStore:
    # One creation time per annotation: the store lists them oldest first, and four
    # created within one millisecond would come in the order of their random ids.
    times = iter(f"2024-01-01T00:00:0{n}.000Z" for n in range(10))
    monkeypatch.setattr("annotations.store.utc_now_iso", lambda: next(times))
    store = AnnotationStore(tmp_path / "annotations.json")
    river = PostSnapshot.from_post(post_named(corpus, "2023-10-26-river.md"))
    start = RIVER_TEXT.index("Lights")
    store.create(
        river, make_target(RIVER_TEXT, start, start + 25), note="calm [b]water[/b]", tags=["quiet"]
    )
    start = RIVER_TEXT.index("Later")
    store.create(river, make_target(RIVER_TEXT, start, start + 21), color="green")
    orphan = "This sentence was edited out of the post long ago."
    store.create(river, Target(orphan, "", "", 10, 10 + len(orphan)), color="purple")
    harbour = PostSnapshot.from_post(post_named(corpus, "2023-09-14-harbour.md"))
    store.create(
        harbour, make_target(HARBOUR_TEXT, 9, 17), note="渔船 = fishing boats", color="blue"
    )
    return store


async def _settle(pilot: Pilot[Any]) -> None:
    await settle(pilot)


def _reader(
    corpus: list[Post], store: AnnotationStore, tmp_path: Path, name: str, focus: str
) -> ScreenApp:
    post = post_named(corpus, name)
    ann_id = next(a.id for a in store.for_post(post.id) if a.target.exact.startswith(focus))
    drafts = DraftStore(tmp_path / "drafts.json")
    return ScreenApp(lambda: ReaderScreen(post, store, focus_annotation=ann_id), drafts)


@pytest.mark.parametrize("size", SIZES)
def test_reader_with_highlights(
    snap_compare: SnapCompare,
    corpus: list[Post],
    store: AnnotationStore,
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    """The river post: two highlights (the noted one current, bold, its note in the bar below,
    a pen in the margin), the green one plain, and a notice that one highlight is an orphan."""
    app = _reader(corpus, store, tmp_path, "2023-10-26-river.md", "Lights")
    assert snap_compare(app, terminal_size=size, run_before=_settle)


@pytest.mark.parametrize("size", SIZES)
def test_reader_cjk_with_selection(
    snap_compare: SnapCompare,
    corpus: list[Post],
    store: AnnotationStore,
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    """The CJK post: a blue highlight on the second sentence (a pen in the margin), and the
    first sentence plus two characters selected (reversed) with v, shift+right, shift+right;
    the bar below says 11 characters are selected and which keys act on them."""
    app = _reader(corpus, store, tmp_path, "2023-09-14-harbour.md", "渔船")
    assert snap_compare(
        app, terminal_size=size, run_before=_settle, press=["v", "shift+right", "shift+right"]
    )


@pytest.mark.parametrize("size", SIZES)
def test_annotations_screen(
    snap_compare: SnapCompare,
    corpus: list[Post],
    store: AnnotationStore,
    tmp_path: Path,
    size: tuple[int, int],
) -> None:
    """Every annotation with its quote, note (markup shown literally) and post; the orphan
    marked; the status line counting 4 annotations and 1 orphan."""
    app = ScreenApp(
        lambda: AnnotationsScreen(store, finder(corpus)), DraftStore(tmp_path / "drafts.json")
    )
    assert snap_compare(app, terminal_size=size, run_before=_settle)


@pytest.mark.parametrize("size", SIZES)
def test_export_dialog(
    snap_compare: SnapCompare,
    corpus: list[Post],
    store: AnnotationStore,
    tmp_path: Path,
    size: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """x over the annotations screen: the dialog whole at 80x24 too (its keys, the four
    formats with JSON chosen by the arrow, the file name following, both buttons). The
    working folder is / so the suggested name is the same on every machine (nothing is
    written)."""
    monkeypatch.chdir("/")
    app = ScreenApp(
        lambda: AnnotationsScreen(store, finder(corpus)),
        DraftStore(tmp_path / "drafts.json"),
    )
    assert snap_compare(app, terminal_size=size, run_before=_settle, press=["x", "down"])


def _traditional_reader(tmp_path: Path) -> ScreenApp:
    corpus = load_posts(write_posts(tmp_path / "posts", SCRIPT_POSTS))
    post = post_named(corpus, "2024-03-01-taiwan.md")
    store = AnnotationStore(tmp_path / "annotations.json")
    drafts = DraftStore(tmp_path / "drafts.json")
    return ScreenApp(lambda: ReaderScreen(post, store), drafts)


def test_reader_in_traditional_characters(snap_compare: SnapCompare, tmp_path: Path) -> None:
    """The simplified post shown in traditional characters after s, s (臺灣的經濟發展, the
    title too), its first sentence selected with v, and the notice naming the script."""

    app = _traditional_reader(tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_settle, press=["s", "s", "v"])
