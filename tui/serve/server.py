"""textual-serve, wrapped: postil's own page, and the gate in front of its routes.

textual-serve starts one ``python -m tui open ...`` process per browser websocket and
relays its screen. It has no hook for middleware, so :class:`PostilServer` takes the
aiohttp application it builds and puts the gate in front of every route before the
application starts; the page is postil's template (no fonts from the internet), and the
application runs on the listener chosen here (a TCP port or a Unix socket).
"""

from __future__ import annotations

import asyncio
import logging
import shlex
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Final, TextIO

from aiohttp import web
from aiohttp.typedefs import Handler
from textual_serve.server import Server

from tui import locations
from tui.serve.announce import (
    Announcement,
    is_private_stream,
    socket_announcement,
    tcp_announcement,
    write_link_file,
)
from tui.serve.gate import Gate, gate_middleware, is_websocket
from tui.serve.listen import DEFAULT_HOST, DEFAULT_PORT, Listener, TcpListener, UnixListener
from tui.serve.token import new_token, read_token_file

TEMPLATES: Final[Path] = Path(__file__).resolve().parent / "templates"
"""postil's ``app_index.html``, which textual-serve renders in place of its own."""

SHUTDOWN_GRACE: Final[float] = 0.5
"""Seconds requests in flight get when the server stops (aiohttp's default is 60)."""

SESSION_GRACE: Final[float] = 15.0
"""Seconds the sessions' apps get to quit (and save) when the server stops."""


def app_command(paths: Sequence[str | Path], *, store: str | Path | None = None) -> str:
    """The shell command textual-serve runs for each browser session.

    Args:
        paths: Corpus folders (made absolute; empty: the app's default corpus).
        store: The ``--store`` file, if one was given.

    Returns:
        One shell-quoted command line running this interpreter's ``python -m tui open``.
    """
    parts = locations.own_module_command("tui", "open")
    if store is not None:
        parts += ["--store", str(Path(store).expanduser().absolute())]
    if paths:
        parts += ["--", *(str(Path(p).expanduser().absolute()) for p in paths)]
    return shlex.join(parts)


class PostilServer(Server):
    """textual-serve's server with postil's page and a :class:`Gate` before every route."""

    def __init__(self, command: str, gate: Gate) -> None:
        """Serve ``command`` to browsers that pass ``gate``."""
        super().__init__(command, title="postil", templates_path=TEMPLATES)
        self.gate = gate
        """The token, Host and Origin checks."""
        self.sessions: set[asyncio.Task[object]] = set()
        """The tasks serving open session websockets."""

    async def make_app(self) -> web.Application:
        """textual-serve's aiohttp application, with the gate in front of its routes."""
        # _make_app is where textual-serve (1.1) builds its routes; middleware can still be
        # added until the runner freezes the application.
        app = await self._make_app()
        app.middlewares.extend([gate_middleware(self.gate), self.track_sessions])
        app.on_shutdown.append(self.end_sessions)
        return app

    @web.middleware
    async def track_sessions(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Remember the task of each session websocket while it runs."""
        task = asyncio.current_task()
        if task is None or not is_websocket(request):
            return await handler(request)
        self.sessions.add(task)
        try:
            return await handler(request)
        finally:
            self.sessions.discard(task)

    async def end_sessions(self, app: web.Application) -> None:
        """Stop the open sessions and wait for their apps to quit.

        Cancelling a session's task makes textual-serve tell its app to quit and wait for
        it. aiohttp alone would cancel it only after its shutdown timeout and then wait no
        longer than that timeout again, so an app slow to quit could outlive the server.
        """
        tasks = [task for task in self.sessions if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=SESSION_GRACE)

    async def on_startup(self, app: web.Application) -> None:
        """Print nothing: textual-serve's banner shows the URL without its token."""


async def run(
    server: PostilServer, listener: Listener, ready: Callable[[Sequence[object]], None]
) -> None:
    """Serve on ``listener`` until SIGINT, SIGTERM or SIGHUP.

    Args:
        server: The wrapped textual-serve server.
        listener: Where to listen.
        ready: Called with aiohttp's ``runner.addresses`` once the server listens.
    """
    app = await server.make_app()
    # No access log: its request lines would carry ?token=... to the terminal or a log.
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_GRACE
    )
    await runner.setup()
    # The handlers go in before the link is printed: whoever reads it may stop us at once.
    with stop_signals() as stopped:
        try:
            await listener.site(runner).start()
            ready(runner.addresses)
            await stopped.wait()
        finally:
            await runner.cleanup()


@contextmanager
def stop_signals() -> Iterator[asyncio.Event]:
    """An event set by SIGINT, SIGTERM, or SIGHUP unless it is ignored (``nohup``)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = [signal.SIGINT, signal.SIGTERM]
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
        signals.append(signal.SIGHUP)
    for number in signals:
        loop.add_signal_handler(number, stop.set)
    try:
        yield stop
    finally:
        for number in signals:
            loop.remove_signal_handler(number)


def serve(
    paths: Sequence[str | Path],
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    store: str | Path | None = None,
    socket_path: Path | None = None,
    token_file: Path | None = None,
    out: TextIO | None = None,
) -> None:
    """Serve the app to one person's browser until interrupted (Ctrl+C or SIGTERM).

    Args:
        paths: Corpus folders for every session.
        host: The address to bind (loopback by default); unused with ``socket_path``.
        port: The TCP port (0: any free one); unused with ``socket_path``.
        store: The annotation store file, if not the default.
        socket_path: Listen on this Unix socket instead of TCP.
        token_file: Read the token from this file instead of making a new one.
        out: Where the link goes (default: standard output).

    Raises:
        ServeError: A bad token file or socket path (one sentence).
        OSError: The address cannot be bound (port in use, no such address).
    """
    stream = out if out is not None else sys.stdout
    token = read_token_file(token_file) if token_file is not None else new_token()
    listener: Listener
    listener = UnixListener(socket_path) if socket_path is not None else TcpListener(host, port)
    logging.basicConfig(level=logging.WARNING, format="postil serve: %(message)s")
    link_files: list[Path] = []

    def ready(addresses: Sequence[object]) -> None:
        announcement = (
            socket_announcement(listener.path, token_file)
            if isinstance(listener, UnixListener)
            else tcp_announcement(host, addresses, token_file)
        )
        announce(announcement, token, stream, link_files)

    try:
        server = PostilServer(app_command(paths, store=store), Gate(token, listener.loopback_only))
        asyncio.run(run(server, listener, ready))
    finally:
        listener.close()
        for path in link_files:
            path.unlink(missing_ok=True)


def announce(
    announcement: Announcement, token: str, stream: TextIO, link_files: list[Path]
) -> None:
    """Print where the server is; the token only if ``stream`` is private.

    Output others can read gets the path of a 0600 file holding the link (added to
    ``link_files`` so it is removed at exit), unless the token came from a file.
    """
    private = is_private_stream(stream)
    link_file = None
    if not private and announcement.token_file is None:
        link_file = write_link_file(locations.runtime_dir(), announcement.link(token))
        link_files.append(link_file)
    for line in announcement.lines(token, private=private, link_file=link_file):
        print(line, file=stream, flush=True)
