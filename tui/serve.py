"""``postil serve``: the same app in a web browser, through textual-serve.

textual-serve starts one ``python -m tui open ...`` process per browser tab and relays its
screen over a websocket. Anyone who can reach the port can read and write the notes, so
the server listens on loopback unless told otherwise, and says so loudly when it is not.
"""

from __future__ import annotations

import ipaddress
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

DEFAULT_HOST: Final[str] = "127.0.0.1"
"""Loopback: reachable from this machine only (an SSH tunnel brings it elsewhere)."""

DEFAULT_PORT: Final[int] = 8000
"""textual-serve's usual port."""

LOOPBACK_NAMES: Final[frozenset[str]] = frozenset({"localhost", "localhost.localdomain"})
"""Host names that always mean this machine."""


def is_loopback(host: str) -> bool:
    """True if ``host`` only accepts connections from this machine.

    Args:
        host: An IP address or a host name, as given to ``--host``.
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
        "can read and change your notes (use --host 127.0.0.1 and an SSH tunnel instead)."
    )


def app_command(paths: Sequence[str | Path], *, store: str | Path | None = None) -> str:
    """The shell command textual-serve runs for each browser session.

    Args:
        paths: Corpus folders (made absolute; empty: the app's default corpus).
        store: The ``--store`` file, if one was given.

    Returns:
        One shell-quoted command line running this interpreter's ``python -m tui open``.
    """
    parts = [sys.executable, "-m", "tui", "open"]
    if store is not None:
        parts += ["--store", str(Path(store).expanduser().absolute())]
    if paths:
        parts += ["--", *(str(Path(p).expanduser().absolute()) for p in paths)]
    return shlex.join(parts)


def serve(
    paths: Sequence[str | Path],
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    store: str | Path | None = None,
) -> None:
    """Serve the app on ``http://host:port`` until interrupted (Ctrl+C or SIGTERM).

    Args:
        paths: Corpus folders for every session.
        host: The address to bind (loopback by default).
        port: The TCP port.
        store: The annotation store file, if not the default.

    Raises:
        OSError: The address cannot be bound (port in use, no such address).
    """
    from textual_serve.server import Server

    server = Server(app_command(paths, store=store), host=host, port=port, title="postil")
    server.serve()
