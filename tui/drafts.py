"""Notes being typed, kept on disk so a crash, SIGHUP or SIGTERM never loses them.

The note editor calls ``DraftStore.update`` on every change (memory only, cheap, on the
event loop) and a debounced thread worker calls ``flush`` (an atomic write of the whole
file, mode 0600). Signal handlers call ``flush`` synchronously. On the next start the
app offers the drafts back (``pending``/``pop_all``); a saved or discarded note removes
its draft (``discard``).
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui import locations
from tui.owned import owned_by

DRAFTS_FILE = "drafts.json"
"""The drafts file's name inside the user data folder."""


def draft_key(post_id: str, annotation_id: str | None = None, start: int = 0, end: int = 0) -> str:
    """The key of a draft: the annotation it belongs to, or the selection it was typed for."""
    if annotation_id:
        return f"{post_id}:{annotation_id}"
    return f"{post_id}:{start}-{end}"


@dataclass(frozen=True, slots=True)
class Draft:
    """One note being typed, with what is needed to reopen it."""

    key: str
    post_id: str
    text: str
    annotation_id: str | None = None
    """The annotation whose note this is (None when it was never saved)."""
    start: int = 0
    """Canonical offsets of the highlighted text, to recreate a lost annotation."""
    end: int = 0
    quote: str = ""
    """The highlighted text, for the offer notice and to re-anchor it."""
    title: str = ""
    """The post's title, for the offer notice."""
    saved: str = ""
    """When the draft was last written (ISO 8601 UTC)."""

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Draft | None:
        """A draft from its stored form, or None when the document is unusable."""
        try:
            return cls(
                key=str(doc["key"]),
                post_id=str(doc["post_id"]),
                text=str(doc["text"]),
                annotation_id=(
                    None if doc.get("annotation_id") is None else str(doc["annotation_id"])
                ),
                start=int(doc.get("start", 0)),
                end=int(doc.get("end", 0)),
                quote=str(doc.get("quote", "")),
                title=str(doc.get("title", "")),
                saved=str(doc.get("saved", "")),
            )
        except (KeyError, TypeError, ValueError):
            return None


def _atomic_write(path: Path, data: bytes) -> None:
    """Write through the store's durable writer (temp file, fsync, rename, mode 0600)."""
    from annotations.durable import atomic_write_bytes

    atomic_write_bytes(path, data, 0o600)


class DraftStore:
    """The drafts file: thread-safe, written atomically, never holding more than notes typed.

    Args:
        path: The drafts file; by default ``drafts.json`` in the user data folder.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else locations.data_dir() / DRAFTS_FILE
        """Where the drafts are written."""
        self._lock = threading.RLock()
        self._drafts: dict[str, Draft] | None = None
        self._dirty = False

    # -- writing ---------------------------------------------------------------------------

    def update(self, draft: Draft) -> None:
        """Remember ``draft`` in memory; ``flush`` writes it (cheap enough for every key)."""
        with self._lock:
            drafts = self._loaded()
            drafts[draft.key] = draft
            self._dirty = True

    def save(self, key: str, text: str, **meta: Any) -> Draft:
        """Remember and write a draft now.

        Args:
            key: The draft's key (``draft_key``).
            text: The text typed so far.
            **meta: Other ``Draft`` fields (post_id, annotation_id, start, end, quote, title).

        Returns:
            The draft as written.
        """
        post_id = str(meta.pop("post_id", key.split(":", 1)[0]))
        draft = Draft(key=key, post_id=post_id, text=text, **meta)
        self.update(draft)
        self.flush()
        return draft

    def flush(self) -> bool:
        """Write the drafts to disk if anything changed; safe from any thread or a signal.

        Returns:
            True when the file was written.
        """
        with self._lock:
            if not self._dirty or self._drafts is None:
                return False
            now = datetime.now(UTC).isoformat(timespec="seconds")
            docs = [asdict(d) | {"saved": d.saved or now} for d in self._drafts.values()]
            data = json.dumps(docs, ensure_ascii=False, indent=1).encode("utf-8")
            locations.ensure_private_dir(self.path.parent)
            _atomic_write(self.path, data)
            self._dirty = False
            return True

    def discard(self, key: str) -> None:
        """Forget the draft ``key`` (the note was saved or thrown away) and write the file."""
        with self._lock:
            drafts = self._loaded()
            if drafts.pop(key, None) is not None:
                self._dirty = True
                self.flush()

    # -- reading ---------------------------------------------------------------------------

    def get(self, key: str) -> Draft | None:
        """The draft ``key``, if there is one."""
        with self._lock:
            return self._loaded().get(key)

    def pending(self) -> list[Draft]:
        """Every draft on disk (or in memory), oldest first; nothing is removed."""
        with self._lock:
            return sorted(self._loaded().values(), key=lambda d: d.saved)

    def pop_all(self) -> list[Draft]:
        """Every draft, removed from the file (the caller now owns them).

        Returns:
            The drafts, oldest first.
        """
        with self._lock:
            drafts = self.pending()
            if drafts:
                self._drafts = {}
                self._dirty = True
                self.flush()
            return drafts

    def _loaded(self) -> dict[str, Draft]:
        """The drafts, read from disk on first use; an unreadable file counts as empty."""
        if self._drafts is None:
            self._drafts = {}
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                raw = []
            for doc in raw if isinstance(raw, list) else []:
                draft = Draft.from_doc(doc) if isinstance(doc, dict) else None
                if draft is not None:
                    self._drafts[draft.key] = draft
        return self._drafts


def drafts_for(app: object) -> DraftStore:
    """The app's draft store (``app.drafts``), created there on first use.

    The app-library side may create ``app.drafts`` itself (and flush it from its signal
    handlers); screens call this so they work with any App, including test apps.
    """
    return owned_by(app, "drafts", DraftStore, DraftStore)
