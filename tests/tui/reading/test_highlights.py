"""The open post's highlights in text order: by id, by offset, by line, by ] and [."""

from __future__ import annotations

from tui.reading.highlights import Highlight, Highlights

LATE = Highlight("late", 40, 50)
EARLY = Highlight("early", 5, 12, color="blue", has_note=True)
MIDDLE = Highlight("middle", 10, 30)


def test_kept_in_text_order_and_found_by_id_and_offset() -> None:
    shown = Highlights([LATE, EARLY, MIDDLE])
    assert [h.id for h in shown] == ["early", "middle", "late"] and len(shown) == 3
    assert shown.get("middle") is MIDDLE and shown.get("gone") is None and shown.get(None) is None
    assert shown.at(11) is EARLY  # two cover it: the first in text order
    assert shown.at(12) is MIDDLE and shown.at(35) is None
    assert not Highlights()


def test_a_line_gets_the_highlights_reaching_into_it() -> None:
    shown = Highlights([LATE, EARLY, MIDDLE])
    assert shown.overlapping(20, 45) == [MIDDLE, LATE]
    assert shown.overlapping(31, 39) == []
    assert shown.overlapping(1, 0) == []  # a line with no text


def test_jumps_from_the_current_highlight_else_from_the_top() -> None:
    shown = Highlights([LATE, EARLY, MIDDLE])
    assert shown.jump("early", 0, 1) is MIDDLE
    assert shown.jump("late", 0, 1) is None
    assert shown.jump(None, 35, 1) is LATE
    assert shown.jump(None, 35, -1) is MIDDLE
    assert shown.jump("gone", 0, 1) is EARLY  # deleted meanwhile: from the top
