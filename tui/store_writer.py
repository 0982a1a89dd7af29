"""The app's one store writer: annotation and reading-state writes, one at a time, in order.

Every screen hands its store writes to the app's writer instead of running its own
workers. One thread runs them in the order they were handed over, so a note typed right
after ``n`` is written after the highlight it belongs to, whichever screen asked and
whether or not that screen is still open; the writes handed over before the app ends
still run (the thread is joined when the process exits).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from textual.app import App

from tui.owned import owned_by


class StoreWriter:
    """One thread that runs store writes in the order they are submitted."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="postil-store")

    def submit(self, write: Callable[[], None]) -> Future[None]:
        """Queue ``write`` behind the writes submitted before (from any thread).

        It runs in the caller's context, as Textual's thread workers do, so the active
        app is known there even after the screen that asked has closed.
        """
        return self._executor.submit(contextvars.copy_context().run, write)

    def run(self, app: App[Any], write: Callable[[], None], description: str) -> None:
        """Queue ``write`` (from the event loop) and follow it as one of ``app``'s workers.

        The worker only waits for the write: waiting for the app's workers waits for
        it, and a write that raises is reported as a failed worker (``description``
        says what it was), but cancelling the worker (the app quitting) never drops it.
        """
        future = self.submit(write)

        async def written() -> None:
            await asyncio.shield(asyncio.wrap_future(future))

        app.run_worker(written(), group="store-write", exit_on_error=False, description=description)


def store_writer_for(app: object) -> StoreWriter:
    """The app's store writer (``app.store_writer``), created there on first use."""
    return owned_by(app, "store_writer", StoreWriter, StoreWriter)
