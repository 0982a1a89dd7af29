"""Reading post files: bytes to text, and front matter apart from the body.

Encodings (decided here, documented in README.md): UTF-8, with or without a BOM, is the
format. A file that is not UTF-8 is still accepted when its bytes decode strictly as one
of the two encodings Chinese archives were commonly written in:

1. GB2312/GBK/GB18030: tried first when the bytes decode strictly as GB2312 (recorded as
   ``"gb18030"``, its superset);
2. Big5, when the bytes decode strictly as Big5 (Big5 text almost never fits GB2312's
   byte ranges, so step 1 does not swallow it);
3. GB18030 for the rest of what it decodes (GBK-only characters).

A file that starts with a UTF-16 or UTF-32 byte order mark (what Windows editors save as
"Unicode") is decoded as that encoding: the mark leaves no doubt, and its NUL bytes would
otherwise call it binary.

Anything else is an `UndecodableFile`. A file with NUL bytes is a `BinaryFile`. The
loader reports fallback-decoded files as recovered problems, so nothing is silent.
"""

from __future__ import annotations

import codecs
import os
import re
from pathlib import Path

from tui.corpus.errors import BinaryFile, EmptyFile, UndecodableFile, UnreadableFile

BOM = b"\xef\xbb\xbf"

WIDE_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16's: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
"""Byte order marks of the encodings decoded by their mark alone, and those encodings."""

FM_BOUNDARY = re.compile(r"^-{3,}\s*$", re.MULTILINE)
"""python-frontmatter's YAML delimiter: a line of three or more dashes.

The same expression as the reference reader, so both split a file in the same place.
"""


def read_bytes(path: str | Path, limit: int | None = None) -> bytes:
    """Read a file's bytes (the first ``limit`` bytes when given).

    Args:
        path: The file.
        limit: Read at most this many bytes; None reads everything.

    Returns:
        The bytes read.

    Raises:
        UnreadableFile: The operating system refused (permissions, a folder, I/O error).
    """
    try:
        # os.open/os.read: no file object at all (a third of the cost of a small read).
        fd = _open_fd(path, _READ_FLAGS)
        try:
            if limit is not None:
                # One read: a regular file gives fewer bytes only at its end.
                return os.read(fd, limit)
            return _read_on(fd)
        finally:
            os.close(fd)
    except PermissionError:
        raise UnreadableFile("permission denied.") from None
    except IsADirectoryError:
        raise UnreadableFile("it is a folder, not a file.") from None
    except FileNotFoundError:
        raise UnreadableFile("the file does not exist (any more).") from None
    except OSError as exc:
        raise UnreadableFile(f"it cannot be read ({exc.strerror or exc}).") from None


_open_fd = os.open
"""`os.open`, through a name of this module (tests refuse it to simulate permissions)."""

_READ_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def _read_on(fd: int) -> bytes:
    """Read ``fd`` to the end of the file."""
    parts = []
    while chunk := os.read(fd, 1 << 16):
        parts.append(chunk)
    return b"".join(parts)


def decode_bytes(data: bytes, *, partial: bool = False) -> tuple[str, str]:
    """Decode a post file's bytes as documented in this module.

    Args:
        data: The bytes (a whole file, or its first chunk when ``partial``).
        partial: The bytes may end inside a multi-byte character: drop an incomplete
            trailing sequence instead of calling the file undecodable.

    Returns:
        (text with CRLF/CR normalised to "\n" and the BOM removed, encoding name).

    Raises:
        EmptyFile: No bytes, or only whitespace.
        BinaryFile: NUL bytes.
        UndecodableFile: Not text in any accepted encoding.
    """
    if data.startswith(BOM):
        data = data[len(BOM) :]
    wide = next((name for mark, name in WIDE_BOMS if data.startswith(mark)), None)
    if wide is not None:
        text, encoding = _decode_wide(data, wide, partial), wide
        if not text or text.isspace():
            raise EmptyFile("the file is empty.")
        if "\x00" in text:
            raise BinaryFile("it contains NUL characters, so it is a binary file, not text.")
    elif not data or data.isspace():
        raise EmptyFile("the file is empty.")
    elif b"\x00" in data:
        raise BinaryFile("it contains NUL bytes, so it is a binary file, not text.")
    else:
        try:
            # The usual case in one call: utf_8_decode with final=False leaves an
            # incomplete trailing sequence undecoded, exactly what trimming it would give.
            text = codecs.utf_8_decode(data, "strict", not partial)[0]
            encoding = "utf-8"
        except UnicodeDecodeError:
            text, encoding = _decode(data, partial)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, encoding


def _decode_wide(data: bytes, encoding: str, partial: bool) -> str:
    """UTF-16 or UTF-32 text after its byte order mark (which gives the byte order and
    is dropped); a partial read's cut last character is left out."""
    try:
        return codecs.getincrementaldecoder(encoding)("strict").decode(data, final=not partial)
    except UnicodeDecodeError:
        raise UndecodableFile(f"it starts as {encoding.upper()} text but is not.") from None


def _decode(data: bytes, partial: bool) -> tuple[str, str]:
    """Try UTF-8, then the fallbacks; trim up to 3 trailing bytes of a partial read."""
    trims = range(4) if partial else range(1)
    for codec, name in (
        ("utf-8", "utf-8"),
        ("gb2312", "gb18030"),
        ("big5", "big5"),
        ("gb18030", "gb18030"),
    ):
        for trim in trims:
            try:
                return (data[: len(data) - trim] if trim else data).decode(codec), name
            except UnicodeDecodeError:
                continue
    raise UndecodableFile("it is not UTF-8 text (nor GB18030 or Big5).")


def read_text(path: str | Path) -> tuple[str, str]:
    """Read and decode a whole post file.

    Args:
        path: The file.

    Returns:
        (text with the BOM stripped and CRLF/CR normalised to "\\n", encoding name).

    Raises:
        CorpusError: A `FileProblem` subclass with a one-sentence reason.
    """
    return decode_bytes(read_bytes(path))


def split_front_matter(text: str) -> tuple[str | None, str]:
    """Split YAML front matter from the body, exactly where python-frontmatter does.

    Leading whitespace is ignored; the front matter sits between two lines of three or
    more dashes. A file without an opening line, or without a closing one, has no front
    matter.

    Args:
        text: A decoded post file.

    Returns:
        (the front matter's YAML text, or None; the body after the closing line).
    """
    stripped = text.lstrip()
    if not FM_BOUNDARY.match(stripped):
        return None, text
    parts = FM_BOUNDARY.split(stripped, 2)
    if len(parts) < 3:
        return None, text
    return parts[1], parts[2]


def read_body(path: str | Path) -> str:
    """The body of a post file: what follows the front matter (archive header included).

    Args:
        path: The file.

    Returns:
        The decoded, newline-normalised body.

    Raises:
        CorpusError: A `FileProblem` subclass with a one-sentence reason.
    """
    text, _ = read_text(path)
    return split_front_matter(text)[1]
