"""Why ``postil serve`` cannot start: one sentence for the user, and an exit status."""

from __future__ import annotations

from typing import ClassVar


class ServeError(Exception):
    """A bad argument (a token file others can read, a socket folder open to them).

    The message is one sentence for stderr; the CLI exits with :attr:`exit_code`.
    """

    exit_code: ClassVar[int] = 2
    """The CLI contract's status for bad usage."""


class ListenError(ServeError):
    """The server cannot listen where asked (a socket in use, an address not available)."""

    exit_code: ClassVar[int] = 1
    """The same status as a TCP port already taken."""
