"""The annotation store's errors: one family, each ``str()`` one sentence for the user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from annotations.durable import FULL_ERRNOS


class StoreError(Exception):
    """Base of the store's errors; ``str()`` is one sentence for the user."""


class StoreCorrupt(StoreError):
    """The store file or its journal cannot be parsed; both are left untouched."""

    def __init__(self, message: str, partial: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.partial = partial
        """What could be read (the store file and the journal's good records before the
        damage), for a read-only view; None when nothing could."""


class AnnotationExists(StoreError):
    """An annotation with the id given to ``create`` is already stored."""


class StoreReadOnly(StoreError):
    """A write was asked of a store opened read-only (it could not be parsed)."""


class StoreFull(StoreError):
    """The disk or quota is full; the store is unchanged."""


class AnnotationNotFound(StoreError, KeyError):
    """No annotation has the given id (another process may have deleted it)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "no such annotation."


def os_error(exc: OSError, path: Path, *, folding: bool = False) -> StoreError:
    """The store error for an OS error met while writing ``path`` (a full disk, or another)."""
    if exc.errno in FULL_ERRNOS:
        if folding:
            return StoreFull(
                f"the disk holding {path} is full, so its journal could not be folded into"
                " it; the store file is unchanged and the journal still holds every change."
            )
        return StoreFull(
            f"the disk holding {path} is full, so nothing was saved; the store is unchanged."
        )
    reason = exc.strerror or str(exc)
    return StoreError(f"the annotation store {path} could not be written ({reason}).")
