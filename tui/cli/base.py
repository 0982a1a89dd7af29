"""The ``postil`` click group, its shared option and error, and the command that opens the app.

``postil [PATH ...]`` opens the app; the subcommands (:mod:`tui.cli.corpus`,
:mod:`tui.cli.notes`, :mod:`tui.cli.serve`) are plain CLI tools. Errors are one sentence
on stderr with exit status 2 (bad usage, no such post) or 1 (a problem found), never a
traceback for a user mistake.
"""

from __future__ import annotations

import errno
import io
import os
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from tui.config import Config


class PostilGroup(click.Group):
    """A group whose first argument may be a path instead of a subcommand.

    ``postil sample_posts`` must open the app on that folder, while ``postil ls`` runs
    the subcommand: anything that is not a known command name goes to the app.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Route leading non-command arguments to the app as paths."""
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            if not args[0].startswith("-") or args[0].split("=", 1)[0] == "--store":
                args = ["open", *args]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a full disk (or a device error) while writing its output or a
        file, or an output closed before postil started, is one sentence, not a traceback."""
        if sys.stdout is None:  # `postil ls >&-`: the interpreter found no descriptor 1
            sys.stdout = ClosedOutput()
        try:
            return super().invoke(ctx)
        except OSError as error:
            if error.errno not in WRITE_ERRNOS:
                raise
            # What is still buffered for stdout cannot be written either: drop it, so the
            # interpreter's last flush does not fail again.
            sys.stdout = open(os.devnull, "w", encoding="utf-8")
            fail(f"the output could not be written: {error.strerror or error}.", 1)


WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EBADF})
"""Errors of a write that the disk or device causes (full, over quota, file too large,
failing), or a closed output."""


class ClosedOutput(io.TextIOBase):
    """Standard output when it was closed before postil started: every write fails as a
    write to a closed descriptor does (click and print would otherwise write nowhere, or
    fail on None)."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")


def say_waiting() -> None:
    """Say on stderr that another postil process is reading the post files (a command
    that must wait for it would otherwise look stuck)."""
    from tui.corpus.index import SYNC_WAIT_NOTICE

    click.echo(SYNC_WAIT_NOTICE, err=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one sentence to stderr and exit with ``code``."""
    click.echo(f"postil: {message}", err=True)
    sys.exit(code)


STORE_OPTION = click.option(
    "--store",
    "store",
    type=click.Path(dir_okay=False),
    default=None,
    help=(
        "The annotation store file (default: $POSTIL_STORE, else the config file's, else"
        " the user data folder)."
    ),
)


@cache
def config() -> Config:
    """The config file's settings, read once per command (a file that cannot be used
    gives the defaults and its one-sentence notice on stderr)."""
    from tui.config import load_config

    loaded, notice = load_config()
    if notice:
        click.echo(f"postil: {notice}", err=True)
    return loaded


def corpus_paths(paths: tuple[str, ...] = ()) -> list[str]:
    """The corpus folders a command works on: PATHs, else as the app chooses them."""
    if paths:  # they win (`tui.config.resolve_corpus`): no config file to read
        return list(paths)
    from tui.config import resolve_corpus

    return [str(path) for path in resolve_corpus((), config())]


def store_file(store: str | None = None) -> Path:
    """The annotation store a command works on: ``--store``, else as the app chooses it."""
    from tui.config import resolve_store

    return resolve_store(store, config())


@click.group(
    cls=PostilGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="postil")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Read and annotate archives of post files in the terminal.

    Run without a command to open the app on PATHs (default: $POSTIL_CORPUS, else the
    config file's corpus, else the bundled sample_posts/).
    """
    config.cache_clear()  # read afresh by each command run in this process (tests)
    if ctx.invoked_subcommand is None:
        ctx.invoke(open_app)


@main.command("open")
@click.argument("paths", nargs=-1, type=click.Path())
@STORE_OPTION
def open_app(paths: tuple[str, ...] = (), store: str | None = None, **_: Any) -> None:
    """Open the app on PATHs."""
    from tui.app import run_app

    run_app(list(paths), store=store)
