"""``postil import``: annotations made elsewhere, matched to posts and placed like any other.

Each record of the file (see :mod:`annotations.import_formats`) is matched to a post by
its page's normalised source URL (:func:`normalise_url`: scheme, ``www.``, a trailing
slash, the fragment and tracking parameters ignored), else by the page's exact title
(when one post has it), then placed in the post's text with the one policy of
:mod:`annotations.placing` and stored. One that matches no post is stored as *unplaced*
(its snapshot has no file), listed, never dropped. Ids are derived from the records, so
importing a file twice adds nothing; an unplaced annotation whose post is loaded by then
is placed by the second import.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from annotations.import_formats import Incoming, Record, Skipped
from annotations.model import PostLike, PostSnapshot, Target
from annotations.placing import Found, TextSource, locate_each
from annotations.store import AnnotationStore, StoreError

TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "_ga",
        "_hsenc",
        "_hsmi",
        "ref",
        "ref_src",
        "spm",
        "share",
        "from",
        "s_cid",
        "cmpid",
    }
)
"""Query parameters that say how a reader came to a page, not which page (plus ``utm_*``)."""

_POST_URN = "urn:postil:post:"
"""postil's export names a post that has no URL and no absolute path so."""


def normalise_url(url: str) -> str | None:
    """A source URL reduced to what names the page, or None when it has no host.

    ``https://www.example.com/a/b/?utm_source=x#top`` and ``http://example.com/a/b`` are
    both ``example.com/a/b``. The host is case-folded; the path and the other query
    parameters (in their order) are kept.
    """
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").casefold().rstrip(".")
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    host = host.removeprefix("www.")
    if port is not None and port not in (80, 443):
        host += f":{port}"
    kept = [
        pair
        for pair in parts.query.split("&")
        if pair and not _is_tracking(pair.split("=", 1)[0].casefold())
    ]
    path = unquote(parts.path).rstrip("/")
    return host + path + ("?" + "&".join(kept) if kept else "")


def _is_tracking(name: str) -> bool:
    return name.startswith("utm_") or name in TRACKING_PARAMETERS


def _title_key(title: str) -> str:
    return " ".join(unicodedata.normalize("NFC", title).split())


class PostMatcher:
    """Finds the post an imported annotation was made on."""

    def __init__(self, posts: Iterable[PostLike]) -> None:
        self._by_url: dict[str, PostLike] = {}
        self._by_title: dict[str, list[PostLike]] = {}
        self._by_id: dict[str, PostLike] = {}
        self._by_path: dict[str, PostLike] = {}
        for post in sorted(posts, key=lambda p: p.path):
            self._by_id.setdefault(post.id, post)
            self._by_path.setdefault(post.path, post)
            key = normalise_url(post.source) if post.source else None
            if key is not None:
                self._by_url.setdefault(key, post)  # a page mirrored twice: the first file
            self._by_title.setdefault(_title_key(post.title), []).append(post)

    def match(self, record: Incoming) -> PostLike | None:
        """The record's post, or None: by URL (or postil's own file and post URIs), else
        by the exact title when one post has it."""
        source = record.source or ""
        if source.startswith(_POST_URN):
            found = self._by_id.get(source.removeprefix(_POST_URN))
            if found is not None:
                return found
        if source.startswith("file:"):
            found = self._by_path.get(unquote(urlsplit(source).path))
            if found is not None:
                return found
        key = normalise_url(source) if source else None
        if key is not None and key in self._by_url:
            return self._by_url[key]
        same_title = self._by_title.get(_title_key(record.title), []) if record.title else []
        return same_title[0] if len(same_title) == 1 else None


@dataclass
class ImportSummary:
    """What one import did."""

    anchored: int = 0
    """Imported and found in their post's text."""
    orphaned: int = 0
    """Imported into a post whose text no longer has the quote (kept as orphans)."""
    unplaced: int = 0
    """Imported, but no post matched their page (kept, listed as unplaced)."""
    placed: int = 0
    """Imported before as unplaced, and matched to a post now."""
    skipped: Counter[str] = field(default_factory=Counter)
    """Reason -> how many records were not imported."""
    error: str | None = None
    """Why the import stopped early (the store could not be written), if it did."""

    @property
    def imported(self) -> int:
        """Annotations added to the store."""
        return self.anchored + self.orphaned + self.unplaced

    def lines(self) -> list[str]:
        """The summary, as the CLI prints it."""
        lines = [
            f"imported {self.imported}: {self.anchored} anchored, {self.orphaned} orphaned,"
            f" {self.unplaced} unplaced"
        ]
        if self.placed:
            lines.append(f"placed {self.placed} imported earlier as unplaced")
        total = sum(self.skipped.values())
        reasons = ", ".join(f"{why}: {n}" for why, n in self.skipped.most_common())
        lines.append(f"skipped {total}" + (f" ({reasons})" if reasons else ""))
        return lines


def unplaced_snapshot(record: Incoming) -> PostSnapshot:
    """The snapshot of an annotation that matched no post: its page, and no file.

    Its id is derived from the page (so a page's annotations group together), except for
    postil's own ``urn:postil:post:ID`` (an export of a post with no URL): that ID.
    """
    source = record.source
    if source and source.startswith(_POST_URN):
        post_id, source = source.removeprefix(_POST_URN), None
    else:
        key = normalise_url(source or "") or source or _title_key(record.title)
        post_id = hashlib.blake2b(f"unplaced:{key}".encode(), digest_size=6).hexdigest()
    return PostSnapshot(
        id=post_id, path="", title=record.title, source=source, author=record.author, date=None
    )


Locator = Callable[[list[tuple[int, PostSnapshot, Target]]], Mapping[int, Found]]
"""Where each target is in its post's current text (:func:`annotations.placing.locate`),
all at once, by the key given with it (``postil import`` finds them in worker processes)."""


def import_records(
    records: Sequence[Record],
    posts: Iterable[PostLike],
    store: AnnotationStore,
    texts: TextSource,
    *,
    locator: Locator | None = None,
) -> ImportSummary:
    """Match, place and store the records; stop at the first store error.

    Every record that matched a post and is not stored yet (or is stored unplaced) is
    looked for in its post first, all at once; then they are stored in order.

    Args:
        records: What the file held.
        posts: The corpus.
        store: A writable store.
        texts: A post's current canonical text (the placing policy's text source).
        locator: Finds the targets (default: one by one here, through ``texts``).
    """
    summary = ImportSummary()
    matcher = PostMatcher(posts)
    matched: list[PostSnapshot | None] = []
    wanted: list[tuple[int, PostSnapshot, Target]] = []
    for index, record in enumerate(records):
        snapshot = None
        if not isinstance(record, Skipped) and (post := matcher.match(record)) is not None:
            snapshot = PostSnapshot.from_post(post)
            if not _stored_placed(store, record.id):
                wanted.append((index, snapshot, _target(record)))
        matched.append(snapshot)
    found = (locator or _locator_here(texts))(wanted)
    try:
        for index, record in enumerate(records):
            if isinstance(record, Skipped):
                summary.skipped[record.reason] += 1
            else:
                _import_one(record, matched[index], found.get(index), store, summary)
    except StoreError as error:
        summary.error = str(error)
    return summary


def _stored_placed(store: AnnotationStore, ann_id: str) -> bool:
    """Whether the annotation is stored already, with a post (an import adds nothing)."""
    existing = store.get(ann_id)
    return existing is not None and bool(existing.post.path)


def _locator_here(texts: TextSource) -> Locator:
    """The targets found one by one in this process, each post's text read once."""

    def locate_here(wanted: list[tuple[int, PostSnapshot, Target]]) -> dict[int, Found]:
        read: dict[str, str | None] = {}
        found: dict[int, Found] = {}
        for key, snapshot, target in wanted:
            if snapshot.id not in read:
                read[snapshot.id] = texts(snapshot)
            [found[key]] = locate_each(read[snapshot.id], [target])
        return found

    return locate_here


def _import_one(
    record: Incoming,
    snapshot: PostSnapshot | None,
    found: Found,
    store: AnnotationStore,
    summary: ImportSummary,
) -> None:
    existing = store.get(record.id)
    if existing is not None:
        if existing.post.path or snapshot is None:
            summary.skipped["already imported"] += 1
            return
        _, target = _settle(record, found)
        store.update(record.id, post=snapshot, target=target)
        summary.placed += 1
        return
    if snapshot is None:
        snapshot = unplaced_snapshot(record)
        target = _target(record)
        summary.unplaced += 1
    else:
        placed, target = _settle(record, found)
        if placed:
            summary.anchored += 1
        else:
            summary.orphaned += 1
    store.create(
        snapshot,
        target,
        note=record.note,
        tags=record.tags,
        color=record.color,
        ann_id=record.id,
        created=record.created,
        updated=record.updated,
    )


def _target(record: Incoming) -> Target:
    start = record.position or 0
    return Target(record.exact, record.prefix, record.suffix, start, start + len(record.exact))


def _settle(record: Incoming, found: Found) -> tuple[bool, Target]:
    """(found in the post's text, the target to store) by the placing policy: after a
    verbatim find, the fresh target; else the record's own."""
    target = _target(record)
    if found is None:
        return False, target
    anchor, settled = found
    return not anchor.is_orphan, settled or target
