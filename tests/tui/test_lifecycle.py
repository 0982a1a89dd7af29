"""SIGHUP, SIGTERM and a vanished terminal end the app within a second, draft saved.

Each test runs a tiny Textual app in a subprocess whose controlling terminal is a fresh
pty (as sshd gives one), so the real LinuxDriver, raw mode and kernel hangup are used.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT

TINY_APP = """
from __future__ import annotations

import sys
import time
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Static

from tui.lifecycle import install_signal_handlers

OUT = Path(sys.argv[1])
MODE = sys.argv[2]


class NoteBox(Static):
    def flush_pending(self) -> None:
        (OUT / "draft.txt").write_text("typed but not saved")


class Tiny(App[None]):
    def compose(self) -> ComposeResult:
        yield NoteBox("a note being typed")

    def on_mount(self) -> None:
        install_signal_handlers(self)
        self.call_after_refresh(self.ready)

    def ready(self) -> None:
        (OUT / "ready").write_text("1")
        if MODE == "ticking":
            # Keep writing to the terminal, so a dead one is noticed by the writer.
            self.set_interval(0.05, lambda: self.query_one(NoteBox).update(str(time.time())))
        if MODE == "blocked":
            # Hang the event loop, as a full write queue to a dead terminal would.
            self.set_timer(0.01, lambda: time.sleep(30))


app = Tiny()
app.run()
(OUT / "exited").write_text(str(app.return_code))
sys.exit(app.return_code or 0)
"""

EXIT_LIMIT = 1.0
"""The promise: the process is gone within a second of the signal."""


@dataclass
class PtyApp:
    """A tiny app running on the slave side of a pty, its output drained by a thread."""

    process: subprocess.Popen[bytes]
    master: int
    slave: int
    out: Path
    output: bytearray = field(default_factory=bytearray)
    master_closed: bool = False
    stop_draining: threading.Event = field(default_factory=threading.Event)
    drainer: threading.Thread | None = None

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Wait until the app has mounted and painted."""
        deadline = time.monotonic() + timeout
        while not (self.out / "ready").exists():
            assert self.process.poll() is None, f"app died: {bytes(self.output)[-2000:]!r}"
            assert time.monotonic() < deadline, "the tiny app did not start"
            time.sleep(0.02)
        time.sleep(0.2)  # let the first frame reach the pty

    def exit_time(self, since: float, timeout: float = 5.0) -> float:
        """Seconds from ``since`` until the process ended."""
        self.process.wait(timeout=timeout)
        return time.monotonic() - since

    def drain(self) -> None:
        """Read the master side until told to stop or it closes (the thread target)."""
        while not self.stop_draining.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output.extend(chunk)

    def hang_up(self) -> None:
        """Close the master side, as sshd does when the connection drops."""
        # A read in progress would keep the master open: stop the drainer first.
        self.stop_draining.set()
        if self.drainer is not None:
            self.drainer.join()
        os.close(self.master)
        self.master_closed = True


def _set_controlling_tty() -> None:
    """In the child, after setsid: make stdin (the pty slave) the controlling tty."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@pytest.fixture
def start_app(tmp_path: Path) -> Iterator[object]:
    """Start the tiny app under a pty; the returned callable takes the mode."""
    started: list[PtyApp] = []
    script = tmp_path / "tiny_app.py"
    script.write_text(TINY_APP)

    def start(mode: str = "normal", controlling_tty: bool = True) -> PtyApp:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(
            [sys.executable, str(script), str(tmp_path), mode],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=ROOT,
            env=env,
            start_new_session=True,
            preexec_fn=_set_controlling_tty if controlling_tty else None,
        )
        app = PtyApp(process, master, slave, tmp_path)
        app.drainer = threading.Thread(target=app.drain, daemon=True)
        app.drainer.start()
        started.append(app)
        return app

    yield start
    for app in started:
        if app.process.poll() is None:
            app.process.kill()
            app.process.wait()
        # The drainer selects on the master: stopped first, or it would select on a
        # closed descriptor (EBADF in its thread, reported against a later test).
        app.stop_draining.set()
        if app.drainer is not None:
            app.drainer.join()
        for fd in (app.slave,) if app.master_closed else (app.master, app.slave):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_signal_saves_draft_restores_terminal_and_exits_fast(start_app: object, sig: int) -> None:
    """A signal flushes pending state, leaves raw mode and the alt screen, exits < 1 s."""
    app: PtyApp = start_app()  # type: ignore[operator]
    app.wait_ready()
    raw = termios.tcgetattr(app.slave)
    assert not raw[3] & termios.ICANON, "the app should have put the pty in raw mode"
    # Like `stty -ixon`: ctrl+s and ctrl+q reach the app instead of pausing output.
    assert not raw[0] & termios.IXON
    sent = time.monotonic()
    app.process.send_signal(sig)
    took = app.exit_time(sent)
    assert took < EXIT_LIMIT, f"exit took {took:.2f} s"
    assert app.process.returncode == 128 + sig
    assert (app.out / "draft.txt").read_text() == "typed but not saved"
    assert (app.out / "exited").read_text() == str(128 + sig), "Textual exited normally"
    restored = termios.tcgetattr(app.slave)
    assert restored[3] & termios.ICANON and restored[3] & termios.ECHO
    time.sleep(0.1)
    assert b"\x1b[?1049l" in app.output, "the alternate screen was left"


def test_hangup_of_the_terminal_saves_draft_and_exits(start_app: object) -> None:
    """Closing the pty master (sshd after a dropped connection) ends the app < 1 s."""
    app: PtyApp = start_app()  # type: ignore[operator]
    app.wait_ready()
    sent = time.monotonic()
    app.hang_up()
    took = app.exit_time(sent)
    assert took < EXIT_LIMIT, f"exit took {took:.2f} s"
    assert (app.out / "draft.txt").read_text() == "typed but not saved"


def test_hung_event_loop_still_exits_with_draft(start_app: object) -> None:
    """With the event loop blocked, the timer thread saves the draft and ends it."""
    app: PtyApp = start_app("blocked")  # type: ignore[operator]
    app.wait_ready()
    time.sleep(0.1)  # the loop is now asleep in the blocking call
    sent = time.monotonic()
    app.process.send_signal(signal.SIGTERM)
    took = app.exit_time(sent)
    assert took < EXIT_LIMIT, f"exit took {took:.2f} s"
    assert app.process.returncode == 128 + signal.SIGTERM
    assert (app.out / "draft.txt").read_text() == "typed but not saved"
    assert not (app.out / "exited").exists(), "the hard exit skipped the normal return"
    restored = termios.tcgetattr(app.slave)
    assert restored[3] & termios.ICANON, "the hard exit restored cooked mode"


def test_repeated_signals_do_not_cut_the_flush_short(start_app: object) -> None:
    """SIGHUP then SIGTERM (a hangup often brings both): draft saved, exit < 1 s."""
    app: PtyApp = start_app()  # type: ignore[operator]
    app.wait_ready()
    sent = time.monotonic()
    app.process.send_signal(signal.SIGHUP)
    app.process.send_signal(signal.SIGTERM)
    app.process.send_signal(signal.SIGHUP)
    took = app.exit_time(sent)
    assert took < EXIT_LIMIT, f"exit took {took:.2f} s"
    # The kernel picks the delivery order of pending signals: either status is right.
    assert app.process.returncode in (128 + signal.SIGHUP, 128 + signal.SIGTERM)
    assert (app.out / "draft.txt").read_text() == "typed but not saved"


def test_dead_terminal_without_signal_saves_draft_and_exits(start_app: object) -> None:
    """No SIGHUP (the pty is not the controlling tty): the first failed write ends it."""
    app: PtyApp = start_app("ticking", controlling_tty=False)  # type: ignore[operator]
    app.wait_ready()
    sent = time.monotonic()
    app.hang_up()
    took = app.exit_time(sent)
    assert took < EXIT_LIMIT + 0.5, f"exit took {took:.2f} s"
    assert (app.out / "draft.txt").read_text() == "typed but not saved"


async def test_headless_apps_keep_default_handlers() -> None:
    """run_test apps install nothing: pytest's own signal handling is untouched."""
    from textual.app import App

    from tui.lifecycle import install_signal_handlers

    before = signal.getsignal(signal.SIGTERM)
    app: App[None] = App()
    async with app.run_test():
        install_signal_handlers(app)
        assert signal.getsignal(signal.SIGTERM) is before
