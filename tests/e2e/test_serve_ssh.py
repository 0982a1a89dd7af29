"""``postil serve --socket`` through a real ``ssh -L PORT:/path/to/socket`` tunnel.

A throwaway OpenSSH server on a free loopback port (own config and keys in a temporary
folder, as ../shared/tools/ssh-tui-check does, but with stream forwarding allowed)
forwards a local TCP port to the server's Unix socket; the page, its token and the
session websocket then work through the tunnel on whatever port it was given.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import SAMPLE_POSTS
from tests.e2e.served import Served, first_screen, ws_url

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SBIN = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/local/sbin"])

SSHD_CONFIG = """\
ListenAddress 127.0.0.1:{port}
HostKey {work}/host_key
PidFile {work}/sshd.pid
AuthorizedKeysFile {work}/authorized_keys
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
AllowUsers {user}
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
X11Forwarding no
LogLevel VERBOSE
"""
"""A server for this user only, keys only, that lets ``-L`` reach a Unix socket."""

LIMIT = 30.0
"""Seconds sshd and the tunnel may take to come up on a loaded machine."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: Callable[[], bool], what: str) -> None:
    """Poll ``check()`` until it is true (fails after :data:`LIMIT`)."""
    deadline = time.monotonic() + LIMIT
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {LIMIT:.0f} s")
        time.sleep(0.1)


@pytest.fixture
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """A running sshd on loopback: its port and the client key that logs in."""
    tools = {name: shutil.which(name, path=SBIN) for name in ("sshd", "ssh", "ssh-keygen")}
    if missing := [name for name, path in tools.items() if path is None]:
        pytest.skip(
            f"missing {', '.join(missing)} (apt-get install -y openssh-server openssh-client)"
        )
    work = tmp_path_factory.mktemp("sshd")
    work.chmod(0o700)
    for key in ("host_key", "client_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / key)], check=True
        )
    shutil.copy(work / "client_key.pub", work / "authorized_keys")
    # Run as root, sshd needs its privilege separation folder (Debian's ssh service makes
    # it); ssh-tui-check makes it too when it is all that is missing.
    if os.getuid() == 0 and not Path("/run/sshd").is_dir():
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    port = free_port()
    (work / "sshd_config").write_text(
        SSHD_CONFIG.format(port=port, work=work, user=getpass.getuser())
    )
    log = work / "sshd.log"
    server = subprocess.Popen(
        [str(tools["sshd"]), "-D", "-f", str(work / "sshd_config"), "-E", str(log)],
        stdin=subprocess.DEVNULL,
    )
    try:
        wait_until(
            lambda: (
                "Server listening on" in (log.read_text() if log.exists() else "")
                or server.poll() is not None
            ),
            "sshd listening",
        )
        if server.poll() is not None:
            pytest.fail(f"sshd did not start: {log.read_text()}")
        yield port, work / "client_key"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def socket_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A socket path short enough for AF_UNIX, in a folder postil makes 0700."""
    return tmp_path_factory.mktemp("sock") / "run" / "serve.sock"


def test_socket_forwarded_by_ssh_serves_the_page_and_the_session(
    sshd: tuple[int, Path], socket_path: Path
) -> None:
    """``ssh -N -L PORT:SOCKET`` brings the socket to a local port: the bare page is
    refused, the printed link's token opens it, and the websocket starts a session."""
    ssh_port, key = sshd
    with Served(["--socket", str(socket_path), str(SAMPLE_POSTS)]) as served:
        _, token = served.link()
        local = free_port()
        tunnel = subprocess.Popen(
            [
                "ssh", "-F", "none", "-N", "-p", str(ssh_port), "-i", str(key),
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "GlobalKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "ExitOnForwardFailure=yes",
                "-L", f"{local}:{socket_path}", "127.0.0.1",
            ],
            stdin=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{local}/"

            async def through_tunnel() -> tuple[int, int, bytes]:
                async with aiohttp.ClientSession() as session:
                    while True:  # until ssh has opened the local port
                        try:
                            async with session.get(base) as bare:
                                bare_status = bare.status
                            break
                        except aiohttp.ClientConnectionError:
                            assert tunnel.poll() is None, tunnel.communicate()[1]
                            await asyncio.sleep(0.1)
                    async with session.get(f"{base}?token={token}") as page:
                        page_status = page.status
                    screen = await first_screen(
                        session, ws_url(base, token=token), origin=base.rstrip("/")
                    )
                    return bare_status, page_status, screen

            bare, page, screen = asyncio.run(asyncio.wait_for(through_tunnel(), 2 * LIMIT))
        finally:
            tunnel.terminate()
            tunnel.wait(timeout=10)
    assert (bare, page) == (403, 200)
    assert b"\x1b[" in screen, "the session's screen came back through the tunnel"
