"""Finding in the open post: n and N step through the places, wrapping round."""

from __future__ import annotations

from tui.reading.find import Matches


def test_matches_step_and_wrap() -> None:
    matches = Matches()
    assert not matches
    matches.found([(1, 3), (10, 12), (20, 22)])
    assert matches and matches.index == 0
    assert matches.show(matches.index + 1) == (10, 12)
    assert matches.show(matches.index + 2) == (1, 3)  # past the last: the first
    assert matches.show(matches.index - 1) == (20, 22)  # before the first: the last
    assert matches.hint().startswith("match 3 of 3")
    matches.clear()
    assert not matches and matches.spans == [] and matches.index == 0
