"""``postil serve``: the app in a web browser, for the one person who started it.

textual-serve runs one ``python -m tui open ...`` per browser tab and relays its screen
over a websocket; that session runs as this user, with this user's store. On a shared
server every user of the host can reach a loopback port, so every request needs the
run's secret token (:mod:`tui.serve.token`), passes the Host and Origin checks
(:mod:`tui.serve.gate`), and can come through a private Unix socket instead of TCP
(:mod:`tui.serve.listen`). :mod:`tui.serve.server` wraps textual-serve and runs it.
"""

from __future__ import annotations

from tui.serve.errors import ListenError, ServeError
from tui.serve.listen import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    default_socket_path,
    exposure_warning,
    is_loopback,
)
from tui.serve.server import app_command, serve

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "ListenError",
    "ServeError",
    "app_command",
    "default_socket_path",
    "exposure_warning",
    "is_loopback",
    "serve",
]
