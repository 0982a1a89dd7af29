"""The secret that lets one person into ``postil serve``: made per run, or read from a file.

Loopback is not private on a shared server (every user of the host can connect to
127.0.0.1), so every request must carry this token, in the URL or in the cookie the
first visit sets. It never goes on a command line (``ps`` shows those to everyone), so
there is a ``--token-file`` option and no ``--token``.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import shlex
import stat
from pathlib import Path
from typing import Final

from tui.serve.errors import ServeError

TOKEN_BYTES: Final[int] = 32
"""256 random bits per run (the issue asks for at least 128)."""

TOKEN_PARAM: Final[str] = "token"
"""The query parameter of the printed URL, as Jupyter names it."""

MIN_FILE_TOKEN: Final[int] = 32
"""The shortest token a file may hold: 32 hex digits are 128 bits."""

MAX_FILE_TOKEN: Final[int] = 512
"""The longest: a token is a line, not a document."""

TOKEN_SHAPE: Final[re.Pattern[str]] = re.compile(r"[A-Za-z0-9._~-]+")
"""Characters a URL carries unescaped, so the bookmarked link is the token as written."""


def new_token() -> str:
    """A fresh URL-safe token from :mod:`secrets`."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_matches(given: str | None, expected: str) -> bool:
    """True if ``given`` is the token, compared in constant time.

    Args:
        given: What the request carried (None: nothing).
        expected: The server's token.
    """
    if given is None:
        return False
    # compare_digest refuses non-ASCII str; a replaced character can never match
    # a token, whose characters are all ASCII.
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("ascii"))


def read_token_file(path: Path) -> str:
    """The token in ``path``, a file that only its owner may open.

    Args:
        path: The ``--token-file`` argument.

    Returns:
        The token, without surrounding whitespace.

    Raises:
        ServeError: The file is missing, open to other users, not yours, or its content
            is not a token; the message is one sentence.
    """
    try:
        # O_NONBLOCK: a FIFO must not hang the start; it is refused below.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise ServeError(f"the token file {path} does not exist.") from None
    except OSError as error:
        raise ServeError(f"cannot read the token file {path}: {error.strerror}.") from None
    try:
        _check_private(path, os.fstat(fd))
        data = os.read(fd, MAX_FILE_TOKEN + 64)
    except OSError as error:
        raise ServeError(f"cannot read the token file {path}: {error.strerror}.") from None
    finally:
        os.close(fd)
    return _parse_token(path, data)


def _check_private(path: Path, info: os.stat_result) -> None:
    """Refuse a token file that is not a regular file only its owner, this user, can open."""
    if not stat.S_ISREG(info.st_mode):
        raise ServeError(f"the token file {path} is not a regular file.")
    if info.st_uid != os.getuid():
        raise ServeError(f"the token file {path} belongs to another user.")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise ServeError(
            f"the token file {path} can be read or changed by other users "
            f"(mode {mode:04o}): make it private with chmod 600 {shlex.quote(str(path))}."
        )


def _parse_token(path: Path, data: bytes) -> str:
    """The token in a token file's bytes, or a one-sentence error."""
    text = data.decode("ascii", "replace").strip()
    if not TOKEN_SHAPE.fullmatch(text) or len(text) > MAX_FILE_TOKEN:
        raise ServeError(
            f"the token file {path} must hold one line of letters, digits and - _ . ~ "
            f"(at most {MAX_FILE_TOKEN} characters)."
        )
    if len(text) < MIN_FILE_TOKEN:
        raise ServeError(
            f"the token in {path} is too short ({len(text)} characters, at least "
            f"{MIN_FILE_TOKEN}): make one with `openssl rand -hex 32`."
        )
    return text
