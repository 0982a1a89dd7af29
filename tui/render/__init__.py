"""Post body -> blocks -> Rich renderables and canonical text (no Textual import)."""

from __future__ import annotations

from tui.render.document import Document, build_document
from tui.render.model import Block, Link, Run
from tui.render.text import sanitize

__all__ = ["Block", "Document", "Link", "Run", "build_document", "sanitize"]
