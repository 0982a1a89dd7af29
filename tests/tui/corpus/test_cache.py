"""The metadata cache: warm == cold, invalidation, corruption, versions, privacy."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tui.corpus import cache as cache_module
from tui.corpus import parse
from tui.corpus.cache import cache_file
from tui.corpus.loader import load_corpus
from tui.corpus.model import LoadResult

FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "posts", root / "posts")
    shutil.copytree(FIXTURES / "malformed", root / "malformed")
    return root


def read_doc(path: Path) -> Any:
    return cache_module.decode_doc(cache_module.unframe(path.read_bytes()))


def write_doc(path: Path, doc: Any) -> None:
    path.write_bytes(cache_module.frame(cache_module.encode_doc(doc)))


def forbid_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("a file was parsed")

    monkeypatch.setattr("tui.corpus.pool.parse_file", boom)
    monkeypatch.setattr("tui.corpus.parse.load_yaml", boom)
    monkeypatch.setattr("tui.corpus.yamlfast.load_yaml", boom)
    monkeypatch.setattr("yaml.load", boom)


def watch_parsing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the files parsed from now on (a list that fills as loads run)."""
    parsed: list[str] = []
    real = parse.parse_file

    def spy(path: str, rel_path: str, size: int = 0, mtime_ns: int = 0) -> parse.Parsed:
        parsed.append(path)
        return real(path, rel_path, size, mtime_ns)

    monkeypatch.setattr("tui.corpus.pool.parse_file", spy)
    return parsed


def test_warm_load_equals_cold_and_parses_nothing(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = load_corpus([corpus])
    path = cache_file([str(corpus)])
    assert path.is_file()
    forbid_parsing(monkeypatch)
    warm = load_corpus([corpus])
    assert warm == cold
    assert warm.problems and warm.posts


def test_cache_folder_and_file_are_private(corpus: Path) -> None:
    load_corpus([corpus])
    path = cache_file([str(corpus)])
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_changed_file_is_reparsed_alone(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_corpus([corpus])
    target = corpus / "posts" / "full.md"
    target.write_text(target.read_text().replace("Full archive post", "Edited title"))
    parsed = watch_parsing(monkeypatch)
    result = load_corpus([corpus])
    assert parsed == [str(target)]
    assert "Edited title" in {p.title for p in result.posts}


def test_new_and_deleted_files(corpus: Path) -> None:
    first = load_corpus([corpus])
    (corpus / "posts" / "plain.htm").unlink()
    (corpus / "posts" / "new.md").write_text("---\ntitle: Brand new\n---\n")
    second = load_corpus([corpus])
    assert {p.title for p in second.posts} == {p.title for p in first.posts} - {"plain"} | {
        "Brand new"
    }
    doc = read_doc(cache_file([str(corpus)]))
    assert str(corpus / "posts" / "plain.htm") not in doc["path"]
    assert str(corpus / "posts" / "new.md") in doc["path"]


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not json at all {",
        b"[1, 2, 3]",
        b'{"format": 1}',
        b'{"format": 2, "postil": "0.1.0", "roots": [], "path": []}',
        cache_module.frame(b'{"format": 3, "postil": "0.1.0", "roots": [], "path": []}'),
        cache_module.frame(b"[1, 2, 3]"),
        cache_module.frame(b"\x02\x00\x00\x00\x00\x00\x00\x00{}"),
        cache_module.frame(b'\x0d\x00\x00\x00\x00\x00\x00\x00{"columns":7}'),
        cache_module.frame(b'\x1f\x00\x00\x00\x00\x00\x00\x00{"columns":[["path",3,99]]}abc'),
    ],
)
def test_corrupt_cache_is_ignored_and_rebuilt(corpus: Path, damage: bytes) -> None:
    cold = load_corpus([corpus])
    path = cache_file([str(corpus)])
    path.write_bytes(damage)
    assert load_corpus([corpus]) == cold
    assert read_doc(path)["path"]


def test_damaged_file_is_ignored(corpus: Path) -> None:
    """A change that does not match the checksum voids the whole file."""
    cold = load_corpus([corpus])
    path = cache_file([str(corpus)])
    raw = path.read_bytes()
    middle = len(raw) // 2
    edited = raw[:middle] + bytes([raw[middle] ^ 1]) + raw[middle + 1 :]
    path.write_bytes(edited)
    assert load_corpus([corpus]) == cold
    path.write_bytes(raw[: len(raw) // 2])  # cut short
    assert load_corpus([corpus]) == cold
    assert read_doc(path)["path"]  # rewritten whole


def test_unchanged_corpus_is_rebuilt_column_by_column(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = load_corpus([corpus])

    def boom(*args: object) -> None:
        raise AssertionError("a row was read on its own")

    monkeypatch.setattr(cache_module.MetadataCache, "get", boom)
    assert load_corpus([corpus]) == cold


def test_damaged_entries_are_misses(corpus: Path) -> None:
    """Row by row (some file changed), values of the wrong type are misses, not crashes."""
    cold = load_corpus([corpus])
    path = cache_file([str(corpus)])
    doc = read_doc(path)
    for row in range(5):
        doc["tags"][row] = 10**6  # no such tag set
        doc["author"][row] = -1
    doc["tagsets"][doc["categories"][6]] = "garbage"
    doc["problems"]["0"] = "garbage"
    write_doc(path, doc)
    (corpus / "posts" / "zz-new.md").write_text("---\ntitle: New\n---\n")
    warm = load_corpus([corpus])
    assert [p for p in warm.posts if p.title != "New"] == cold.posts
    assert warm.problems == cold.problems
    doc["title"].pop()  # columns of different lengths: the whole cache is ignored
    write_doc(path, doc)
    assert load_corpus([corpus]) == warm


@pytest.mark.parametrize(("field", "value"), [("format", 0), ("postil", "0.0.1-old")])
def test_older_version_is_ignored(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, field: str, value: object
) -> None:
    load_corpus([corpus])
    path = cache_file([str(corpus)])
    doc = read_doc(path)
    doc[field] = value
    write_doc(path, doc)
    parsed = watch_parsing(monkeypatch)
    load_corpus([corpus])
    assert len(parsed) > 10  # everything re-parsed
    assert read_doc(path)[field] == getattr(
        cache_module, "FORMAT_VERSION" if field == "format" else "__version__"
    )


def test_use_cache_false_neither_reads_nor_writes(corpus: Path) -> None:
    load_corpus([corpus], use_cache=False)
    assert not cache_file([str(corpus)]).exists()


def test_one_cache_per_root_set(corpus: Path) -> None:
    a, b = str(corpus / "posts"), str(corpus / "malformed")
    assert cache_file([a, b]) == cache_file([b, a])
    assert cache_file([a]) != cache_file([a, b])


def test_unwritable_cache_folder_is_not_an_error(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    monkeypatch.setattr("tui.locations.cache_dir", lambda: blocker / "sub")
    assert load_corpus([corpus]).posts


def test_permission_problems_are_not_cached(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = str(corpus / "posts" / "full.md")
    real_open = os.open

    def guarded(path: str | os.PathLike[str], flags: int, *args: int) -> int:
        if os.fspath(path) == target:
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args)

    from tui.corpus import files

    monkeypatch.setattr(files, "_open_fd", guarded)
    first = load_corpus([corpus])
    assert any(p.path == target and p.kind == "unreadable" for p in first.problems)
    monkeypatch.undo()
    second = load_corpus([corpus])
    assert target in {p.path for p in second.posts}


# -- the last load shown first (`on_cached`) and the scan in a child ------------------------


def test_cached_posts_are_offered_first_and_reused_when_nothing_changed(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cold = load_corpus([corpus])
    forbid_parsing(monkeypatch)
    offered: list[LoadResult] = []
    warm = load_corpus([corpus], on_cached=offered.append)
    [early] = offered
    assert early.posts == cold.posts
    assert warm.posts is early.posts  # the caller can tell that nothing changed
    assert warm == cold
    # The early problems are the files' own (no scan of links and folders yet).
    assert set(early.problems) <= set(cold.problems)
    assert [p.path for p in early.problems] == sorted(p.path for p in early.problems)


def test_no_cache_offers_nothing_first(corpus: Path) -> None:
    offered: list[LoadResult] = []
    load_corpus([corpus], on_cached=offered.append)
    assert offered == []
    load_corpus([corpus], use_cache=False, on_cached=offered.append)
    assert offered == []


def test_a_change_since_the_cache_gives_new_posts_after_the_old(corpus: Path) -> None:
    load_corpus([corpus])
    target = corpus / "posts" / "full.md"
    target.write_text(target.read_text().replace("Full archive post", "Edited title"))
    (corpus / "posts" / "plain.htm").unlink()
    offered: list[LoadResult] = []
    result = load_corpus([corpus], on_cached=offered.append)
    [early] = offered
    assert "Full archive post" in {p.title for p in early.posts}
    assert "plain" in {p.title for p in early.posts}
    titles = {p.title for p in result.posts}
    assert "Edited title" in titles and "plain" not in titles
    assert result.posts is not early.posts
    assert result == load_corpus([corpus], use_cache=False)


@pytest.mark.parametrize("forked", [True, False])
def test_scan_in_a_child_or_here_loads_the_same(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, forked: bool
) -> None:
    from tui.corpus import prescan

    monkeypatch.setattr(prescan, "CHILD_ENABLED", forked)
    cold = load_corpus([corpus])
    (corpus / "posts" / "new.md").write_text("---\ntitle: Brand new\n---\n")
    changed = load_corpus([corpus])
    warm = load_corpus([corpus])
    assert warm == changed == load_corpus([corpus], use_cache=False)
    assert len(changed.posts) == len(cold.posts) + 1


def test_cache_rows_keep_where_the_relative_path_starts(corpus: Path) -> None:
    cold = load_corpus([corpus])
    doc = read_doc(cache_file([str(corpus)]))
    starts = dict(zip(doc["path"], doc["start"], strict=True))
    for post in cold.posts:
        assert post.path[starts[post.path] :] == post.rel_path


def test_after_the_cached_posts_a_change_still_reparses_only_that_file(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_corpus([corpus])
    target = corpus / "posts" / "full.md"
    target.write_text(target.read_text().replace("Full archive post", "Edited title"))
    parsed = watch_parsing(monkeypatch)
    offered: list[LoadResult] = []
    result = load_corpus([corpus], on_cached=offered.append)
    assert offered and parsed == [str(target)]
    assert result == load_corpus([corpus], use_cache=False)


def test_a_cache_saved_meanwhile_by_another_load_is_reused(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another postil saving between the cached list and the check: its rows count."""
    load_corpus([corpus])
    new = corpus / "posts" / "new.md"
    new.write_text("---\ntitle: Brand new\n---\n")
    parsed = watch_parsing(monkeypatch)

    def another_load(early: LoadResult) -> None:
        load_corpus([corpus])

    result = load_corpus([corpus], on_cached=another_load)
    assert parsed == [str(new)]  # by the other load only: this one reused its rows
    assert result == load_corpus([corpus], use_cache=False)


def test_a_child_scans_only_when_there_is_a_cache_to_read_meanwhile(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.corpus import prescan

    started: list[bool] = []
    real = prescan.PendingScan.start

    def spy(self: prescan.PendingScan) -> None:
        started.append(True)
        real(self)

    monkeypatch.setattr(prescan.PendingScan, "start", spy)
    load_corpus([corpus], use_cache=False)
    load_corpus([corpus])  # the first: no cache yet
    assert started == []
    load_corpus([corpus])
    assert started == [True]


def test_a_detached_process_writes_the_cache_after_the_load_returns(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from tui.corpus import loader

    monkeypatch.setattr(loader, "SAVE_DETACHED", True)
    monkeypatch.setattr("tui.corpus.prescan._can_fork", lambda: True)  # leftover threads
    path = cache_file([str(corpus)])
    cold = load_corpus([corpus])
    deadline = time.monotonic() + 30
    while not path.is_file() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert path.is_file(), "the detached process never wrote the cache"
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
    forbid_parsing(monkeypatch)
    assert load_corpus([corpus]) == cold  # the detached write is a whole, usable cache


def test_run_detached_runs_the_work_apart_and_returns_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from tui.corpus import prescan
    from tui.corpus.prescan import run_detached

    # Fork even if an earlier test left an idle thread behind.
    monkeypatch.setattr(prescan, "_can_fork", lambda: True)

    go, done = tmp_path / "go", tmp_path / "done"

    def work() -> None:
        # Waits for a file made only once run_detached has returned: had it waited for
        # the work, the work would give up and write first.
        deadline = time.monotonic() + 30
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        (tmp_path / "tmp").write_text(f"{os.getpid()} {go.exists()}")
        (tmp_path / "tmp").rename(done)

    assert run_detached(work)
    assert not done.exists()
    go.touch()
    deadline = time.monotonic() + 30
    while not done.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    pid, saw_go = done.read_text().split()
    assert saw_go == "True" and int(pid) != os.getpid()


def test_the_cache_is_framed_part_by_part_as_when_joined() -> None:
    """`save` writes the document's parts after `frame_line` (no joined copy): the same
    bytes `frame` gives for the joined document."""
    parts = [b"\x02\x00\x00\x00\x00\x00\x00\x00{}", b"column one", b"", b"\x00\xff" * 1000]
    joined = b"".join(parts)
    assert cache_module.frame_line(parts) + joined == cache_module.frame(joined)
    assert cache_module.unframe(cache_module.frame_line(parts) + joined) == joined
