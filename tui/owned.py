"""Objects the app owns, found on any App: the real one makes them, a test app gets one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def owned_by(app: object, name: str, kind: type[T], make: Callable[[], T]) -> T:
    """``app.<name>`` when it is a ``kind``; else one made with ``make`` and set there.

    The app makes its own (``drafts``, ``store_writer``); screens ask through this so
    they work in any App, test apps included.
    """
    owned = getattr(app, name, None)
    if isinstance(owned, kind):
        return owned
    owned = make()
    try:
        setattr(app, name, owned)
    except AttributeError:
        pass
    return owned
