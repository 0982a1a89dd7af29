"""The benchmark archive cache: reused when complete, redone when not, edits undone."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.bench import archive_cache
from tests.bench.archive_cache import (
    MARKER,
    ensure_archive,
    post_files,
    restore_posts,
)
from tests.bench.gen_archive import generate


class CountingGenerator:
    """gen_archive.generate that counts its calls and can fail after writing some posts."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls = 0
        self.fail_after = fail_after

    def __call__(self, folder: Path, n: int, seed: int) -> object:
        self.calls += 1
        if self.fail_after is not None:
            generate(folder, self.fail_after, seed)
            raise KeyboardInterrupt
        return generate(folder, n, seed)


def test_a_complete_archive_is_reused(tmp_path: Path) -> None:
    gen = CountingGenerator()
    first = ensure_archive(12, 3, root=tmp_path, generate=gen)
    again = ensure_archive(12, 3, root=tmp_path, generate=gen)
    assert gen.calls == 1
    assert first.generated_s is not None and again.generated_s is None
    assert again.folder == tmp_path / "archive-12-3"
    assert again.files == len(post_files(again.posts)) == 12
    assert 0 < again.size_bytes <= again.disk_bytes


def test_an_interrupted_generation_is_done_again(tmp_path: Path) -> None:
    try:
        ensure_archive(12, 0, root=tmp_path, generate=CountingGenerator(fail_after=5))
    except KeyboardInterrupt:
        pass
    folder = tmp_path / "archive-12-0"
    assert not (folder / MARKER).exists()
    stray = folder / "posts" / "stray.md"
    stray.write_text("left by the interrupted run", encoding="utf-8")
    gen = CountingGenerator()
    archive = ensure_archive(12, 0, root=tmp_path, generate=gen)
    assert gen.calls == 1
    assert archive.files == 12 and not stray.exists()


def test_a_changed_generator_means_a_new_archive(tmp_path: Path) -> None:
    ensure_archive(4, 0, root=tmp_path)
    marker = tmp_path / "archive-4-0" / MARKER
    marker.write_text(
        json.dumps({**json.loads(marker.read_text()), "digest": "older"}), encoding="utf-8"
    )
    gen = CountingGenerator()
    ensure_archive(4, 0, root=tmp_path, generate=gen)
    assert gen.calls == 1


def test_edited_posts_are_restored_even_after_an_interrupted_run(tmp_path: Path) -> None:
    archive = ensure_archive(6, 0, root=tmp_path)
    chosen = post_files(archive.posts)[::2]
    before = {p: (p.read_bytes(), os.stat(p).st_mtime_ns) for p in chosen}
    archive_cache.edit_posts(archive, chosen, "one")
    archive_cache.edit_posts(archive, chosen, "two")
    for path, (data, _) in before.items():
        text = path.read_text(encoding="utf-8")
        assert "postil bench edit two</p></div>" in text and "edit one" not in text
        assert text.startswith(data.decode("utf-8")[:200])
    # A run killed here leaves the posts edited: opening the archive puts them back.
    again = ensure_archive(6, 0, root=tmp_path)
    assert again.generated_s is None
    assert {p: (p.read_bytes(), os.stat(p).st_mtime_ns) for p in chosen} == before
    assert restore_posts(again) == 0
