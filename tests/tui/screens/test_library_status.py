"""What the library's status line says for a state of the index, the query and the store."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from annotations.store import AnnotationStore
from tui.corpus.query import parse_query
from tui.listing import IndexState
from tui.screens.library_status import library_status, list_order, open_store


def test_a_query_sort_wins_over_the_chosen_order() -> None:
    assert list_order("title", parse_query("港口 sort:oldest")) == "oldest"
    assert list_order("title", parse_query("港口")) == "title"
    assert list_order("author", None) == "author"


def test_a_text_query_is_partial_until_every_posts_text_is_indexed() -> None:
    indexing = IndexState(checked=True, fields=True, text_done=40, text_total=100)
    status = library_status(
        indexing, shown=3, total=100, problems=0, store=None, loading=False,
        query=parse_query("港口"), query_text="港口", sort="newest",
    )  # fmt: skip
    assert status.partial and status.text_indexed == (40, 100)
    assert status.query == "港口" and not status.indexing and not status.checking
    done = IndexState(checked=True, fields=True, text_done=100, text_total=100)
    status = library_status(
        done, shown=3, total=100, problems=0, store=None, loading=False,
        query=parse_query("港口"), query_text="港口", sort="newest",
    )  # fmt: skip
    assert not status.partial and status.text_indexed is None


def test_a_filter_waits_for_the_fields_and_no_query_shows_no_query_text() -> None:
    status = library_status(
        IndexState(), shown=0, total=100, problems=2, store=None, loading=False,
        query=parse_query("tag:x"), query_text="tag:x", sort="newest",
    )  # fmt: skip
    assert status.indexing and status.checking and status.problems == 2
    status = library_status(
        IndexState(), shown=100, total=100, problems=0, store=None, loading=False,
        query=None, query_text="tag:x", sort="newest",
    )  # fmt: skip
    assert not status.indexing and status.query == ""


def test_the_store_is_asked_for_only_when_open_and_named_when_read_only(
    tmp_path: Path,
) -> None:
    store = AnnotationStore(tmp_path / "annotations.json")
    assert open_store(SimpleNamespace(store_is_open=False, store=store)) is None
    assert open_store(SimpleNamespace(store_is_open=True, store=store)) is store
    assert open_store(SimpleNamespace()) is None
    state = IndexState(checked=True)
    status = library_status(
        state, shown=1, total=1, problems=0, store=store, loading=False,
        query=None, query_text="", sort="newest",
    )  # fmt: skip
    assert not status.read_only
    store.read_only = True
    status = library_status(
        state, shown=1, total=1, problems=0, store=store, loading=False,
        query=None, query_text="", sort="newest",
    )  # fmt: skip
    assert status.read_only and status.store_path == str(tmp_path / "annotations.json")
