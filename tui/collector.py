"""The one owner of the cyclic garbage collector's settings: held off around a first frame.

A full collection walks every object the process holds (the annotation store's
documents, the screens' widgets), and reading and laying out a post allocates enough to
start one in the middle of the reader's first frame; ``bench_app``'s "open post" is
slower without the pause. Only the cyclic collector waits: reference counting frees
memory as usual. Holds nest, so two screens that overlap cannot turn it back on early.
"""

from __future__ import annotations

import gc
import threading


class CollectorHold:
    """One hold on the collector, released once (releasing again does nothing)."""

    _lock = threading.Lock()
    _holds = 0
    """Holds not yet released, across the process."""
    _disabled_here = False
    """Whether the holds turned the collector off (it was on when the first came)."""

    def __init__(self) -> None:
        """Hold the collector off until :meth:`release`."""
        cls = CollectorHold
        with cls._lock:
            if cls._holds == 0 and gc.isenabled():
                gc.disable()
                cls._disabled_here = True
            cls._holds += 1
        self._held = True

    def release(self) -> None:
        """Let the collector run again once no other hold is left."""
        cls = CollectorHold
        with cls._lock:
            if not self._held:
                return
            self._held = False
            cls._holds -= 1
            if cls._holds == 0 and cls._disabled_here:
                cls._disabled_here = False
                gc.enable()
