"""``postil serve``: the app in a web browser, to its user alone."""

from __future__ import annotations

from pathlib import Path

import click

from tui.cli.base import STORE_OPTION, fail, main


@main.command("serve")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="TCP port (0: any free port).",
)
@click.option(
    "--socket",
    "socket_path",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[PATH]",
    help="Listen on a Unix socket (mode 0600) instead of TCP; without PATH, serve.sock in "
    "your runtime folder. Forward it with ssh -L 8000:PATH server.",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Read the token from FILE (mode 0600) instead of making a new one each run.",
)
@STORE_OPTION
@click.pass_context
def serve_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    host: str,
    port: int,
    socket_path: str | None,
    token_file: Path | None,
    store: str | None,
) -> None:
    """Serve the app in a web browser, to you alone: the printed link carries a token."""
    from tui.serve import ServeError, default_socket_path, exposure_warning, serve

    if socket_path is not None and any(
        ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
        for name in ("host", "port")
    ):
        fail("--socket listens on a Unix socket: leave out --host and --port.")
    socket_file = None
    try:
        if socket_path is not None:
            socket_file = Path(socket_path) if socket_path else default_socket_path()
        elif warning := exposure_warning(host, port):
            click.secho(f"postil: {warning}", err=True, fg="yellow", bold=True)
        serve(
            paths,
            host=host,
            port=port,
            store=store,
            socket_path=socket_file,
            token_file=token_file,
        )
    except ServeError as error:
        fail(str(error), error.exit_code)
    except OSError as error:
        where = socket_file if socket_file is not None else f"{host}:{port}"
        fail(f"cannot listen on {where}: {error.strerror or error}.", 1)
