"""Post body -> blocks -> Rich renderables and canonical text (no Textual import).

Pipeline: the archive header is split off; a body that starts with a tag is HTML, read
by html2text chunk by chunk (see :mod:`tui.render.html`), anything else is Markdown whose
HTML blocks go the same way; markdown-it turns the Markdown into blocks
(:mod:`tui.render.blocks`); :class:`Layout` wraps blocks into terminal lines lazily.

Canonical text (what highlights point into; identical at every width and every run):

- Each block's text, blocks joined by ``"\\n\\n"``. Inside a block every run of
  whitespace (NBSP and ideographic space too) is one space, and ``<br>`` is a space,
  except that a run holding a line break between two wide characters is removed (CSS
  Text 3's segment-break rule, :mod:`tui.render.segments`); the text is NFC,
  character references are decoded once, as HTML5 decodes them (a bare ``&`` stays),
  zero-width spaces, soft hyphens, bidi controls and control characters are removed.
- Text: headings (without ``#``), paragraphs, list items (without bullet or number),
  quotes (without bars), link text (without the ``[n]`` after it), an image's caption
  or else its alt text, an embed's title. No Markdown syntax of html2text's output ever
  reaches it: links, styles, media and tables pass html2text as placeholders.
- Tables: cells joined by ``" | "``, rows by ``"\\n"``; shown with borders, so the joins
  are the only canonical characters not drawn. Code: lines kept, trailing spaces and
  blank lines dropped (a code block never holds ``"\\n\\n"``).
- Decoration, never canonical: bullets, numbers, quote bars, ``[n]`` link numbers,
  ``[image: …]``/``[video: …]`` brackets, rules, table borders, heading underlines, the
  header and the link list. Rules, and images or embeds with no caption, alt or title,
  are blocks with empty text: they take no room and add no separator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.render.console import render_console
    from tui.render.document import Document, build_document
    from tui.render.layout import Layout, WrappedLine
    from tui.render.model import Block, Link, Run
    from tui.render.sentences import sentence_spans, word_spans
    from tui.render.text import sanitize

_HOMES = {
    "Block": "model",
    "Document": "document",
    "Layout": "layout",
    "Link": "model",
    "Run": "model",
    "WrappedLine": "layout",
    "build_document": "document",
    "render_console": "console",
    "sanitize": "text",
    "sentence_spans": "sentences",
    "word_spans": "sentences",
}
"""Each name's module. They are imported when first asked for: a module of the package
that needs little (``postil ls`` fits cells with `tui.render.cells`) does not load the
whole pipeline (markdown-it, html2text) with the package."""

__all__ = [
    "Block",
    "Document",
    "Layout",
    "Link",
    "Run",
    "WrappedLine",
    "build_document",
    "render_console",
    "sanitize",
    "sentence_spans",
    "word_spans",
]


def __getattr__(name: str) -> object:
    import importlib

    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
