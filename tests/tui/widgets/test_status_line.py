"""The status line's words for the time the text index still needs."""

from __future__ import annotations

from tui.widgets.status_line import Status, status_text, time_left


def test_the_time_left_reads_as_a_person_says_it() -> None:
    assert time_left(30) == "less than a minute left"
    assert time_left(88) == "about 1 min left"
    assert time_left(50 * 60) == "about 50 min left"
    assert time_left(90 * 60) == "about 1.5 h left"
    assert time_left(2 * 3600 + 50) == "about 2 h left"


def test_the_time_left_comes_last_so_a_narrow_line_cuts_it_first() -> None:
    status = Status(
        shown=3, total=50_000, query="港口", text_indexed=(12_000, 50_000), partial=True,
        text_left=600,
    )  # fmt: skip
    assert str(status_text(status)) == (
        "3 of 50,000 posts · newest first · indexing 12,000 of 50,000"
        " · partial: text not all indexed yet · about 10 min left"
    )


def test_a_filter_waiting_for_the_fields_says_how_far_they_are() -> None:
    waiting = Status(shown=0, total=500_000, query="tag:x", indexing=True)
    assert str(status_text(waiting)) == (
        "0 of 500,000 posts · newest first · indexing, the filter applies in a moment…"
    )
    counted = Status(
        shown=0, total=500_000, query="tag:x", indexing=True, fields_indexed=(150_000, 500_000)
    )
    assert str(status_text(counted)) == (
        "0 of 500,000 posts · newest first · indexing 150,000 of 500,000, then the filter applies…"
    )
