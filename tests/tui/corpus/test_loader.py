"""load_corpus, resolve_post and load_single."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tui.corpus import pool
from tui.corpus.errors import CorpusError, PostNotFound
from tui.corpus.ids import post_id
from tui.corpus.loader import load_corpus, load_single, resolve_post
from tui.corpus.model import LoadResult
from tui.corpus.scan import MissingPath

POSTS = ROOT / "tests" / "fixtures" / "posts"
MALFORMED = ROOT / "tests" / "fixtures" / "malformed"


def test_loads_every_fixture_newest_first() -> None:
    result = load_corpus([POSTS], use_cache=False)
    assert result.problems == []
    assert result.roots == [str(POSTS)]
    assert len(result.posts) == 16
    dates = [p.date for p in result.posts]
    dated = [d for d in dates if d is not None]
    assert dated == sorted(dated, reverse=True)
    assert dates[-1] is None  # undated last
    assert all(p.title for p in result.posts)
    assert "nested/deeper/2022-02-02-epoch.md" in {p.rel_path for p in result.posts}


def test_duplicate_sources_get_distinct_stable_ids() -> None:
    result = load_corpus([POSTS], use_cache=False)
    ids = [p.id for p in result.posts]
    assert len(set(ids)) == len(ids)
    dups = sorted(
        (p for p in result.posts if p.source == "https://same.example.com/article"),
        key=lambda p: p.path,
    )
    assert [p.rel_path for p in dups] == ["dup-source-a.md", "dup-source-b.md"]
    assert dups[0].id == post_id(dups[0].source, "ignored")  # the first keeps the plain id
    assert dups[1].id != dups[0].id
    again = load_corpus([POSTS], use_cache=False)
    assert [p.id for p in again.posts] == ids


def test_ids_do_not_depend_on_the_machine_path(tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere"
    shutil.copytree(POSTS, copy)
    here = {p.rel_path: p.id for p in load_corpus([POSTS], use_cache=False).posts}
    there = {p.rel_path: p.id for p in load_corpus([copy], use_cache=False).posts}
    assert here == there


def test_malformed_corpus_never_crashes_and_drops_nothing() -> None:
    result = load_corpus([MALFORMED], use_cache=False)
    listed = {p.path for p in result.posts}
    problem_paths = {p.path for p in result.problems}
    all_files = {str(p) for p in MALFORMED.rglob("*.md")}
    assert listed | problem_paths == all_files
    kinds = {p.kind for p in result.problems}
    assert kinds == {"yaml", "not-mapping", "encoding", "empty", "binary", "fields"}
    for problem in result.problems:
        assert (problem.path in listed) == problem.recovered


def test_progress_is_reported(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    load_corpus([POSTS], use_cache=False, progress=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1] == (16, 16)
    assert all(t == 16 and 0 <= d <= t for d, t in calls)


def test_missing_path_is_a_corpus_error(tmp_path: Path) -> None:
    with pytest.raises(MissingPath):
        load_corpus([tmp_path / "missing"])


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_worker_pool_gives_the_same_result(monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    monkeypatch.setattr(pool, "_start_method", lambda: method)
    monkeypatch.setattr(pool, "POOL_THRESHOLD", 2)
    monkeypatch.setattr(pool, "_CHUNK", 5)
    serial = load_corpus([POSTS, MALFORMED], use_cache=False, workers=1)
    real = pool.ScanFeed._start
    used: list[bool] = []

    def spy(self: pool.ScanFeed) -> object:
        out = real(self)
        used.append(out is not None)
        return out

    monkeypatch.setattr(pool.ScanFeed, "_start", spy)
    calls: list[tuple[int, int]] = []
    pooled = load_corpus(
        [POSTS, MALFORMED], use_cache=False, workers=2, progress=lambda d, t: calls.append((d, t))
    )
    assert used == [True]
    assert pooled == serial
    assert calls[-1] == (len(serial.posts) + 6, len(serial.posts) + 6)


def test_resolve_post_by_id_prefix_and_path() -> None:
    result = load_corpus([POSTS], use_cache=False)
    post = next(p for p in result.posts if p.rel_path == "full.md")
    assert resolve_post(post.id, result) is post
    assert resolve_post(post.id.upper(), result) is post
    prefix = post.id[:6]
    if sum(p.id.startswith(prefix) for p in result.posts) == 1:
        assert resolve_post(prefix, result) is post
    assert resolve_post(str(POSTS / "full.md"), result) is post


def test_resolve_post_ambiguous_and_unknown() -> None:
    result = load_corpus([POSTS], use_cache=False)
    with pytest.raises(PostNotFound, match="no post file or post id"):
        resolve_post("zzzz", result)
    with pytest.raises(PostNotFound, match="matches"):
        resolve_post(_shared_prefix(result), result)


def _shared_prefix(result: LoadResult) -> str:
    for length in range(3, 0, -1):
        seen: dict[str, int] = {}
        for p in result.posts:
            seen[p.id[:length]] = seen.get(p.id[:length], 0) + 1
        shared = [k for k, n in seen.items() if n > 1]
        if shared:
            return shared[0]
    raise AssertionError("16 random ids always share a 1-character prefix")


def test_resolve_post_outside_corpus_loads_the_file(tmp_path: Path) -> None:
    result = load_corpus([POSTS], use_cache=False)
    path = tmp_path / "outside.md"
    path.write_text("---\ntitle: Outside\n---\nbody\n")
    assert resolve_post(str(path), result).title == "Outside"


def test_load_single() -> None:
    post = load_single(POSTS / "full.md")
    assert post.title == "Full archive post" and post.rel_path == "full.md"
    with pytest.raises(CorpusError, match="binary"):
        load_single(MALFORMED / "binary.md")
    with pytest.raises(CorpusError, match="no file or folder"):
        load_single(MALFORMED / "missing.md")


def test_file_names_that_are_not_utf8(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path)
    with open(os.path.join(folder, b"bad\xffname.md"), "wb") as f:
        f.write(b"---\ntitle: ok\n---\n")
    with open(os.path.join(folder, b"2020-01-01-x\xfe.md"), "wb") as f:
        f.write(b"no front matter\n")
    for _ in range(2):  # cold, then warm (those rows are simply not cached)
        result = load_corpus([tmp_path])
        assert sorted(p.title for p in result.posts) == ["ok", "x\ufffd"]
        assert result.problems == []
        assert all(os.path.exists(p.path) for p in result.posts)
