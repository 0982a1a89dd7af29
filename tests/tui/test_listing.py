"""How far the indexing process is, step by step, as the app follows its reports."""

from __future__ import annotations

from tui.corpus.index.build import Event
from tui.listing import IndexState, uses_state


def test_the_state_follows_the_steps() -> None:
    state = IndexState()
    state, changed = state.after(Event("synced", changed=True))
    assert state.checked and changed
    state, changed = state.after(Event("fields", total=10))
    assert state.fields and not state.text_complete and not changed
    state, _ = state.after(Event("text", done=4, total=10))
    assert (state.text_done, state.text_complete) == (4, False)
    state, _ = state.after(Event("done", done=10, total=10))
    assert state.text_complete
    assert state.after(Event("files", done=1, total=2)) == (state, False)


def test_queries_about_reading_state_refilter_when_the_marks_change() -> None:
    assert uses_state("IS:unread tag:x") and uses_state("has:notes")
    assert not uses_state("tag:x author:y")
