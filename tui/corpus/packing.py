"""How the metadata cache packs a column, shared with the scan run in a child process.

The child (`prescan`) sends the files it found packed exactly as the cache stores its
file columns, with their `fingerprint`: comparing two digests then tells whether any
file changed, without unpacking 50k rows. (A module of its own: the spawned child
imports only this and the scan, not the parsers.)
"""

from __future__ import annotations

import hashlib
import struct
import sys
from array import array
from collections.abc import Sequence

_LENGTH = struct.Struct("<Q")


def pack_ints(values: Sequence[int]) -> bytes:
    """Integers as little-endian signed 64-bit words (an int column's bytes).

    Raises:
        OverflowError: A value does not fit.
    """
    words = array("q", values)
    if sys.byteorder != "little":
        words.byteswap()
    return words.tobytes()


def fingerprint(*columns: bytes | memoryview) -> bytes:
    """A digest of the file columns' bytes (path, start, size, mtime, as the cache packs
    them): equal digests, equal files.

    A scan done in a child process sends its files packed as the cache packs them, with
    this digest: when it equals the cache's, the files did not change and the scan's
    50k rows need not be unpacked at all.
    """
    digest = hashlib.blake2b(digest_size=16)
    for chunk in columns:
        digest.update(_LENGTH.pack(len(chunk)))
        digest.update(chunk)
    return digest.digest()
