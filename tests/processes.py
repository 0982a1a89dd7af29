"""The processes running now, as Linux's /proc lists them (for tests of child processes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple


class ProcessStat(NamedTuple):
    pid: int
    state: str
    """``R``, ``S``, ... ``Z`` for a zombie (ended, waiting to be reaped)."""
    ppid: int
    pgid: int


def process_stats() -> Iterator[ProcessStat]:
    """Every process's id, state, parent and process group (those that end meanwhile are
    left out)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name in parentheses may hold spaces; the state, parent and group follow.
        state, ppid, pgid = stat.rsplit(")", 1)[1].split()[:3]
        yield ProcessStat(int(entry.name), state, int(ppid), int(pgid))
