"""Every real-world post loads with a title and a date, or is reported as a problem."""

from __future__ import annotations

import pytest

from tests.conftest import REALWORLD
from tests.corpus_posts import load_corpus

pytestmark = pytest.mark.skipif(
    not REALWORLD.is_dir(), reason=f"the real-world archive {REALWORLD} is absent on this machine"
)


def test_every_realworld_file_loads_or_is_reported() -> None:
    result = load_corpus([REALWORLD])
    files = {
        str(p)
        for p in REALWORLD.rglob("*")
        if p.suffix.lower() in (".md", ".markdown", ".html", ".htm") and p.is_file()
    }
    readme = str(REALWORLD / "README.md")  # the folder's own notes, not a post
    listed = {p.path for p in result.posts}
    reported = {p.path for p in result.problems}
    assert listed | reported == files
    assert len(files) > 100
    for post in result.posts:
        if post.path == readme:
            continue
        assert post.title.strip(), post.path
        assert post.date is not None or post.path in reported, post.path
        assert post.date is None or post.date.tzinfo is not None


def test_realworld_layouts_give_the_expected_fields() -> None:
    result = load_corpus([REALWORLD])
    by_folder: dict[str, list[str]] = {}
    for post in result.posts:
        by_folder.setdefault(post.rel_path.split("/", 1)[0], []).append(post.source or "")
    # No-front-matter archives take their source URL from the [title](url) header.
    assert all(s.startswith("http") for s in by_folder["duty-machine-chinadigitaltimes"])
    assert len({p.id for p in result.posts}) == len(result.posts)
