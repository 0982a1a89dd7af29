"""``postil serve``: loopback by default, a warning elsewhere, and a page that loads."""

from __future__ import annotations

import asyncio
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT, SAMPLE_POSTS
from tui import serve as serve_module
from tui.cli import main
from tui.serve import app_command, exposure_warning, is_loopback


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    """Only addresses reachable from this machine alone count as loopback."""
    assert is_loopback(host) is expected


def test_exposure_warning_names_host_port_and_the_safe_choice() -> None:
    """The warning is one sentence naming the address and how to stay safe."""
    assert exposure_warning("127.0.0.1", 8000) is None
    warning = exposure_warning("0.0.0.0", 8123)
    assert warning is not None
    assert "0.0.0.0:8123" in warning and "--host 127.0.0.1" in warning
    assert warning.count(". ") == 0 and warning.endswith(".")


def test_app_command_runs_this_interpreter_on_absolute_paths(tmp_path: Path) -> None:
    """Each browser session runs ``python -m tui open`` with absolute paths and store."""
    os.chdir(tmp_path)
    command = shlex.split(app_command(["corpus dir", "ls"], store="notes.json"))
    assert command[:4] == [sys.executable, "-m", "tui", "open"]
    assert command[4:6] == ["--store", str(tmp_path / "notes.json")]
    # "--" keeps a folder named like a command ("ls") a path.
    assert command[6:] == ["--", str(tmp_path / "corpus dir"), str(tmp_path / "ls")]
    assert shlex.split(app_command([])) == [sys.executable, "-m", "tui", "open"]


def test_serve_warns_on_stderr_when_not_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Binding elsewhere prints the warning on stderr before serving."""
    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(
        serve_module, "serve", lambda paths, *, host, port, store: calls.append((host, port))
    )
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--port", "8765"])
    assert result.exit_code == 0, result.output
    assert calls == [("0.0.0.0", 8765)]
    assert "postil: warning: serving on 0.0.0.0:8765" in result.stderr
    assert result.stdout == ""


def test_serve_is_quiet_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default host is loopback, with no warning."""
    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(
        serve_module, "serve", lambda paths, *, host, port, store: calls.append((host, port))
    )
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    assert calls == [("127.0.0.1", 8000)]
    assert result.stderr == ""


def test_busy_port_is_one_sentence_and_status_1() -> None:
    """A port already taken ends in one sentence, status 1, no traceback."""
    # In a subprocess: textual-serve installs signal handlers on the event loop.
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "tui", "serve", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert result.stderr.startswith(f"postil: cannot listen on 127.0.0.1:{port}: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _fetch(url: str, deadline: float) -> tuple[int, str]:
    """GET ``url``, retrying until the server answers or ``deadline`` passes."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


async def _first_screen(url: str, want: int = 4000, timeout: float = 15.0) -> bytes:
    """Connect like the browser page does and collect the app's first output."""
    import aiohttp

    got = bytearray()
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        while len(got) < want and time.monotonic() < deadline:
            try:
                message = await asyncio.wait_for(ws.receive(), 1)
            except TimeoutError:
                continue
            if message.type == aiohttp.WSMsgType.BINARY:
                got.extend(message.data)
            elif message.type == aiohttp.WSMsgType.TEXT:
                got.extend(message.data.encode())
            else:
                break
    return bytes(got)


def test_serve_answers_with_the_app_page() -> None:
    """A real ``postil serve`` on a free loopback port serves its page, then stops."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--port", str(port), str(SAMPLE_POSTS)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        status, page = _fetch(f"http://127.0.0.1:{port}/", time.monotonic() + 20)
        assert status == 200
        assert "<html" in page.lower()
        assert "textual" in page.lower()
        assert "postil" in page
        assert f"ws://127.0.0.1:{port}/ws" in page
        screen = asyncio.run(_first_screen(f"http://127.0.0.1:{port}/ws?width=80&height=24"))
        assert b"\x1b[" in screen, "a browser session starts the app and gets its screen"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _, err = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
    assert process.returncode is not None
    assert b"warning" not in err
