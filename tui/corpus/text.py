"""Small text cleaners shared by the corpus (and reused by the renderer).

Text from post files is untrusted: control characters are removed before anything is
drawn or printed, and titles/authors are entity-decoded and whitespace-collapsed.
"""

from __future__ import annotations

import html
import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""ESC and the other C0 controls except tab and newline, DEL, and the C1 controls."""

BIDI_CONTROLS = "\u200e\u200f\u202a-\u202e\u2066-\u2069"
"""The bidi marks, embeddings, overrides and isolates, as a regex class's contents: they
can reorder what a terminal shows (a title of U+202E and ``txt.exe`` drawn as
``exe.txt``), so nothing shown keeps them."""

_LINE_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI_CONTROLS}]")

_WHITESPACE = re.compile(r"\s+")
NEEDS_CLEANING = re.compile("[&\x00-\x1f\x7f-\x9f" + BIDI_CONTROLS + r"]|\s\s|[^\S ]")
"""An entity, a control or bidi character, a run of whitespace or whitespace other than a
space."""

_OTHER_SPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace() and c != " ")
"""Every whitespace character but the space (none lies above U+3000; a test checks)."""

_CLEANING_CHAR = re.compile("[&\x00-\x1f\x7f-\x9f" + BIDI_CONTROLS + re.escape(_OTHER_SPACE) + "]")


def needs_cleaning(text: str) -> bool:
    """`NEEDS_CLEANING` matches ``text``, four times faster than that regex.

    A run of two whitespace characters holds a non-space one (caught by the character
    class) unless it is two spaces (the substring test).
    """
    return "  " in text or _CLEANING_CHAR.search(text) is not None


_MAX_UNESCAPE_ROUNDS = 3
"""Some archives escape twice (``&amp;#22338;``); three rounds cover them without looping."""


def sanitize(text: str) -> str:
    """Remove ESC, C0 (except tab and newline), DEL and C1 control characters.

    Args:
        text: Untrusted text.

    Returns:
        The text without control characters.
    """
    return _CONTROL.sub("", text)


def unescape_entities(text: str) -> str:
    """Decode HTML entities repeatedly until the text stops changing (at most 3 rounds).

    Args:
        text: Text that may contain (doubly) escaped entities.

    Returns:
        The decoded text.
    """
    for _ in range(_MAX_UNESCAPE_ROUNDS):
        if "&" not in text:
            break
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def clean_line(text: str) -> str:
    """A one-line display value: entities decoded, control and bidi characters removed,
    whitespace collapsed.

    Args:
        text: A raw title or author from a post file.

    Returns:
        The cleaned value, stripped, on one line.
    """
    if not needs_cleaning(text):
        return text.strip()  # the common case: nothing to decode, remove or collapse
    return _WHITESPACE.sub(" ", _LINE_CONTROL.sub("", unescape_entities(text))).strip()


def display_text(text: str) -> str:
    """Text safe to print: undecodable file-name bytes become U+FFFD, controls removed.

    Paths keep their original bytes (as surrogate escapes) so the file can be opened;
    this is only for showing them.

    Args:
        text: A path, title or reason that may hold surrogate escapes.

    Returns:
        Printable text.
    """
    if not text.isascii():
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return sanitize(text)
