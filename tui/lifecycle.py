"""Leaving cleanly when the terminal goes away: SIGHUP, SIGTERM and dead terminals.

An SSH connection that drops sends SIGHUP to the app; a shutting-down server or a
``kill`` sends SIGTERM. Textual handles neither: the process would die at once (default
SIGTERM action) or keep spinning on a terminal that no longer exists, and the note being
typed would be lost. :func:`install_signal_handlers` makes both signals save what is
pending, restore the terminal when it is still there, and leave within a second.

What is "pending" is not known here: any object in the app (the app itself, a screen or a
widget) that has a ``flush_pending()`` method is asked to write its state synchronously
(the note editor saves its draft, the reader its reading position). An app attribute
``drafts`` with a ``flush()`` method is flushed as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import signal
import sys
import termios
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any, Final, Protocol, runtime_checkable

from textual.app import App
from textual.dom import DOMNode

HANDLED_SIGNALS: Final[tuple[signal.Signals, ...]] = (signal.SIGHUP, signal.SIGTERM)
"""The signals that end the app gracefully."""

GRACE_SECONDS: Final[float] = 0.8
"""Time Textual gets to shut down before the process is ended hard.

Below a second so that "exits within a second" holds even with a hung event loop.
"""

DEAD_TERMINAL_ERRNOS: Final[frozenset[int]] = frozenset({errno.EIO, errno.EPIPE, errno.ENXIO})
"""Write errors that mean the terminal is gone (hung-up pty, closed pipe)."""

OUTPUT_THREAD_NAME: Final[str] = "textual-output"
"""Name of Textual's writer thread, whose death means the terminal is gone."""

RESET_SEQUENCES: Final[str] = (
    "\x1b[<u\x1b[?1000l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[?1049l\x1b[?25h"
)
"""Kitty keys off, mouse off, bracketed paste off, leave the alternate screen, show cursor."""


@runtime_checkable
class Flushable(Protocol):
    """Something holding state that must reach the disk before the process ends."""

    def flush_pending(self) -> None:
        """Write pending state (a typed draft, a reading position) synchronously."""


class _Shutdown:
    """The state of one app's shutdown, shared by the signal watcher, loop and timer."""

    def __init__(self, app: App[Any], grace: float) -> None:
        self.app = app
        """The app to end."""
        self.grace = grace
        """Seconds before the hard exit."""
        self.loop = _running_loop()
        """The app's event loop, captured on the loop's own thread."""
        self.started = threading.Event()
        """Set once a shutdown began (later signals change nothing)."""
        self.flushed = threading.Event()
        """Set once pending state was written."""
        self.begin_lock = threading.Lock()
        """Makes the first caller of :meth:`begin` the only one."""
        self.flush_lock = threading.Lock()
        """Keeps the loop and the timer thread from flushing at the same time."""
        self.exit_code = 0
        """Status of the hard exit: 128 + the signal number."""

    def begin(self, exit_code: int) -> None:
        """Start shutting down; safe to call from any thread, more than once."""
        with self.begin_lock:
            if self.started.is_set():
                # Repeats are common (a pty hangup sends SIGHUP to the session leader
                # and again to the foreground group) and must not cut the flush short;
                # the timer already bounds the wait.
                return
            self.started.set()
        self.exit_code = exit_code
        timer = threading.Timer(self.grace, self.hard_exit)
        timer.daemon = True
        timer.name = "postil-exit-timer"
        timer.start()
        if self.loop is not None:
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.graceful)

    def graceful(self) -> None:
        """On the event loop: save what is pending, then let Textual exit normally."""
        self.flush()
        self.app.exit(return_code=self.exit_code)

    def flush(self) -> None:
        """Flush pending state once, whichever thread gets here first."""
        with self.flush_lock:
            if self.flushed.is_set():
                return
            flush_pending_state(self.app)
            self.flushed.set()

    def hard_exit(self) -> None:
        """Timer thread: Textual did not finish in time (hung loop, dead terminal)."""
        # The loop may be blocked (a full write queue to a dead terminal): flush from
        # here so the draft is never lost, then end the process with no cleanup that
        # could block again.
        if self.flush_lock.acquire(timeout=0.1):
            try:
                if not self.flushed.is_set():
                    flush_pending_state(self.app)
                    self.flushed.set()
            finally:
                self.flush_lock.release()
        restore_terminal(self.app)
        os._exit(self.exit_code)


def install_signal_handlers(app: App[Any], *, grace: float = GRACE_SECONDS) -> None:
    """Make SIGHUP, SIGTERM and a dead terminal end ``app`` without losing typed text.

    Call it once from the app's ``on_mount`` (it must run on the main thread, inside the
    running event loop). On a signal: pending state is flushed (see the module doc),
    ``app.exit()`` restores the terminal, and a timer ends the process with
    ``os._exit(128 + signum)`` after ``grace`` seconds if Textual has not finished by
    then; repeated signals change nothing. When Textual's output thread dies on
    a write error that means the terminal is gone (EIO, EPIPE), the same shutdown runs.

    Nothing is installed for headless apps (``run_test``, snapshots): the test runner's
    own signals must keep their meaning.

    Args:
        app: The running app.
        grace: Seconds Textual gets before the hard exit.
    """
    if app.is_headless or threading.current_thread() is not threading.main_thread():
        return
    shutdown = _Shutdown(app, grace)
    # Neither loop.add_signal_handler nor a plain Python handler is enough. A signal
    # may be delivered to any thread (Textual runs input and output threads); Python
    # then runs the handler on the main thread only when that thread next executes
    # bytecode, which an idle loop waiting in select(), or a loop blocked on a full
    # write queue to a dead terminal, may not do for ever; and asyncio runs an
    # add_signal_handler callback only when the loop is free. So the C-level handler's
    # wakeup fd is a pipe that a small thread of ours reads: it starts the shutdown
    # whatever the main thread is doing.
    for sig in HANDLED_SIGNALS:
        signal.signal(sig, _note_signal)
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    watcher = threading.Thread(
        target=_watch_signals,
        args=(read_fd, previous, shutdown),
        name="postil-signals",
        daemon=True,
    )
    watcher.start()
    _watch_output_thread(shutdown)


def flush_pending_state(app: App[Any]) -> None:
    """Ask every pending-state holder of ``app`` to write synchronously.

    Errors are swallowed one holder at a time (there is nobody to tell when the terminal
    is gone), so one failing holder never stops the others.

    Args:
        app: The app whose screens and widgets are asked.
    """
    for holder in _pending_holders(app):
        try:
            holder()
        except Exception as error:  # noqa: BLE001 - last chance, nowhere to report
            _report(f"postil: could not save pending state: {error}")


def restore_terminal(app: App[Any]) -> None:
    """Best effort: put the terminal back in cooked mode, never blocking.

    Used only on the hard-exit path, where Textual's own restore did not finish.

    Args:
        app: The app whose driver saved the terminal's original attributes.
    """
    driver = getattr(app, "_driver", None)
    fd = getattr(driver, "fileno", None)
    attrs = getattr(driver, "attrs_before", None)
    if not isinstance(fd, int):
        return
    with contextlib.suppress(OSError, termios.error):
        if attrs is not None:
            termios.tcsetattr(fd, termios.TCSANOW, attrs)
    with contextlib.suppress(OSError):
        os.set_blocking(fd, False)
        os.write(fd, RESET_SEQUENCES.encode())


def is_dead_terminal_error(error: BaseException) -> bool:
    """True if ``error`` is a write error meaning the terminal is gone.

    Args:
        error: An exception raised by a write to the terminal.
    """
    return isinstance(error, OSError) and error.errno in DEAD_TERMINAL_ERRNOS


def _pending_holders(app: App[Any]) -> Iterator[Any]:
    """The ``flush`` callables to run: app, every screen and widget, then the drafts."""
    seen: set[int] = set()
    nodes: list[DOMNode] = [app]
    for screen in list(app.screen_stack):
        nodes.extend(screen.walk_children(with_self=True))
    for node in nodes:
        if id(node) in seen or not isinstance(node, Flushable):
            continue
        seen.add(id(node))
        yield node.flush_pending
    # Last: a holder above may just have handed its text to the draft store.
    drafts = getattr(app, "drafts", None)
    if drafts is not None and callable(getattr(drafts, "flush", None)):
        yield drafts.flush


def _watch_output_thread(shutdown: _Shutdown) -> None:
    """Shut down when Textual's writer thread dies on a dead terminal.

    Without this, the writer thread dies quietly on EIO, its queue fills up, and the next
    screen update blocks the event loop for ever: a process left behind.
    """
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        thread = args.thread
        if (
            thread is not None
            and thread.name == OUTPUT_THREAD_NAME
            and args.exc_value is not None
            and is_dead_terminal_error(args.exc_value)
        ):
            shutdown.begin(128 + signal.SIGHUP)
            return
        previous(args)

    threading.excepthook = hook


def _note_signal(_signum: int, _frame: FrameType | None) -> None:
    """The Python-level handler: nothing to do, the watcher thread acts.

    Installing it replaces the default action (SIGTERM would kill the process at once)
    and makes the C-level handler write the signal number to the wakeup fd.
    """


def _watch_signals(read_fd: int, previous_fd: int, shutdown: _Shutdown) -> None:
    """Thread target: read signal numbers from the wakeup pipe, begin the shutdown."""
    handled = {int(sig) for sig in HANDLED_SIGNALS}
    while True:
        try:
            data = os.read(read_fd, 512)
        except InterruptedError:
            continue
        except OSError:
            return
        if not data:
            return
        if previous_fd >= 0:
            # Someone (asyncio's add_signal_handler) had the wakeup fd: pass it on.
            with contextlib.suppress(OSError):
                os.write(previous_fd, data)
        for signum in data:
            if signum in handled:
                shutdown.begin(128 + signum)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    """The running asyncio loop, or None outside one."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _report(message: str) -> None:
    """Write to stderr if it still works (it may be the dead terminal)."""
    with contextlib.suppress(Exception):
        print(message, file=sys.__stderr__)
