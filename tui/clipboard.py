"""Copy text to the user's clipboard with OSC 52, through tmux when needed.

OSC 52 is the one clipboard path that works over SSH: the terminal on the user's own
machine receives the escape sequence and fills its clipboard. tmux swallows unknown
sequences unless they are wrapped in its DCS passthrough form, and many terminals drop
(or truncate) very long sequences, so we cap the payload and say what happened.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from textual.app import App

MAX_BASE64 = 74_994
"""Largest base64 payload we send (about 74 KB): xterm's and tmux's usual limits."""


@dataclass(frozen=True, slots=True)
class CopyResult:
    """What a copy did, for the notice shown to the user."""

    copied: bool
    """True when the text was sent to the terminal."""
    chars: int
    """Number of characters of the text."""
    via_tmux: bool = False
    """True when the tmux passthrough form was sent as well."""

    @property
    def message(self) -> str:
        """One sentence for a notification."""
        if not self.copied:
            return (
                f"The text ({self.chars:,} characters) is too large to copy through the terminal."
            )
        noun = "character" if self.chars == 1 else "characters"
        return f"Copied {self.chars:,} {noun} to the clipboard."


def encode_payload(text: str) -> str:
    """The base64 payload of ``text`` as UTF-8."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def osc52(payload: str) -> str:
    """The plain OSC 52 sequence setting the clipboard to the base64 ``payload``."""
    return f"\x1b]52;c;{payload}\a"


def tmux_passthrough(sequence: str) -> str:
    """Wrap ``sequence`` in tmux's DCS passthrough (every ESC doubled)."""
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def in_tmux(env: Mapping[str, str] | None = None) -> bool:
    """True when running inside tmux (``TMUX`` is set)."""
    return bool((os.environ if env is None else env).get("TMUX"))


def copy_text(app: App[Any], text: str, *, env: Mapping[str, str] | None = None) -> CopyResult:
    """Copy ``text`` to the clipboard of the terminal running ``app``.

    Args:
        app: The running app (its driver writes the sequence; ``app.clipboard`` is set too).
        text: The text to copy.
        env: The environment to read ``TMUX`` from (the process's by default).

    Returns:
        What was done, with a one-sentence ``message`` for a notice.
    """
    payload = encode_payload(text)
    if len(payload) > MAX_BASE64:
        return CopyResult(copied=False, chars=len(text))
    # Sets app.clipboard and writes the plain OSC 52 (tmux with set-clipboard on uses it).
    app.copy_to_clipboard(text)
    tmux = in_tmux(env)
    driver = app._driver  # noqa: SLF001 - App has no public way to write raw sequences
    if tmux and driver is not None:
        # For tmux configured with allow-passthrough but without set-clipboard.
        driver.write(tmux_passthrough(osc52(payload)))
    return CopyResult(copied=True, chars=len(text), via_tmux=tmux)
