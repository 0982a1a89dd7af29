"""Run the real ``postil serve`` in a child process and talk to it like a browser would.

:class:`Served` starts the command, reads the link it prints (the token included) and
keeps draining its output; :func:`children` lists the processes it started, one per
session; :func:`first_screen` opens the session websocket and collects the app's output.
"""

from __future__ import annotations

import asyncio
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

import aiohttp
import pytest

from tests.conftest import ROOT
from tests.processes import process_stats

START_LIMIT = 30.0
"""Seconds the server may take to print its link on a loaded machine."""

SCREEN_LIMIT = 30.0
"""Seconds a session may take to send its first screen."""

LINK = re.compile(r"open (http://\S+/)\?token=(\S+)")
"""The printed line that carries the link and its token."""


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (one per running session)."""
    return [stat.pid for stat in process_stats() if stat.ppid == pid]


def is_gone(pid: int) -> bool:
    """True if process ``pid`` has ended (no longer listed, or a zombie)."""
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) == "Z"
    except OSError:
        return True


def ignore_hangup() -> None:
    """In the child before exec: ignore SIGHUP, as ``nohup`` does."""
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def heed_hangup() -> None:
    """In the child before exec: SIGHUP's default, even when the tests run under
    ``nohup`` (a child inherits an ignored signal)."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def require_proc() -> None:
    """Skip when /proc cannot tell child processes (not Linux)."""
    if not Path("/proc/self/stat").is_file():
        pytest.skip("counting session processes needs Linux's /proc")


@dataclass
class Served:
    """A running ``postil serve`` (a context manager: stopped with SIGTERM on exit)."""

    args: Sequence[str]
    """Arguments after ``postil serve``."""
    env: Mapping[str, str] | None = None
    """Extra environment variables."""
    stdout: IO[str] | None = None
    """Where its output goes (default: a pipe read here, so the link is printed)."""
    umask: int = -1
    """The server's umask (-1: this process's)."""
    ignore_hangup: bool = False
    """Start it with SIGHUP ignored, as ``nohup`` does."""
    process: subprocess.Popen[str] = field(init=False)
    lines: queue.Queue[str] = field(init=False, default_factory=queue.Queue)
    output: list[str] = field(init=False, default_factory=list)

    def __enter__(self) -> Served:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tui", "serve", *self.args],
            cwd=ROOT,
            stdout=self.stdout if self.stdout is not None else subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(self.env or {})},
            umask=self.umask,
            preexec_fn=ignore_hangup if self.ignore_hangup else heed_hangup,
        )
        if self.stdout is None:
            threading.Thread(target=self._drain, daemon=True).start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def _drain(self) -> None:
        """Read the server's output to its end, so it never blocks on a full pipe."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def wait_for_line(self, pattern: re.Pattern[str]) -> re.Match[str]:
        """The first printed line matching ``pattern`` (fails after :data:`START_LIMIT`)."""
        deadline = time.monotonic() + START_LIMIT
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=min(left, 0.5))
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if match := pattern.search(line):
                return match
        raise AssertionError(f"postil serve printed no {pattern.pattern!r}: {self.output}")

    def link(self) -> tuple[str, str]:
        """The printed base URL and token."""
        match = self.wait_for_line(LINK)
        return match.group(1), match.group(2)

    def stop(self, limit: float = 20.0) -> int:
        """SIGTERM, then wait; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.process.returncode

    def stderr(self) -> str:
        """Everything the stopped server wrote to stderr."""
        assert self.process.stderr is not None
        return self.process.stderr.read()


def ws_url(base: str, **query: str) -> str:
    """The session websocket of the server at ``base`` (an ``http://host:port/`` URL)."""
    params = {"width": "80", "height": "24", **query}
    return (
        "ws" + base.removeprefix("http") + "ws?" + "&".join(f"{k}={v}" for k, v in params.items())
    )


@asynccontextmanager
async def session_socket(
    session: aiohttp.ClientSession,
    url: str,
    *,
    origin: str | None,
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """The session websocket at ``url``, open until the block ends.

    Raises:
        aiohttp.WSServerHandshakeError: The server refused the websocket (``.status``).
    """
    async with session.ws_connect(url, origin=origin, headers=headers) as ws:
        yield ws


async def read_screen(ws: aiohttp.ClientWebSocketResponse, want: int = 2000) -> bytes:
    """The app's first ``want`` bytes of output (less if the session ends first)."""
    got = bytearray()
    deadline = time.monotonic() + SCREEN_LIMIT
    while len(got) < want and time.monotonic() < deadline:
        try:
            message = await asyncio.wait_for(ws.receive(), 1)
        except TimeoutError:
            continue
        if message.type == aiohttp.WSMsgType.BINARY:
            got.extend(message.data)
        elif message.type != aiohttp.WSMsgType.TEXT:
            break
    return bytes(got)


async def first_screen(
    session: aiohttp.ClientSession,
    url: str,
    *,
    origin: str | None,
    headers: Mapping[str, str] | None = None,
) -> bytes:
    """Open the websocket at ``url``, collect the app's first screen, and close it."""
    async with session_socket(session, url, origin=origin, headers=headers) as ws:
        return await read_screen(ws)


async def refused_status(
    session: aiohttp.ClientSession,
    url: str,
    *,
    origin: str | None,
    headers: Mapping[str, str] | None = None,
) -> int:
    """The HTTP status of a websocket handshake that must fail (0 if it succeeded)."""
    try:
        async with session.ws_connect(url, origin=origin, headers=headers):
            return 0
    except aiohttp.WSServerHandshakeError as error:
        return error.status
