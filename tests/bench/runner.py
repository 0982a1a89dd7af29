"""One benchmark measurement as a whole child process: wall time, CPU and peak memory.

The peak is the child's own high-water mark (VmHWM), never ``wait4``'s ``ru_maxrss``:
Linux carries the parent's mark over fork and exec (see peak.py), so a child of a bench
that has just generated 500k posts would report at least the bench's size. A Python
child runs under peakrun.py, which reports its VmHWM as it exits; every child is also
polled from here, which gives a figure for other programs (grep) and for a child that
leaves by ``os._exit``, marked approximate: a poll can miss the last few milliseconds.

While measuring, this process is a child subreaper (Linux ``prctl``), so a process that
a child leaves behind (postil's detached metadata-cache writer, a background indexer) is
reparented here rather than to init. ``run`` waits for such processes before it returns:
they never compete with the next measurement for the CPU, and their CPU time is counted.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tests.bench.peakrun import vmhwm_kb

PEAKRUN = Path(__file__).with_name("peakrun.py")
_PR_SET_CHILD_SUBREAPER = 36
_POLL_S = 0.01
LEFTOVER_WAIT_S = 300.0
"""How long ``run`` waits for processes a child left behind before it gives up on them."""


@dataclass(frozen=True, slots=True)
class Run:
    """What one child process did."""

    argv: tuple[str, ...]
    """The command as given (without the peakrun.py wrapper)."""
    returncode: int | None
    """Its exit status; None when it was killed at the timeout."""
    wall_s: float
    """From just before the process was started to its exit."""
    cpu_s: float
    """User + system CPU of the process and of the children it waited for."""
    background_cpu_s: float
    """CPU of the processes it left running when it exited, waited for here."""
    peak_mb: float | None
    """Its own peak resident memory (VmHWM), or None when nothing was read."""
    peak_exact: bool
    """True when the process reported its peak as it exited; False when polled."""
    stdout: str
    """Its standard output when captured, else empty."""
    stderr: str
    """Its standard error."""

    @property
    def ok(self) -> bool:
        """Whether it exited with status 0."""
        return self.returncode == 0

    def failure(self, lines: int = 6) -> str:
        """How it failed: the exit status and the tail of its standard error."""
        status = "killed at the timeout" if self.returncode is None else f"exit {self.returncode}"
        tail = self.stderr.strip().splitlines()[-lines:]
        return status + "".join(f"\n      {line}" for line in tail)


def set_subreaper(on: bool) -> bool:
    """Make this process a child subreaper (or stop); False where Linux's prctl is missing."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) == 0)


class _PeakPoller(threading.Thread):
    """Reads a child's VmHWM every few milliseconds until told to stop."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.status = f"/proc/{pid}/status"
        self.kb = 0
        """The highest VmHWM read so far, in kB (0: none read)."""
        self._done = threading.Event()

    def run(self) -> None:
        """Poll until ``stop``."""
        while not self._done.is_set():
            self.kb = max(self.kb, vmhwm_kb(self.status) or 0)
            self._done.wait(_POLL_S)

    def stop(self) -> None:
        """Stop polling (call while the child is still unreaped: its pid is still its own)."""
        self._done.set()
        self.join()


def _children() -> set[int]:
    """The pids of this process's children, from ``/proc`` (empty without it)."""
    me = os.getpid()
    found: set[int] = set()
    try:
        entries = os.scandir("/proc")
    except OSError:
        return found
    with entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            if int(stat[stat.rfind(b")") + 2 :].split()[1]) == me:
                found.add(int(entry.name))
    return found


def _wait_for_leftovers(before: set[int], deadline_s: float) -> float:
    """Reap the processes reparented here since ``before``; return their CPU seconds.

    Children this process had already (a multiprocessing resource tracker, a server a
    test started) are left alone; so is a leftover that outlives ``deadline_s``.
    """
    cpu = 0.0
    deadline = time.monotonic() + deadline_s
    while new := _children() - before:
        reaped = False
        for pid in new:
            try:
                got, _, usage = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:
                before.add(pid)
                continue
            if got:
                cpu += usage.ru_utime + usage.ru_stime
                reaped = True
        if reaped:
            continue
        if time.monotonic() > deadline:
            print(f"      ({len(new)} process(es) left behind still run after {deadline_s:.0f} s)")
            break
        time.sleep(0.02)
    return cpu


def _kill_group(pgid: int, killed: threading.Event) -> None:
    """The timeout: kill the child's process group (it was started as its leader)."""
    killed.set()
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _read_peak_file(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def run(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    python_script: bool = False,
    capture: bool = False,
    timeout_s: float = 3600.0,
) -> Run:
    """Run ``argv`` to its end and measure it.

    Args:
        argv: The command. With ``python_script``, ``argv[0]`` is a Python script run by
            this interpreter under peakrun.py (its peak is then exact).
        env: The child's whole environment.
        capture: Keep standard output (else it goes to /dev/null; beware GNU grep,
            which stops at the first match when its output is /dev/null).
        timeout_s: Kill the child's process group after this long.

    Returns:
        The measured run; a failure is a Run whose ``ok`` is False, never an exception.
    """
    with tempfile.TemporaryDirectory(prefix="postil-bench-run-") as scratch:
        peak_file = Path(scratch) / "peak"
        cmd = [*argv]
        if python_script:
            cmd = [sys.executable, str(PEAKRUN), str(peak_file), *argv]
        with (
            open(Path(scratch) / "out", "w+b") as out,
            open(Path(scratch) / "err", "w+b") as err,
        ):
            try:
                child = _run_child(cmd, env, out if capture else subprocess.DEVNULL, err, timeout_s)
            except OSError as exc:  # no such program, not executable
                return Run(tuple(argv), 127, 0.0, 0.0, 0.0, None, False, "", f"{exc}")
            out.seek(0)
            err.seek(0)
            stdout = out.read().decode("utf-8", "replace")
            stderr = err.read().decode("utf-8", "replace")
        reported = _read_peak_file(peak_file)
    peak_kb = reported if reported is not None else child.polled_kb or None
    return Run(
        argv=tuple(argv),
        returncode=child.returncode,
        wall_s=child.wall_s,
        cpu_s=child.cpu_s,
        background_cpu_s=child.background_cpu_s,
        peak_mb=None if peak_kb is None else peak_kb / 1024,
        peak_exact=reported is not None,
        stdout=stdout,
        stderr=stderr,
    )


@dataclass(frozen=True, slots=True)
class _Child:
    """What ``_run_child`` saw of a process (the Run without its output)."""

    returncode: int | None
    wall_s: float
    cpu_s: float
    background_cpu_s: float
    polled_kb: int


def _run_child(
    cmd: list[str], env: Mapping[str, str], out: IO[bytes] | int, err: IO[bytes], timeout_s: float
) -> _Child:
    """Start ``cmd``, wait for it and for what it leaves behind; measure it."""
    before = _children()
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=dict(env), process_group=0
    )
    poller = _PeakPoller(proc.pid)
    poller.start()
    killed = threading.Event()
    timer = threading.Timer(timeout_s, _kill_group, (proc.pid, killed))
    timer.start()
    # Wait for the exit without reaping, so the poller never reads a reused pid.
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    wall = time.perf_counter() - started
    timer.cancel()
    poller.stop()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return _Child(
        returncode=None if killed.is_set() else proc.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        background_cpu_s=_wait_for_leftovers(before, LEFTOVER_WAIT_S),
        polled_kb=poller.kb,
    )
