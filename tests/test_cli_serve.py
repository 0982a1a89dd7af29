"""``postil serve``: one person's server. The token, its cookie, the Host and Origin checks,
the private outputs and the Unix socket, against the real command in a child process."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from click.testing import CliRunner

from tests.conftest import ROOT, SAMPLE_POSTS
from tests.e2e.served import (
    Served,
    children,
    first_screen,
    is_gone,
    read_screen,
    refused_status,
    require_proc,
    session_socket,
    ws_url,
)
from tui import serve as serve_module
from tui.cli import main
from tui.locations import own_module_command
from tui.serve import app_command, exposure_warning, is_loopback

SERVE = ["--port", "0", str(SAMPLE_POSTS)]
"""A real server on any free loopback port, on the bundled posts."""

NEEDS_TOKEN = "needs the link with ?token="


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
    """Each browser session runs ``python -m tui open`` (this package's, see
    `own_module_command`) with absolute paths and store."""
    os.chdir(tmp_path)
    command = shlex.split(app_command(["corpus dir", "ls"], store="notes.json"))
    opening = own_module_command("tui", "open")
    assert command[: len(opening)] == opening
    rest = command[len(opening) :]
    assert rest[:2] == ["--store", str(tmp_path / "notes.json")]
    # "--" keeps a folder named like a command ("ls") a path.
    assert rest[2:] == ["--", str(tmp_path / "corpus dir"), str(tmp_path / "ls")]
    assert shlex.split(app_command([])) == opening


def _fake_serve(calls: list[dict[str, object]]) -> object:
    return lambda paths, **options: calls.append(options)


def test_serve_warns_on_stderr_when_not_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Binding elsewhere prints the warning on stderr before serving."""
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(serve_module, "serve", _fake_serve(calls))
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--port", "8765"])
    assert result.exit_code == 0, result.output
    assert [(c["host"], c["port"], c["socket_path"]) for c in calls] == [("0.0.0.0", 8765, None)]
    assert "postil: warning: serving on 0.0.0.0:8765" in result.stderr
    assert result.stdout == ""


def test_serve_is_quiet_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default host is loopback, with no warning."""
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(serve_module, "serve", _fake_serve(calls))
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    assert [(c["host"], c["port"]) for c in calls] == [("127.0.0.1", 8000)]
    assert result.stderr == ""


def test_socket_without_path_is_in_the_runtime_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--socket`` alone means serve.sock in $XDG_RUNTIME_DIR/postil; a PATH is kept."""
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(serve_module, "serve", _fake_serve(calls))
    runtime = Path(os.environ["XDG_RUNTIME_DIR"])
    assert CliRunner().invoke(main, ["serve", "--socket"]).exit_code == 0
    assert CliRunner().invoke(main, ["serve", "--socket=/x/s.sock", "posts"]).exit_code == 0
    assert [c["socket_path"] for c in calls] == [
        runtime / "postil" / "serve.sock",
        Path("/x/s.sock"),
    ]


def test_socket_with_host_or_port_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Unix socket has no host or port: asking for both is one sentence, status 2."""
    monkeypatch.setattr(serve_module, "serve", _fake_serve([]))
    result = CliRunner().invoke(main, ["serve", "--socket", "--port", "9000"])
    assert result.exit_code == 2
    assert (
        result.stderr == "postil: --socket listens on a Unix socket: leave out --host and --port.\n"
    )


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620])
def test_token_file_others_can_open_is_refused(tmp_path: Path, mode: int) -> None:
    """A token file with any group or other bits is refused in one sentence, status 2."""
    token_file = tmp_path / "token"
    token_file.write_text("a" * 40 + "\n")
    token_file.chmod(mode)
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--token-file", str(token_file)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"postil: the token file {token_file} can be read or changed by other users "
        f"(mode {mode:04o}): make it private with chmod 600 {token_file}.\n"
    )
    assert result.stdout == ""


def test_busy_port_is_one_sentence_and_status_1() -> None:
    """A port already taken ends in one sentence, status 1, no traceback."""
    # In a subprocess: the server installs signal handlers on its event loop.
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
    assert result.stdout == ""


async def _get(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    async with session.get(url, headers=headers, allow_redirects=False) as response:
        return response.status, await response.text()


def test_without_the_token_nothing_is_served_and_no_session_starts() -> None:
    """No token, a wrong one, a token in a cookie named for another port, another Host,
    a cross-origin or origin-less websocket: 403, and no session process is started.
    The right token and the page's own origin start a session."""
    require_proc()
    with Served(SERVE) as served:
        base, token = served.link()
        port = int(base.rsplit(":", 1)[1].strip("/"))
        origin = base.rstrip("/")

        async def attempts() -> tuple[list[tuple[str, int, str]], list[tuple[str, int]], bytes]:
            async with aiohttp.ClientSession() as session:
                pages = [
                    ("page, no token", *await _get(session, base)),
                    ("page, wrong token", *await _get(session, f"{base}?token={token[:-1]}x")),
                    ("script, no token", *await _get(session, f"{base}static/js/textual.js")),
                    (
                        "page, token for a Host that is not loopback",
                        *await _get(
                            session,
                            f"{base}?token={token}",
                            headers={"Host": f"rebound.example:{port}"},
                        ),
                    ),
                ]
                other_port = {"Cookie": f"postil-token-{port + 1}={token}"}
                sockets = [
                    ("no token", await refused_status(session, ws_url(base), origin=origin)),
                    (
                        "wrong token",
                        await refused_status(
                            session, ws_url(base, token=token.upper()), origin=origin
                        ),
                    ),
                    (
                        "cookie named for another port",
                        await refused_status(
                            session, ws_url(base), origin=origin, headers=other_port
                        ),
                    ),
                    (
                        "another site's page",
                        await refused_status(
                            session, ws_url(base, token=token), origin="http://evil.example"
                        ),
                    ),
                    (
                        "a page on another port of this host",
                        await refused_status(
                            session,
                            ws_url(base, token=token),
                            origin=f"http://127.0.0.1:{port + 1}",
                        ),
                    ),
                    (
                        "no Origin",
                        await refused_status(session, ws_url(base, token=token), origin=None),
                    ),
                ]
                assert children(served.process.pid) == [], "a refused request started a session"
                screen = await first_screen(session, ws_url(base, token=token), origin=origin)
                return pages, sockets, screen

        pages, sockets, screen = asyncio.run(attempts())
        assert [(name, status) for name, status, _ in pages] == [
            (name, 403) for name, _, _ in pages
        ]
        assert all(NEEDS_TOKEN in text for _, _, text in pages[:3])
        assert "127.0.0.1, ::1 or localhost" in pages[3][2]
        assert sockets == [(name, 403) for name, _ in sockets]
        assert b"\x1b[" in screen, "the right token starts the app and relays its screen"
        assert len(children(served.process.pid)) == 1


def test_a_token_for_another_server_is_refused() -> None:
    """Two servers on two ports: each token opens its own server only."""
    require_proc()
    with Served(SERVE) as first, Served(SERVE) as second:
        base_a, token_a = first.link()
        base_b, token_b = second.link()
        assert token_a != token_b and len(token_a) >= 43

        async def attempts() -> list[int]:
            async with aiohttp.ClientSession() as session:
                port_a = base_a.rsplit(":", 1)[1].strip("/")
                return [
                    (await _get(session, f"{base_b}?token={token_a}"))[0],
                    await refused_status(
                        session, ws_url(base_b, token=token_a), origin=base_b.rstrip("/")
                    ),
                    await refused_status(
                        session,
                        ws_url(base_b),
                        origin=base_b.rstrip("/"),
                        headers={"Cookie": f"postil-token-{port_a}={token_a}"},
                    ),
                    (await _get(session, f"{base_a}?token={token_a}"))[0],
                ]

        assert asyncio.run(attempts()) == [403, 403, 403, 200]
        assert children(second.process.pid) == []


def test_first_visit_keeps_the_token_in_a_cookie_for_this_port() -> None:
    """The link sets an HttpOnly, SameSite=Strict cookie named for the port, with no
    Domain; afterwards the plain address and the session websocket need no token."""
    with Served(SERVE) as served:
        base, token = served.link()
        port = base.rsplit(":", 1)[1].strip("/")

        async def visit() -> tuple[str, tuple[int, str], bytes]:
            # unsafe: aiohttp otherwise keeps no cookie for an IP address.
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar) as session:
                async with session.get(f"{base}?token={token}") as response:
                    assert response.status == 200
                    cookie = response.headers["Set-Cookie"]
                    page = await response.text()
                again = await _get(session, base)
                screen = await first_screen(session, ws_url(base), origin=base.rstrip("/"))
                return cookie, (again[0], page), screen

        cookie, (status, page), screen = asyncio.run(visit())
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert cookie.startswith(f"postil-token-{port}={token};")
        assert {"httponly", "path", "samesite"} <= attributes and "domain" not in attributes
        assert "SameSite=Strict" in cookie
        assert status == 200
        assert b"\x1b[" in screen
        # The page loads nothing from the internet and opens the websocket it came from.
        resources = re.findall(r'(?:src|href)="([^"]*)"|url\("([^"]*)"\)', page)
        assert len(resources) == 4 and "googleapis" not in page
        assert all((a or b).startswith("/static/") for a, b in resources), resources
        assert 'scheme + window.location.host + "/ws"' in page


def test_output_others_can_read_never_holds_the_token(tmp_path: Path) -> None:
    """Output to a 0644 file gets the address and the path of a 0600 file with the link;
    the token appears nowhere else, and that file goes when the server stops."""
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        log.chmod(0o644)
        with Served(SERVE, stdout=out) as served:
            deadline = time.monotonic() + 30
            while "readable only by you" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
            text = log.read_text()
            link_file = Path(text.split("link with the token is in ")[1].split(" (")[0])
            link = link_file.read_text().strip()
            assert stat.S_IMODE(link_file.stat().st_mode) == 0o600
            assert stat.S_IMODE(link_file.parent.stat().st_mode) == 0o700
            token = link.split("?token=")[1]

            async def fetch() -> int:
                async with aiohttp.ClientSession() as session:
                    return (await _get(session, link))[0]

            assert asyncio.run(fetch()) == 200
            assert served.stop() == 0
            errors = served.stderr()
    assert token not in log.read_text() and token not in errors
    assert "postil: serving on http://127.0.0.1:" in text
    assert not link_file.exists()


def test_token_file_gives_a_fixed_token(tmp_path: Path) -> None:
    """A private token file's token opens the server; output others can read shows only
    where the token is."""
    token_file = tmp_path / "token"
    token_file.write_text("0123456789abcdef" * 4 + "\n")
    token_file.chmod(0o600)
    token = token_file.read_text().strip()
    with Served([*SERVE, "--token-file", str(token_file)]) as served:
        base, printed = served.link()
        assert printed == token

        async def fetch() -> list[int]:
            async with aiohttp.ClientSession() as session:
                return [
                    (await _get(session, f"{base}?token={token}"))[0],
                    (await _get(session, f"{base}?token={token[:-1]}"))[0],
                ]

        assert asyncio.run(fetch()) == [200, 403]
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        log.chmod(0o644)
        with Served([*SERVE, "--token-file", str(token_file)], stdout=out):
            deadline = time.monotonic() + 30
            while "?token=<" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
    assert f"?token=<the token in {token_file}>" in log.read_text()
    assert token not in log.read_text()


def test_unix_socket_is_0600_in_a_0700_folder_and_serves_with_the_token(
    tmp_path: Path,
) -> None:
    """``--socket PATH`` makes its folder 0700 and the socket 0600 whatever the umask,
    answers through the socket (token still needed), and removes it when stopped."""
    path = tmp_path / "sockets" / "postil.sock"
    with Served(["--socket", str(path), str(SAMPLE_POSTS)], umask=0) as served:
        served.wait_for_line(re.compile("serving on the Unix socket " + re.escape(str(path))))
        base, token = served.link()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_ISSOCK(path.stat().st_mode)
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert f"ssh -N -L 8000:{path} " in "".join(served.output)

        async def through_socket() -> list[int]:
            connector = aiohttp.UnixConnector(path=str(path))
            async with aiohttp.ClientSession(connector=connector) as session:
                return [
                    (await _get(session, "http://127.0.0.1:8000/"))[0],
                    (await _get(session, f"http://127.0.0.1:8000/?token={token}"))[0],
                    (await _get(session, f"http://localhost:9123/?token={token}"))[0],
                    (await _get(session, f"http://example.org:8000/?token={token}"))[0],
                ]

        assert asyncio.run(through_socket()) == [403, 200, 200, 403]
        assert served.stop() == 0
    assert not path.exists()


def test_socket_folder_open_to_others_is_refused(tmp_path: Path) -> None:
    """A socket in a folder others can enter (like /tmp) is refused in one sentence."""
    folder = tmp_path / "open"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    result = subprocess.run(
        [sys.executable, "-m", "tui", "serve", "--socket", str(folder / "s.sock")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"postil: the socket's folder {folder} is open to other users (mode 0755): "
    )
    assert result.stderr.count("\n") == 1 and not (folder / "s.sock").exists()


def test_stopping_ends_open_sessions() -> None:
    """SIGTERM with a session open: its app is told to quit and has ended by the time
    the server exits (status 0)."""
    require_proc()
    with Served(SERVE) as served:
        base, token = served.link()

        async def stop_during_session() -> tuple[bytes, list[int], int]:
            async with (
                aiohttp.ClientSession() as session,
                session_socket(session, ws_url(base, token=token), origin=base.rstrip("/")) as ws,
            ):
                screen = await read_screen(ws)
                sessions = children(served.process.pid)
                stopping = asyncio.create_task(asyncio.to_thread(served.stop))
                # Keep reading, as a browser does, so the session's close is answered.
                while not ws.closed:
                    await ws.receive()
                return screen, sessions, await stopping

        screen, sessions, status = asyncio.run(stop_during_session())
    assert b"\x1b[" in screen
    assert status == 0
    assert len(sessions) == 1
    assert is_gone(sessions[0]), "the session's app outlived the server"


@pytest.mark.parametrize("nohup", [False, True])
def test_hangup_stops_the_server_unless_it_is_ignored(nohup: bool) -> None:
    """A closed terminal (SIGHUP) stops it cleanly, right after the link is printed;
    under ``nohup`` the server goes on."""
    with Served(SERVE, ignore_hangup=nohup) as served:
        base, token = served.link()
        served.process.send_signal(signal.SIGHUP)
        try:
            status: int | None = served.process.wait(timeout=2 if nohup else 30)
        except subprocess.TimeoutExpired:
            status = None

        async def fetch() -> int:
            async with aiohttp.ClientSession() as session:
                return (await _get(session, f"{base}?token={token}"))[0]

        if nohup:
            assert status is None
            assert asyncio.run(fetch()) == 200
        else:
            assert status == 0
