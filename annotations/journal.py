"""The store's journal: checksummed records of changes not yet folded into the store file.

``<store file>.journal`` (mode 0600, beside the store file) holds one record per line::

    <crc32 of the payload, 8 hex digits> <payload: orjson of a list of ops>\\n

An op is ``["put", table, doc_id, document]`` (the whole document) or
``["del", table, doc_id]``. Ops are idempotent, so replaying records that were already
folded into the store file (a crash between a compaction's rename and the journal's
truncation) changes nothing. A transaction's ops are one record, written with one
``write()`` and fsynced before the write returns.

A last line without its newline, or whose checksum fails, is a write that never
returned (the writer was killed or the machine stopped): it is ignored, and the next
writer cuts it off before appending. A damaged record anywhere else is corruption.
"""

from __future__ import annotations

import errno
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from annotations.durable import fsync_folder, write_all

Op = list[Any]
"""``["put", table, doc_id, document]`` or ``["del", table, doc_id]``."""

Stamp = tuple[int, int, int]
"""(st_ino, st_size, st_mtime_ns) of a file."""

_HEADER = 9
"""8 hex digits and a space before the payload."""


def journal_path_for(path: Path) -> Path:
    """The journal beside the store file ``path``: ``<name>.journal``."""
    return path.with_name(path.name + ".journal")


def encode_record(ops: list[Op]) -> bytes:
    """One journal line holding ``ops``, newline included."""
    payload = orjson.dumps(ops)
    return b"%08x %b\n" % (zlib.crc32(payload), payload)


class JournalDamaged(Exception):
    """A damaged record that is not the journal's last line."""

    def __init__(self, offset: int, good: list[Op]) -> None:
        super().__init__(offset)
        self.offset = offset
        """Offset of the damaged record (relative to the bytes parsed)."""
        self.good = good
        """The ops of the good records before it."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a run of journal bytes holds."""

    ops: list[Op]
    end: int
    """Offset just past the last good record (relative to the bytes parsed)."""
    torn: bool
    """Bytes follow ``end``: a torn last write, to be ignored."""


def parse_records(buf: bytes) -> Parsed:
    """The ops of the complete, intact records in ``buf`` (which starts at a record).

    Raises:
        JournalDamaged: a record other than the last line is damaged, or a record with
            a good checksum does not hold a list of valid ops (it was not written by a
            crash but by something this code does not understand).
    """
    ops: list[Op] = []
    pos, size = 0, len(buf)
    while pos < size:
        newline = buf.find(b"\n", pos)
        if newline < 0:
            return Parsed(ops, pos, True)  # the last line has no newline: torn
        record = _decode(buf, pos, newline)
        if record is None:
            if newline + 1 == size:
                return Parsed(ops, pos, True)  # a bad last line: torn
            raise JournalDamaged(pos, ops)
        if not all(_valid_op(op) for op in record):
            raise JournalDamaged(pos, ops)
        ops.extend(record)
        pos = newline + 1
    return Parsed(ops, pos, False)


def _decode(buf: bytes, start: int, newline: int) -> list[Op] | None:
    """The ops of the line ``buf[start:newline]``, or None when its checksum fails."""
    if newline - start <= _HEADER or buf[start + 8] != 0x20:
        return None
    try:
        crc = int(buf[start : start + 8], 16)
    except ValueError:
        return None
    payload = buf[start + _HEADER : newline]
    if zlib.crc32(payload) != crc:
        return None
    try:
        record = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return [["?"]]  # checksum right, content wrong: reported as damage
    return record if isinstance(record, list) else [["?"]]


def _valid_op(op: object) -> bool:
    if not isinstance(op, list) or len(op) < 3:
        return False
    kind, table, doc_id = op[0], op[1], op[2]
    if not isinstance(table, str) or not isinstance(doc_id, str):
        return False
    if kind == "put":
        return len(op) == 4 and isinstance(op[3], dict)
    return kind == "del" and len(op) == 3


def apply_ops(data: dict[str, Any], ops: list[Op]) -> dict[tuple[str, str], Any]:
    """Replay ``ops`` on the decoded store, in order.

    Returns:
        The (table, doc id) pairs touched, each with its document before the first op
        that touched it (None when there was none).
    """
    touched: dict[tuple[str, str], Any] = {}
    for op in ops:
        table, doc_id = op[1], op[2]
        docs = data.get(table)
        key = (table, doc_id)
        if key not in touched:
            touched[key] = None if docs is None else docs.get(doc_id)
        if op[0] == "put":
            if docs is None:
                docs = data[table] = {}
            docs[doc_id] = op[3]
        elif docs is not None:
            docs.pop(doc_id, None)
    return touched


def read_from(path: Path, start: int) -> tuple[bytes, Stamp] | None:
    """The journal's bytes from ``start`` to its end, and its stamp; None when missing.

    Raises:
        OSError: it exists but cannot be read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    try:
        st = os.fstat(fd)
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
        want = st.st_size - start
        chunks: list[bytes] = []
        offset = start
        while want > 0:
            chunk = os.pread(fd, want, offset)
            if not chunk:
                break  # cut back meanwhile (a writer repairing a torn tail)
            chunks.append(chunk)
            offset += len(chunk)
            want -= len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks), stamp


def append(path: Path, record: bytes, at: int) -> Stamp:
    """Write ``record`` at offset ``at`` of the journal, durably (caller holds the lock).

    Whatever follows ``at`` (a torn write) is cut off first. A journal created here gets
    mode 0600 and its folder is fsynced.

    Returns:
        The journal's stamp after the write.

    Raises:
        OSError: the write or fsync failed; the journal is cut back to ``at`` bytes
            (a journal created here is removed). ENOSPC or EDQUOT when full.
    """
    flags = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
    created = False
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)
        created = True
    try:
        try:
            if created:
                os.fchmod(fd, 0o600)
            size = os.fstat(fd).st_size
            if size < at:
                raise OSError(errno.EIO, f"the journal {path} is shorter than it was read")
            if size > at:
                os.ftruncate(fd, at)
            os.lseek(fd, at, os.SEEK_SET)
            write_all(fd, [record])
            _datasync(fd)
            st = os.fstat(fd)
        except BaseException:
            try:
                os.ftruncate(fd, at)
            except OSError:
                pass
            if created:
                try:
                    os.unlink(path)
                except OSError:
                    pass
            raise
    finally:
        os.close(fd)
    if created:
        fsync_folder(path.parent)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def truncate(path: Path) -> Stamp | None:
    """Empty the journal durably (after its records were folded into the store file).

    Returns:
        The journal's stamp afterwards, or None when there is no journal.
    """
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    try:
        os.ftruncate(fd, 0)
        os.fsync(fd)
        st = os.fstat(fd)
    finally:
        os.close(fd)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _datasync(fd: int) -> None:
    sync = getattr(os, "fdatasync", os.fsync)
    sync(fd)
