"""Text hygiene shared by the render layer: control characters, entities, whitespace.

Everything that reaches the screen or stdout from a post file passes through
:func:`sanitize` (the corpus package's, shared so there is one definition); the
canonical text also goes through :func:`clean_inline` (stand-ins, invisible characters)
and whitespace collapsing. Character references are decoded once, earlier, where the
markup is read (:mod:`tui.render.entities` for HTML, markdown-it for Markdown).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from tui.corpus.text import BIDI_CONTROLS, sanitize, unescape_entities

__all__ = [
    "AMP",
    "LINK_END",
    "LT",
    "clean_inline",
    "collapse",
    "header_line",
    "map_outside",
    "nfc",
    "normalize_newlines",
    "plain_line",
    "readable_url",
    "sanitize",
    "strip_reserved",
]

_ZERO_WIDTH = re.compile("[\u200b\u2060\ufeff\u00ad" + BIDI_CONTROLS + "]")
"""Zero-width space, word joiner, BOM, soft hyphen and bidi controls.

Bidi overrides are dropped: they can reorder what the terminal shows. The zero-width
(non-)joiners stay, because emoji sequences and Persian words need them.
"""

MARK_OPEN = "\ue000"
"""Private-use character that brackets the placeholders the HTML stage inserts."""
MARK_SEP = "\ue001"
"""Private-use character separating a placeholder's fields."""
STYLE_MARKS = {
    "\ue002": (1, 1),
    "\ue003": (1, -1),
    "\ue004": (2, 1),
    "\ue005": (2, -1),
    "\ue006": (8, 1),
    "\ue007": (8, -1),
}
"""Private-use characters standing for bold/italic/strike open and close: (flag, +-1).

The HTML stage puts them in place of ``<b>``, ``<i>``, ``<del>``... so html2text never
writes emphasis Markdown (it inserts spaces around it, strips text inside it, and
CommonMark's flanking rules reject ``**`` next to CJK punctuation).
"""
GUARD = "\ue008"
"""Put before text that starts a line and would read as Markdown syntax (``1.``, ``-``,
``#``, ``>``, ``===``): html2text leaves a lone ``1.`` unescaped, and markdown-it would
turn it into an empty list item. Removed with the other reserved characters."""
AMP = "\ue009"
"""Stands for ``&`` in text handed to html2text, which would read it as a reference."""
LT = "\ue00a"
"""Stands for ``<`` in text handed to html2text, which would read it as a tag."""
LINK_END = "\ue00b"
"""Put in place of ``</a>`` (the link's start is a placeholder holding its URL): links
never pass through Markdown, whose parser refuses some URLs and prints the rest."""
_RESERVED = re.compile("[\ue000-\ue00f]")

_NEEDS_CLEANING = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u2060\ufeff\u00ad" + BIDI_CONTROLS + "\ue000-\ue00f]"
)
_SPACES = re.compile(r"[ \t\n\r\f\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


def map_outside(pattern: re.Pattern[str], text: str, change: Callable[[str], str]) -> str:
    """``text`` with ``change`` applied to each stretch between two matches of
    ``pattern`` (and before the first, after the last); the matches are kept as they are.
    """
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(change(text[last : match.start()]))
        out.append(match.group())
        last = match.end()
    out.append(change(text[last:]))
    return "".join(out)


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR become newlines (before control characters are removed)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def strip_reserved(text: str) -> str:
    """Drop U+E000-U+E00F, the private-use characters the renderer uses as markers."""
    return _RESERVED.sub("", text)


def clean_inline(text: str) -> str:
    """Stand-ins turned back, controls and invisible characters removed; whitespace kept.

    This is applied to every piece of text before it enters a block, so the canonical
    text never holds a control character whatever the body held (a decoded ``&#27;``
    included). Nothing is decoded here: references were decoded once, where the markup
    was read, and what they decoded to is text (``&amp;lt;`` shows ``&lt;``).
    """
    if not _NEEDS_CLEANING.search(text):
        return text  # the common case, one scan instead of three
    if AMP in text or LT in text:
        text = text.replace(AMP, "&").replace(LT, "<")
    text = _ZERO_WIDTH.sub("", text)
    return strip_reserved(sanitize(text))


def collapse(text: str) -> str:
    """Collapse every run of whitespace (NBSP and ideographic space too) to one space."""
    return _SPACES.sub(" ", text).strip()


def nfc(text: str) -> str:
    """NFC-normalize ``text`` (cheap when it already is)."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def plain_line(text: str) -> str:
    """One line of text already decoded (an attribute, a URL): cleaned, collapsed, NFC."""
    return nfc(collapse(clean_inline(text)))


def header_line(text: str) -> str:
    """A header value (title, author, tag): entities decoded as the corpus decodes them
    (twice-escaped ones too), then cleaned like :func:`plain_line`."""
    return plain_line(unescape_entities(text))


def readable_url(url: str) -> str:
    """A URL for display: percent-escapes of non-ASCII text decoded (``%E4%B8%AD`` -> 中).

    Only what decodes to printable non-ASCII text is decoded, so the shown URL still
    means the same address; the link target itself stays as written.
    """
    if "%" not in url:
        return url
    decoded = _PERCENT_RUN.sub(_decode_run, url)
    return plain_line(decoded)


_PERCENT_RUN = re.compile(r"(?:%[89A-Fa-f][0-9A-Fa-f])+")


def _decode_run(match: re.Match[str]) -> str:
    raw = match.group()
    try:
        text = bytes.fromhex(raw.replace("%", "")).decode("utf-8")
    except ValueError:
        return raw
    return text if text.isprintable() and not text.isspace() else raw
