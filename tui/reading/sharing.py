"""What the reader hands outside postil: a quote with its citation, a source URL to open."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from annotations.model import PostSnapshot
from tui.corpus.model import Post
from tui.corpus.text import sanitize
from tui.render.script import Script, convert


def quote_with_citation(quote: str, post: Post | PostSnapshot, script: Script | None = None) -> str:
    """``> quote`` lines followed by ``— title, author, source`` (the ``y`` format), the
    quote and title in ``script`` as the reader shows them (None: as written)."""
    lines = [f"> {line}" if line else ">" for line in sanitize(convert(quote, script)).split("\n")]
    title = convert(post.title, script)
    parts = [" ".join(sanitize(p).split()) for p in (title, post.author, post.source or "")]
    citation = ", ".join(p for p in parts if p)
    return "\n".join(lines) + (f"\n— {citation}" if citation else "")


def can_open_browser(env: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """True when a browser would open where the user sits: a local display, not over SSH."""
    env = os.environ if env is None else env
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY"):
        return False
    if (platform or sys.platform) == "darwin":
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
