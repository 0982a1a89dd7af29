"""The one owner of the garbage collector's settings: holds nest and release once."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tui.collector import CollectorHold


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def test_overlapping_holds_keep_it_off_until_the_last_is_released() -> None:
    first = CollectorHold()
    assert not gc.isenabled()
    second = CollectorHold()
    first.release()
    first.release()  # a second release of the same hold counts for nothing
    assert not gc.isenabled()
    second.release()
    assert gc.isenabled()


def test_a_collector_turned_off_elsewhere_stays_off() -> None:
    gc.disable()
    hold = CollectorHold()
    hold.release()
    assert not gc.isenabled()
