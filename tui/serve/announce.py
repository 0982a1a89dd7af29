"""What ``postil serve`` prints once it listens: where it is, and the link with the token.

The link goes to standard output only when nobody else can read it there (a terminal, a
pipe, a 0600 file). Output others can read (a 0644 log file, the journal's socket) gets
the link without its token and the path of a 0600 file that holds it whole.
"""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tui.serve.listen import DEFAULT_PORT, private_folder
from tui.serve.token import TOKEN_PARAM


def is_private_stream(stream: TextIO) -> bool:
    """True if only this user can read what is written to ``stream``.

    A terminal (``/dev/pts/N`` is 0620: its group may write, not read), a pipe (0600)
    and a 0600 file qualify; a file others can read, a socket or ``/dev/null`` do not.

    Args:
        stream: Usually ``sys.stdout``.
    """
    try:
        info = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False
    return info.st_uid == os.getuid() and not stat.S_IMODE(info.st_mode) & 0o044


def browse_host(host: str) -> str:
    """The host a browser should open for a server bound to ``host``."""
    if host in ("", "0.0.0.0", "::"):
        return socket.gethostname()
    return f"[{host}]" if ":" in host else host


@dataclass(frozen=True, slots=True)
class Announcement:
    """Where the server listens, in the words a person needs to reach it."""

    base_url: str
    """The address to open, e.g. ``http://127.0.0.1:8000/``."""

    socket_path: Path | None = None
    """The Unix socket, when the server listens on one (the URL is then an ssh tunnel's)."""

    token_file: Path | None = None
    """The ``--token-file``, if the token came from one."""

    def link(self, token: str) -> str:
        """The URL that carries the token."""
        return f"{self.base_url}?{TOKEN_PARAM}={token}"

    def lines(self, token: str, *, private: bool, link_file: Path | None = None) -> list[str]:
        """The lines to print.

        Args:
            token: The token of this run.
            private: True if the output can be read by this user only.
            link_file: A 0600 file holding the link, for output others can read.
        """
        lines = [self.where()]
        if self.socket_path is not None:
            forward = f"{DEFAULT_PORT}:{self.socket_path}"
            lines.append(f"  from your machine: ssh -N -L {forward} {socket.gethostname()}")
        if private:
            lines.append(f"  open {self.link(token)}")
        elif self.token_file is not None:
            lines.append(f"  open {self.base_url}?{TOKEN_PARAM}=<the token in {self.token_file}>")
        else:
            lines.append(
                f"  this output can be read by other users, so the link with the token is "
                f"in {link_file} (readable only by you)"
            )
        return lines

    def where(self) -> str:
        """The first line: what the server listens on, and how to stop it."""
        if self.socket_path is not None:
            return f"postil: serving on the Unix socket {self.socket_path} (Ctrl+C stops)"
        return f"postil: serving on {self.base_url} (Ctrl+C stops)"


def tcp_announcement(
    host: str, addresses: Sequence[object], token_file: Path | None
) -> Announcement:
    """The announcement for a TCP server, with the port it really got (``--port 0``).

    Args:
        host: The ``--host`` it was bound to.
        addresses: aiohttp's ``runner.addresses`` (``(host, port, ...)`` tuples).
        token_file: The ``--token-file``, if any.
    """
    port = next(
        (int(a[1]) for a in addresses if isinstance(a, tuple) and len(a) >= 2), DEFAULT_PORT
    )
    return Announcement(f"http://{browse_host(host)}:{port}/", token_file=token_file)


def socket_announcement(path: Path, token_file: Path | None) -> Announcement:
    """The announcement for a Unix socket, with the URL of the suggested ssh tunnel."""
    return Announcement(
        f"http://127.0.0.1:{DEFAULT_PORT}/", socket_path=path, token_file=token_file
    )


def write_link_file(folder: Path, link: str) -> Path:
    """Write ``link`` to a new 0600 file in ``folder`` (0700); return its path.

    Raises:
        ServeError: ``folder`` is open to other users.
        OSError: The file cannot be written.
    """
    private_folder(folder)
    path = folder / f"serve-{os.getpid()}.url"
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(link + "\n")
    return path
