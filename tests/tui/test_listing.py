"""How far the indexing process is, step by step, as the app follows its reports."""

from __future__ import annotations

from tui.corpus.index.build import Event
from tui.listing import IndexState, uses_state


def test_the_state_follows_the_steps() -> None:
    state = IndexState()
    state, changed = state.after(Event("synced", changed=True))
    assert state.checked and changed
    state, changed = state.after(Event("fields_progress", done=5, total=10))
    assert state.fields_done == (5, 10) and not state.fields and not changed
    state, changed = state.after(Event("fields", total=10))
    assert state.fields and state.fields_done is None
    assert not state.text_complete and not changed
    state, _ = state.after(Event("text", done=4, total=10))
    assert (state.text_done, state.text_complete) == (4, False)
    state, _ = state.after(Event("done", done=10, total=10))
    assert state.text_complete
    assert state.after(Event("files", done=1, total=2)) == (state, False)


def test_the_time_left_comes_from_the_rate_once_there_is_one() -> None:
    state, _ = IndexState().after(Event("fields", total=50_000), 100.0)
    state, _ = state.after(Event("text", done=1_000, total=50_000), 100.0)
    assert state.text_left is None  # no rate yet
    state, _ = state.after(Event("text", done=2_000, total=50_000), 102.0)
    assert state.text_left is None  # a rate over two seconds jumps about
    state, _ = state.after(Event("text", done=6_000, total=50_000), 110.0)
    assert state.text_left == 88.0  # 5,000 posts in 10 s: 44,000 more in 88 s
    state, _ = state.after(Event("done", done=50_000, total=50_000), 190.0)
    assert state.text_left is None


def test_queries_about_reading_state_refilter_when_the_marks_change() -> None:
    assert uses_state("IS:unread tag:x") and uses_state("has:notes")
    assert not uses_state("tag:x author:y")
