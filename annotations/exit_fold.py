"""The store's promise at exit: every postil process that wrote folds the journal.

Whenever no postil runs, the store file alone holds everything (README, "Highlights,
notes and export"). So when a process exits normally, each store it still holds is
closed (which folds its journal), and each store file it wrote to is folded by path:
the CLI drops its store object when a command returns, before the process exits. A
process killed before this leaves its records in the journal, and the next process
that writes folds them when it exits.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from annotations.store import AnnotationStore

_OPEN: weakref.WeakKeyDictionary[AnnotationStore, int] = weakref.WeakKeyDictionary()
"""Stores not yet closed, and the pid that opened them."""

_WROTE: dict[Path, int] = {}
"""Store files written to, and the pid that wrote (a forked child that exits folds
nothing of its parent's)."""


def opened(store: AnnotationStore) -> None:
    """Remember an open store (closed, and so folded, at exit)."""
    _OPEN[store] = os.getpid()


def closed(store: AnnotationStore) -> None:
    """Forget a store that was closed."""
    _OPEN.pop(store, None)


def wrote(path: Path) -> None:
    """Remember that this process wrote to the store file ``path`` (absolute)."""
    _WROTE[path] = os.getpid()


def fold_journal(path: str | os.PathLike[str]) -> None:
    """Fold the journal beside the store file ``path`` into it, under the lock.

    Nothing happens when the journal is missing or empty; a store that cannot be parsed
    is never written.

    Raises:
        StoreCorrupt: the store or its journal cannot be parsed.
        OSError: a file could not be read or written (both are left whole).
    """
    from annotations.durable import file_lock
    from annotations.storage import DurableStorage

    storage = DurableStorage(path)
    try:
        stamp = storage.stamps()[1]
        if stamp is None or not stamp[1]:
            return
        with file_lock(storage.path):
            storage.load()
            storage.fold_before_change()
    finally:
        storage.close()


@atexit.register
def _fold_at_exit() -> None:
    """Close the stores still open, then fold every store file written to."""
    pid = os.getpid()
    for store, opener in list(_OPEN.items()):
        if opener == pid:
            with contextlib.suppress(Exception):
                store.close()
    for path, writer in list(_WROTE.items()):
        if writer == pid:
            with contextlib.suppress(Exception):
                fold_journal(path)
