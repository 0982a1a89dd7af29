"""Synthetic archives for benchmarks, generated once and kept under the temporary folder.

Generating 500,000 posts takes minutes and 3.6 GB, so an archive is kept between runs in
``$TMPDIR/postil-bench/archive-<n>-<seed>/``: the posts in ``posts/`` and, written last,
``complete.json``, which also holds a digest of gen_archive.py. A folder without it (an
interrupted generation) or with another digest (the generator changed) is generated
again from scratch.

A benchmark that edits posts first copies the originals to ``pristine/`` and lists them
in ``edited.json``; ``restore_posts`` puts them back (content and mtime) and removes the
list, so the archive stays the same from run to run. An edit that an interrupted run
left behind is undone the next time the archive is opened.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.bench import gen_archive

MARKER = "complete.json"
EDITED = "edited.json"
Generator = Callable[[Path, int, int], object]
"""Writes ``n`` posts with ``seed`` below a folder (gen_archive.generate)."""


@dataclass(frozen=True, slots=True)
class CachedArchive:
    """A generated archive in the cache, ready to read."""

    folder: Path
    """``archive-<n>-<seed>``: the posts, the marker and the pristine copies."""
    n: int
    seed: int
    files: int
    """How many post files ``posts/`` holds."""
    size_bytes: int
    """Their total length."""
    disk_bytes: int
    """What ``posts/`` takes on disk (blocks allocated, folders included), as ``du`` says."""
    generated_s: float | None
    """How long generating it took just now; None when it was already there."""

    @property
    def posts(self) -> Path:
        """The corpus folder to hand to postil."""
        return self.folder / "posts"


def cache_root() -> Path:
    """Where archives are kept: ``postil-bench`` in the temporary folder ($TMPDIR)."""
    return Path(tempfile.gettempdir()) / "postil-bench"


def disk_usage(folder: Path) -> tuple[int, int]:
    """The total length of the files below ``folder`` and the bytes allocated to them
    and to the folders (``du``'s figure), counting each inode once."""
    size = disk = 0
    seen: set[tuple[int, int]] = set()
    for here, _, names in os.walk(folder):
        for path in (here, *(os.path.join(here, n) for n in names)):
            st = os.lstat(path)
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            disk += st.st_blocks * 512
            if path != here:
                size += st.st_size
    return size, disk


def post_files(folder: Path) -> list[Path]:
    """The ``.md`` files below ``folder``, sorted by path."""
    found = [
        Path(here, n) for here, _, names in os.walk(folder) for n in names if n.endswith(".md")
    ]
    return sorted(found)


def _digest() -> str:
    return hashlib.sha256(Path(gen_archive.__file__).read_bytes()).hexdigest()[:16]


def _cached(folder: Path, n: int, seed: int) -> CachedArchive | None:
    """The archive in ``folder`` if its marker says it is complete and current."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if marker.get("digest") != _digest() or (marker.get("n"), marker.get("seed")) != (n, seed):
        return None
    return CachedArchive(
        folder, n, seed, marker["files"], marker["size_bytes"], marker["disk_bytes"], None
    )


def ensure_archive(
    n: int, seed: int = 0, *, root: Path | None = None, generate: Generator | None = None
) -> CachedArchive:
    """The archive of ``n`` posts for ``seed``: the cached one, else generated now.

    Args:
        n: How many posts.
        seed: The generator's seed.
        root: Where archives are kept (default: ``cache_root()``).
        generate: The generator (default: gen_archive.generate).

    Returns:
        The archive, its edits (if a run was interrupted) undone.
    """
    folder = (root or cache_root()) / f"archive-{n}-{seed}"
    found = _cached(folder, n, seed)
    if found is not None:
        restore_posts(found)
        return found
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    (generate or gen_archive.generate)(folder / "posts", n, seed)
    elapsed = time.perf_counter() - started
    files = len(post_files(folder / "posts"))
    size, disk = disk_usage(folder / "posts")
    marker = {
        "n": n,
        "seed": seed,
        "digest": _digest(),
        "files": files,
        "size_bytes": size,
        "disk_bytes": disk,
    }
    partial = folder / (MARKER + ".part")
    partial.write_text(json.dumps(marker), encoding="utf-8")
    partial.replace(folder / MARKER)
    return CachedArchive(folder, n, seed, files, size, disk, elapsed)


def edit_posts(archive: CachedArchive, chosen: list[Path], token: str) -> None:
    """Change the body of each of ``chosen`` (posts of ``archive``) in place.

    A paragraph holding ``token`` goes before the body's last ``</div>``: the file's
    size, mtime and text change, its front matter does not. Each edit starts from the
    pristine copy, so a new token gives a new file every time.
    """
    pristine = archive.folder / "pristine"
    rels = [str(path.relative_to(archive.posts)) for path in chosen]
    for rel in rels:
        copy = pristine / rel
        if not copy.exists():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(archive.posts / rel, copy)
    listed = archive.folder / EDITED
    old = json.loads(listed.read_text(encoding="utf-8")) if listed.exists() else []
    listed.write_text(json.dumps(sorted(set(old) | set(rels))), encoding="utf-8")
    for rel in rels:
        text = (pristine / rel).read_text(encoding="utf-8")
        cut = text.rfind("</div>")
        cut = len(text) if cut < 0 else cut
        edited = f"{text[:cut]}<p>postil bench edit {token}</p>{text[cut:]}"
        (archive.posts / rel).write_text(edited, encoding="utf-8")


def restore_posts(archive: CachedArchive) -> int:
    """Put back every post ``edit_posts`` changed (content and mtime); return how many."""
    listed = archive.folder / EDITED
    if not listed.exists():
        return 0
    rels = json.loads(listed.read_text(encoding="utf-8"))
    for rel in rels:
        shutil.copy2(archive.folder / "pristine" / rel, archive.posts / rel)
    listed.unlink()
    return len(rels)
