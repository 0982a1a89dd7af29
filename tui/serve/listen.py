"""Where ``postil serve`` listens: a TCP port (loopback by default) or a private Unix socket.

Loopback still lets every user of the host connect, so TCP relies on the token. A Unix
socket created 0600 in a 0700 folder lets nobody else connect at all; ``ssh -L
8000:/path/to/socket server`` forwards it to the user's own machine.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import socket
import stat
from pathlib import Path
from typing import Final, Protocol

from aiohttp import web

from tui import locations
from tui.serve.errors import ListenError, ServeError

DEFAULT_HOST: Final[str] = "127.0.0.1"
"""Loopback: reachable from this machine only (an SSH tunnel brings it elsewhere)."""

DEFAULT_PORT: Final[int] = 8000
"""textual-serve's usual port."""

LOOPBACK_NAMES: Final[frozenset[str]] = frozenset({"localhost", "localhost.localdomain"})
"""Host names that always mean this machine."""

SOCKET_NAME: Final[str] = "serve.sock"
"""The socket's name in the user's runtime folder when ``--socket`` has no PATH."""


def is_loopback(host: str) -> bool:
    """True if ``host`` only accepts connections from this machine.

    Args:
        host: An IP address or a host name, as given to ``--host`` or in a Host header.
    """
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, port: int) -> str | None:
    """The warning to print when ``host`` is not loopback, else None.

    Args:
        host: The address the server binds to.
        port: The port it listens on.
    """
    if is_loopback(host):
        return None
    return (
        f"warning: serving on {host}:{port}, not loopback: anyone who can reach this port "
        "and learns the token can read and change your notes (use --socket, or --host "
        "127.0.0.1 and an SSH tunnel, instead)."
    )


def default_socket_path() -> Path:
    """``serve.sock`` in the user's runtime folder (``$XDG_RUNTIME_DIR/postil``).

    Raises:
        ServeError: There is no safe runtime folder.
    """
    try:
        return locations.runtime_dir() / SOCKET_NAME
    except OSError as error:
        raise ServeError(f"no private runtime folder for the socket: {error}.") from None


class Listener(Protocol):
    """One place to listen, as textual-serve's aiohttp runner needs it."""

    @property
    def loopback_only(self) -> bool:
        """True if only this machine can connect (the Host check then applies)."""

    def site(self, runner: web.BaseRunner) -> web.BaseSite:
        """The aiohttp site that listens here."""

    def close(self) -> None:
        """Release what was bound (a socket file is removed)."""


class TcpListener:
    """A TCP address; aiohttp binds it when the site starts."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        """The address to bind (a name, an IPv4 or IPv6 address)."""
        self.port = port
        """The port (0: any free port, read back once listening)."""

    @property
    def loopback_only(self) -> bool:
        """True on a loopback address."""
        return is_loopback(self.host)

    def site(self, runner: web.BaseRunner) -> web.BaseSite:
        """A TCP site on host and port."""
        return web.TCPSite(runner, self.host, self.port)

    def close(self) -> None:
        """Nothing to release: aiohttp closes its own sockets."""


class UnixListener:
    """A Unix domain socket, mode 0600, in a folder only this user can open (0700).

    Binding happens at once, so a bad path is reported before anything starts.
    """

    loopback_only: Final[bool] = True
    """Reached through ssh, from the user's own loopback."""

    def __init__(self, path: Path) -> None:
        """Bind ``path``, replacing a socket left by a server that is gone.

        Raises:
            ServeError: The folder is open to other users, or PATH is not a socket.
            ListenError: Another server listens there, or the socket cannot be bound.
        """
        self.path = path.expanduser().absolute()
        """Where the socket is."""
        private_folder(self.path.parent)
        clear_stale_socket(self.path)
        self.sock = bind_private_socket(self.path)
        """The bound socket, handed to aiohttp."""
        self._inode = self.path.stat().st_ino

    def site(self, runner: web.BaseRunner) -> web.BaseSite:
        """A site on the bound socket."""
        return web.SockSite(runner, self.sock)

    def close(self) -> None:
        """Close the socket and remove its file, if it is still the one bound here."""
        self.sock.close()
        try:
            if self.path.lstat().st_ino == self._inode:
                self.path.unlink()
        except FileNotFoundError:
            pass


def private_folder(folder: Path) -> None:
    """Make ``folder`` (mode 0700) if missing; refuse one that other users can open.

    Raises:
        ServeError: The folder belongs to another user or has group or other bits.
    """
    try:
        # Each missing folder, parents included, is made 0700 (mkdir's parents=True
        # would give them the umask's mode).
        for missing in reversed([f for f in (folder, *folder.parents) if not f.exists()]):
            missing.mkdir(mode=0o700, exist_ok=True)
        info = folder.stat()
    except OSError as error:
        raise ServeError(f"cannot make the socket's folder {folder}: {error.strerror}.") from None
    mode = stat.S_IMODE(info.st_mode)
    if info.st_uid != os.getuid() or mode & 0o077:
        raise ServeError(
            f"the socket's folder {folder} is open to other users (mode {mode:04o}): "
            f"use a folder only you can open, such as {folder_hint()}, or "
            f"chmod 700 {shlex.quote(str(folder))}."
        )


def folder_hint() -> str:
    """The default socket folder, for error messages (or a description of it)."""
    try:
        return str(locations.runtime_dir())
    except OSError:
        return "your runtime folder"


def clear_stale_socket(path: Path) -> None:
    """Remove a socket at ``path`` that nothing listens on any more.

    Raises:
        ServeError: ``path`` exists and is not a socket.
        ListenError: A server is listening on it.
    """
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise ServeError(f"{path} exists and is not a socket.")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(2)
    try:
        probe.connect(os.fspath(path))
    except ConnectionRefusedError:
        path.unlink()  # Left by a server that is gone.
        return
    except OSError as error:
        raise ListenError(f"cannot use the socket {path}: {error.strerror or error}.") from None
    finally:
        probe.close()
    raise ListenError(f"another server is already listening on {path}.")


def bind_private_socket(path: Path) -> socket.socket:
    """A Unix socket bound at ``path`` with mode 0600 from the start.

    Raises:
        ListenError: The path cannot be bound (too long, no permission).
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # bind() creates the file with 0777 & ~umask; this umask makes it 0600 at once
    # (the 0700 folder already keeps others out of the moment in between).
    old = os.umask(0o177)
    try:
        sock.bind(os.fspath(path))
    except OSError as error:
        sock.close()
        raise ListenError(f"cannot listen on {path}: {error.strerror or error}.") from None
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    return sock
