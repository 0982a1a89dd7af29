"""The reader's selection arithmetic, without an app: v, the arrows, J/K/L/H, ]/[ and drags."""

from __future__ import annotations

from tui.reading.selection import (
    TextSpans,
    first_sentence,
    jump_index,
    moved,
    offset_at,
    offset_range,
    resized,
)

TEXT = "One two. Three four. Five.\n\nSix seven."
SENTENCES = [(0, 8), (9, 20), (21, 26), (28, 38)]


def test_spans_are_computed_once_when_first_asked() -> None:
    calls: list[int] = []

    def text() -> str:
        calls.append(1)
        return TEXT

    spans = TextSpans(text)
    assert calls == []
    assert spans.sentences == SENTENCES
    assert spans.words[:3] == [(0, 3), (4, 7), (9, 14)]
    assert len(calls) == 2  # one text for the sentences, one for the words
    assert spans.sentences == SENTENCES and len(calls) == 2


def test_spans_given_by_a_thread_are_used_as_they_are() -> None:
    spans = TextSpans(lambda: "never read")
    spans.set([(0, 1)], [(0, 1)])
    assert spans.sentences == [(0, 1)] and spans.words == [(0, 1)]
    assert TextSpans().sentences == [] and TextSpans().words == []


def test_v_selects_the_sentence_at_the_top_or_the_next_one_visible() -> None:
    assert first_sentence(SENTENCES, 0, lambda offset: True) == (0, 8)
    assert first_sentence(SENTENCES, 9, lambda offset: True) == (9, 20)
    # The top cuts "Three four.": the next sentence is taken when it starts on screen.
    assert first_sentence(SENTENCES, 12, lambda offset: True) == (21, 26)
    assert first_sentence(SENTENCES, 12, lambda offset: False) == (9, 20)
    assert first_sentence(SENTENCES, 100, lambda offset: True) == (28, 38)


def test_arrows_move_by_a_sentence_and_stop_at_the_ends() -> None:
    assert moved(SENTENCES, (9, 20), 1) == (21, 26)
    assert moved(SENTENCES, (9, 20), -1) == (0, 8)
    assert moved(SENTENCES, (0, 8), -1) is None
    assert moved(SENTENCES, (28, 38), 1) is None
    # A selection grown over two sentences moves from its ends.
    assert moved(SENTENCES, (0, 20), 1) == (21, 26)


def test_growing_and_shrinking_keep_the_punctuation_and_drop_the_space() -> None:
    assert resized(SENTENCES, (0, 8), 1, TEXT) == (0, 20)
    assert resized(SENTENCES, (0, 20), -1, TEXT) == (0, 8)  # "One two." (not "One two. ")
    assert resized(SENTENCES, (0, 8), -1, TEXT) is None  # nothing left to drop
    assert resized(SENTENCES, (28, 38), 1, TEXT) is None
    words = [(0, 3), (4, 7)]
    assert resized(words, (0, 3), 1, TEXT) == (0, 7)
    assert resized(words, (0, 7), -1, TEXT) == (0, 3)


def test_highlight_jumps_from_the_current_one_else_from_the_top() -> None:
    starts = [5, 30, 60]
    assert jump_index(starts, 0, 0, 1) == 1
    assert jump_index(starts, 0, 0, -1) is None
    assert jump_index(starts, 2, 0, 1) is None
    assert jump_index(starts, None, 30, 1) == 1  # the highlight at the top
    assert jump_index(starts, None, 31, 1) == 2
    assert jump_index(starts, None, 31, -1) == 1
    assert jump_index(starts, None, 5, -1) is None


def test_a_drag_point_stands_for_the_next_character_or_the_end_of_the_one_before() -> None:
    offsets = (-1, -1, 10, 11, 12, -1)  # two cells of decoration, three characters, a pad
    assert offset_at(offsets, 0, after=True) == 10
    assert offset_at(offsets, 3, after=True) == 11
    assert offset_at(offsets, 5, after=True) == 13  # past the last character
    assert offset_at(offsets, 3, after=False) == 11
    assert offset_at(offsets, 0, after=False) == 10
    assert offset_at((-1, -1), 1, after=True) is None
    assert offset_at(offsets, -4, after=True) == 10


def test_offset_range_of_a_line() -> None:
    assert offset_range((-1, 7, 8, -1, 9)) == (7, 9)
    lo, hi = offset_range((-1, -1))
    assert hi < lo
