"""Keeping the index up to date: only what changed is read, renames keep their key, and a
damaged, older, newer or half-written index is rebuilt or completed, never trusted."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tui.conftest import FIXED_POSTS, write_posts
from tui.corpus import parse as parse_module
from tui.corpus.ids import derived_id, post_id
from tui.corpus.index import CorpusIndex, IndexFailed
from tui.corpus.index import sync as sync_module
from tui.corpus.index.build import build
from tui.corpus.index.db import FILES_INDEXES, FORMAT, Stage
from tui.corpus.index.sync import SyncReport
from tui.corpus.query import parse_query


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_posts(tmp_path / "posts", FIXED_POSTS)


def titles(index: CorpusIndex) -> list[str]:
    return [post.title for post in index.db.posts_newest_first()]


def indexes(index: CorpusIndex) -> set[str]:
    rows = index.db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
    return {row[0] for row in rows} & set(FILES_INDEXES)


def parsed_paths(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every file the sync parses from now on."""
    seen: list[str] = []
    real = parse_module.parse_fields

    def watched(path: str, rel_start: int):  # type: ignore[no-untyped-def]
        seen.append(path)
        return real(path, rel_start)

    monkeypatch.setattr(parse_module, "parse_fields", watched)
    return seen


def test_a_second_sync_reads_nothing(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = CorpusIndex([folder])
    first = index.sync(workers=1)
    assert first.added == len(FIXED_POSTS) and not first.removed
    seen = parsed_paths(monkeypatch)
    again = index.sync(workers=1)
    assert not again.touched and seen == []


def test_edits_additions_and_deletions_are_all_that_is_read(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = CorpusIndex([folder])
    index.sync(workers=1)
    river = folder / "2023-10-26-river.md"
    river.write_text(river.read_text().replace("The river at night", "The river at dawn"))
    os.utime(river, ns=(1, 1))  # an edit that keeps the size: the time tells
    (folder / "2024-01-02-new.md").write_text("---\ntitle: A new post\ndate: 2024-01-02\n---\nx\n")
    gone = next(folder.glob("*markup*"))
    gone.unlink()
    seen = parsed_paths(monkeypatch)
    report = index.sync(workers=1)
    assert (report.added, report.changed, report.removed) == (1, 1, 1)
    assert sorted(Path(p).name for p in seen) == ["2023-10-26-river.md", "2024-01-02-new.md"]
    assert "The river at dawn" in titles(index) and "A new post" in titles(index)
    assert len(titles(index)) == len(FIXED_POSTS)


def test_a_renamed_file_keeps_its_key_and_its_place_in_the_engine(folder: Path) -> None:
    index = CorpusIndex([folder])
    build(index, lambda event: None, workers=1)
    river = folder / "2023-10-26-river.md"
    before = index.db.post_at_path(str(river))
    assert before is not None
    key = index.db.keys_of_ids([before.id])
    river.rename(folder / "renamed-river.md")
    report = index.sync(workers=1)
    after = index.db.find_post(before.id)  # its id comes from its source URL
    assert after is not None and after.path.endswith("renamed-river.md")
    assert index.db.keys_of_ids([before.id]) == key
    assert (report.added, report.removed, report.renamed) == (0, 0, [])
    stages = index.db.conn.execute("SELECT stage FROM files WHERE key = ?", key).fetchone()
    assert stages[0] == Stage.TEXT  # nothing to index again
    found = index.search(parse_query("river night"))
    assert index.db.posts_by_key(found.keys()) == [after]


def test_a_renamed_post_without_a_source_reports_its_new_id(tmp_path: Path) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "a.md").write_text("---\ntitle: No source\ndate: 2020-01-01\n---\nbody\n")
    index = CorpusIndex([folder])
    index.sync(workers=1)
    old = index.db.posts_newest_first()[0].id
    (folder / "a.md").rename(folder / "b.md")
    report = index.sync(workers=1)
    new = index.db.posts_newest_first()[0].id
    assert old != new and report.renamed == [(old, new)]


def test_a_removed_folder_removes_its_posts(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    items = list(FIXED_POSTS.items())
    write_posts(root / "one", dict(items[:2]))
    write_posts(root / "two", dict(items[2:4]))
    index = CorpusIndex([root])
    index.sync(workers=1)
    assert len(titles(index)) == 4
    for path in (root / "two").iterdir():
        path.unlink()
    (root / "two").rmdir()
    report = index.sync(workers=1)
    assert report.removed == 2 and len(titles(index)) == 2


def sync_killed_after_a_batch(folder: Path, monkeypatch: pytest.MonkeyPatch) -> CorpusIndex:
    """The index of ``folder`` after a sync that wrote its first two files in a
    transaction of their own and was killed before its next one."""
    monkeypatch.setattr(sync_module, "BATCH", 2)
    monkeypatch.setattr(sync_module, "CHUNK", 1)
    real = sync_module._write_batch
    calls = [0]

    def dies_after_one(*args: object) -> None:
        if calls[0] == 1:
            raise KeyboardInterrupt  # as a kill between two transactions
        calls[0] += 1
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(sync_module, "_write_batch", dies_after_one)
    killed = CorpusIndex([folder])
    with pytest.raises(KeyboardInterrupt):
        killed.sync(workers=1)
    monkeypatch.setattr(sync_module, "_write_batch", real)
    return killed


def test_a_sync_killed_midway_is_completed_by_the_next(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    killed = sync_killed_after_a_batch(folder, monkeypatch)
    assert 0 < killed.db.post_count() < len(FIXED_POSTS)
    assert indexes(killed) == set()  # a first sync makes them at its end
    killed.close()
    index = CorpusIndex([folder])
    assert indexes(index) == set(FILES_INDEXES) and index.notices == []
    index.sync(workers=1)
    listed = titles(index)
    assert len(listed) == len(set(listed)) == len(FIXED_POSTS)


def test_a_damaged_database_is_rebuilt_with_a_notice(folder: Path) -> None:
    index = CorpusIndex([folder])
    index.sync(workers=1)
    path = index.db.folder / "posts.sqlite3"
    index.close()
    path.write_bytes(b"not a database at all" * 100)
    fresh = CorpusIndex([folder])
    assert any("rebuilding the search index" in n for n in fresh.notices)
    fresh.sync(workers=1)
    assert len(titles(fresh)) == len(FIXED_POSTS)


@pytest.mark.parametrize(("written", "why"), [(FORMAT - 1, "older"), (FORMAT + 1, "newer")])
def test_an_index_of_another_format_is_rebuilt(folder: Path, written: int, why: str) -> None:
    index = CorpusIndex([folder])
    index.sync(workers=1)
    with index.db.writing() as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'format'", (str(written),))
    index.close()
    fresh = CorpusIndex([folder])
    assert any(
        f"written by an {why} postil" in n or f"written by a {why} postil" in n
        for n in fresh.notices
    ), fresh.notices
    assert fresh.db.post_count() == 0  # nothing of it is trusted
    fresh.sync(workers=1)
    assert len(titles(fresh)) == len(FIXED_POSTS)


def test_a_lost_engine_is_filled_again(folder: Path) -> None:
    index = CorpusIndex([folder])
    build(index, lambda event: None, workers=1)
    index.close()
    import shutil

    shutil.rmtree(index.db.folder / "text")
    again = CorpusIndex([folder])
    assert again.stage_counts()[1] == len(FIXED_POSTS)  # the database still says so...
    _ = again.engine  # ...until the engine is opened and found empty
    assert again.stage_counts()[1:] == (0, 0)
    build(again, lambda event: None, workers=1)
    found = again.search(parse_query("river"))
    assert found.count >= 1


def test_a_damaged_engine_is_rebuilt(folder: Path) -> None:
    index = CorpusIndex([folder])
    build(index, lambda event: None, workers=1)
    index.close()
    (index.db.folder / "text" / "meta.json").write_text("{ damaged")
    again = CorpusIndex([folder])
    _ = again.engine
    assert any("rebuilding the search index" in n for n in again.notices)
    build(again, lambda event: None, workers=1)
    assert again.search(parse_query("river")).count >= 1


def test_a_killed_text_indexer_leaves_what_it_committed(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.corpus.index import feed

    monkeypatch.setattr(feed, "TEXT_BATCH", 2)
    monkeypatch.setattr(feed, "TEXT_CHUNK", 1)
    index = CorpusIndex([folder])
    index.sync(workers=1)
    index.feed_fields()
    batches = [0]

    def stop() -> bool:
        batches[0] += 1
        return batches[0] > 2

    index.feed_text(workers=1, should_stop=stop)
    total, _, with_text = index.stage_counts()
    assert 0 < with_text < total
    index.feed_text(workers=1)
    assert index.stage_counts() == (total, total, total)
    assert index.engine.searcher().num_docs == total  # each post once


def test_a_full_disk_keeps_the_last_index_and_says_so(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = CorpusIndex([folder])
    index.sync(workers=1)
    before = titles(index)
    (folder / "2024-01-02-new.md").write_text("---\ntitle: A new post\ndate: 2024-01-02\n---\n")

    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(sync_module, "_write_rows", full)
    with pytest.raises(IndexFailed, match="the disk is full"):
        index.sync(workers=1)
    assert titles(index) == before


def test_the_index_is_private(folder: Path) -> None:
    index = CorpusIndex([folder])
    build(index, lambda event: None, workers=1)
    assert stat.S_IMODE(index.db.folder.stat().st_mode) == 0o700
    for path in index.db.folder.rglob("*"):
        if path.is_file() and path.stat().st_size:
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


SAME_SOURCE = "https://example.com/news/mirrored.htm"


def test_posts_of_one_source_get_distinct_ids_the_first_the_plain_one(tmp_path: Path) -> None:
    """An article mirrored in three files: the first by path keeps the source's id; when
    it goes, the next one takes that id."""
    post = "---\ntitle: {}\ndate: 2020-01-0{}\nfrom: " + SAME_SOURCE + "\n---\n<p>x</p>\n"
    folder = write_posts(
        tmp_path / "posts",
        {"a.md": post.format("A", 1), "b.md": post.format("B", 2), "c.md": post.format("C", 3)},
    )
    index = CorpusIndex([folder])
    index.sync(workers=1)
    ids = {p.title: p.id for p in index.db.posts_newest_first()}
    assert ids == {
        "A": post_id(SAME_SOURCE, "a.md"),
        "B": derived_id(SAME_SOURCE, "b.md"),
        "C": derived_id(SAME_SOURCE, "c.md"),
    }
    (folder / "a.md").unlink()
    index.sync(workers=1)
    ids = {p.title: p.id for p in index.db.posts_newest_first()}
    assert ids == {"B": post_id(SAME_SOURCE, "b.md"), "C": derived_id(SAME_SOURCE, "c.md")}


def test_ids_a_killed_sync_wrote_are_settled_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync settles the ids of the sources its changes touch; after a killed one, of
    every source, since the rows it wrote are not among the next sync's changes."""
    post = "---\ntitle: {}\nfrom: {}\n---\n<p>x</p>\n"
    other = "https://example.com/news/other.htm"
    folder = write_posts(tmp_path / "posts", {"a.md": post.format("A", SAME_SOURCE)})
    CorpusIndex([folder]).sync(workers=1)
    for name, source in (("b", SAME_SOURCE), ("c", SAME_SOURCE), ("d", other), ("e", other)):
        (folder / f"{name}.md").write_text(post.format(name.upper(), source), "utf-8")
    sync_killed_after_a_batch(folder, monkeypatch).close()  # b and c written, not settled
    index = CorpusIndex([folder])
    index.sync(workers=1)  # reads d and e only
    ids = {p.title: p.id for p in index.db.posts_newest_first()}
    assert ids == {
        "A": post_id(SAME_SOURCE, "a.md"),
        "B": derived_id(SAME_SOURCE, "b.md"),
        "C": derived_id(SAME_SOURCE, "c.md"),
        "D": post_id(other, "d.md"),
        "E": derived_id(other, "e.md"),
    }


NAMES = ("a.md", "b.md", "c.md", "d/a.md", "d/z.md", "e.md")
SOURCES = (None, SAME_SOURCE, "https://example.com/news/other.htm")
Step = tuple[str, int, int, int]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["write", "remove", "rename"]),
            st.integers(0, len(NAMES) - 1),
            st.integers(0, len(NAMES) - 1),
            st.integers(0, len(SOURCES) - 1),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_ids_after_any_changes_are_those_of_a_first_sync(steps: list[Step]) -> None:
    """Each sync gives new ids only to the posts of the sources its changes touched;
    whatever the changes (files added, edited to another source, removed, renamed before
    or after the others of their source), the ids are those a sync from nothing gives."""
    import shutil
    import tempfile

    from tui import locations

    def synced_ids(folder: Path) -> dict[str, str]:
        index = CorpusIndex([folder])
        try:
            index.sync(workers=1)
            return {
                str(Path(p.path).relative_to(folder)): p.id for p in index.db.posts_newest_first()
            }
        finally:
            index.close()

    shutil.rmtree(locations.cache_dir(), ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "posts"
        (folder / "d").mkdir(parents=True)
        tick = 1_600_000_000
        for name in NAMES[:3]:
            post = f"---\ntitle: {name}\nfrom: {SAME_SOURCE}\n---\n<p>x</p>\n"
            (folder / name).write_text(post, encoding="utf-8")
        synced_ids(folder)
        for op, first, second, source in steps:
            path, other = folder / NAMES[first], folder / NAMES[second]
            if op == "write":
                tick += 10
                line = "" if SOURCES[source] is None else f"from: {SOURCES[source]}\n"
                path.write_text(f"---\ntitle: t{tick}\n{line}---\n<p>x</p>\n", "utf-8")
                os.utime(path, (tick, tick))
            elif op == "remove" and path.exists():
                path.unlink()
            elif op == "rename" and path.exists() and not other.exists():
                path.rename(other)
            synced_ids(folder)
        incremental = synced_ids(folder)
        shutil.rmtree(locations.cache_dir())
        assert incremental == synced_ids(folder)


def test_an_index_of_this_format_without_the_base_ids_index_gets_it_in_place(
    folder: Path,
) -> None:
    """Written before the base ids had an index: it is added, nothing is rebuilt."""
    index = CorpusIndex([folder])
    index.sync(workers=1)
    with index.db.writing() as conn:
        conn.execute("DROP INDEX files_base")
    index.close()
    fresh = CorpusIndex([folder])
    assert fresh.notices == []
    assert fresh.db.post_count() == len(FIXED_POSTS)
    plan = fresh.db.conn.execute(
        "EXPLAIN QUERY PLAN SELECT key FROM files WHERE base_id = ?", ("x",)
    ).fetchall()
    assert "files_base" in str(plan)


def test_a_first_sync_writes_its_rows_before_the_indexes(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = CorpusIndex([folder])
    present: list[set[str]] = []
    real = sync_module._write_rows

    def watched(conn: sqlite3.Connection, *args: object) -> None:
        present.append(indexes(index))
        real(conn, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(sync_module, "_write_rows", watched)
    index.sync(workers=1)
    assert present and all(not names for names in present)
    assert indexes(index) == set(FILES_INDEXES)
    # A later sync writes into the indexes as they are.
    present.clear()
    (folder / "2023-10-26-river.md").write_text("---\ntitle: The river again\n---\n<p>x</p>\n")
    index.sync(workers=1)
    assert present and all(names == set(FILES_INDEXES) for names in present)
    plan = index.db.conn.execute(
        "EXPLAIN QUERY PLAN SELECT key FROM files WHERE base_id IS NOT NULL ORDER BY sort_new"
    ).fetchall()
    assert "files_new" in str(plan)


def hold_sync_lock(folder: Path) -> int:
    """Take the sync lock of ``folder``'s index as another process syncing it would."""
    index = CorpusIndex([folder])
    fd = os.open(index.db.folder / "sync.lock", os.O_CREAT | os.O_RDWR, 0o600)
    index.close()
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_a_sync_waits_while_another_process_syncs_the_same_index(folder: Path) -> None:
    held = hold_sync_lock(folder)
    said = threading.Event()
    reports: list[SyncReport] = []

    def sync() -> None:  # a connection belongs to its thread
        reports.append(CorpusIndex([folder]).sync(workers=1, waiting=said.set))

    thread = threading.Thread(target=sync)
    thread.start()
    try:
        assert said.wait(10)
        thread.join(0.3)
        assert thread.is_alive() and not reports  # it waits, having said so
    finally:
        os.close(held)
    thread.join(30)
    assert len(reports) == 1 and reports[0].added == len(FIXED_POSTS)


def rewrite_row(index: CorpusIndex, key: int, title: str, stage: int) -> None:
    """Rewrite a post's row as another process's sync does when its file was edited."""
    with index.db.writing() as conn:
        conn.execute(
            "UPDATE files SET title = ?, size = size + 1, stage = ? WHERE key = ?",
            (title, stage, key),
        )


def test_the_fields_report_their_progress_as_they_go(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 500k posts the fields take ~45 s: a filter waiting for them, and ``ls -q``,
    say how far they are."""
    from tui.corpus.index import feed

    monkeypatch.setattr(feed, "FIELDS_BATCH", 4)
    monkeypatch.setattr(feed, "FIELDS_PROGRESS_EVERY", 2)
    index = CorpusIndex([folder])
    index.sync(workers=1)
    steps: list[tuple[int, int]] = []
    assert index.feed_fields(progress=lambda done, total: steps.append((done, total))) == 6
    assert steps == [(0, 6), (2, 6), (4, 6), (4, 6), (6, 6), (6, 6)]
    steps.clear()
    assert index.feed_fields(progress=lambda done, total: steps.append((done, total))) == 0
    assert steps == []  # nothing to do, nothing said
    index.db.conn.execute("UPDATE files SET stage = ?", (Stage.NONE,))
    events: list[str] = []
    build(index, lambda event: events.append(event.phase), workers=1)
    assert events.index("fields_progress") < events.index("fields") < events.index("done")


def test_fields_indexed_from_a_row_another_sync_rewrote_meanwhile_are_indexed_again(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.corpus.index import feed

    index = CorpusIndex([folder])
    index.sync(workers=1)
    real = feed.make_document  # type: ignore[attr-defined]
    rewritten: list[int] = []

    def meanwhile(post: Any, key: int, body: Any) -> Any:
        if not rewritten:  # the first post's file is edited and synced by another process
            rewritten.append(key)
            rewrite_row(index, key, "Zanzibar harbour", Stage.NONE)
        return real(post, key, body)

    monkeypatch.setattr(feed, "make_document", meanwhile)
    index.feed_fields()
    assert index.search(parse_query("title:zanzibar")).count == 1
    assert index.stage_counts()[1] == len(FIXED_POSTS)


def test_text_indexed_from_a_row_another_sync_rewrote_meanwhile_is_left_to_the_next_run(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.corpus.index import feed

    index = CorpusIndex([folder])
    index.sync(workers=1)
    index.feed_fields()
    real = feed._text_chunk
    rewritten: list[int] = []

    def meanwhile(rows: list[Any]) -> Any:
        out = real(rows)
        if not rewritten:  # edited, synced and its fields indexed by another process
            rewritten.append(rows[0][0])
            rewrite_row(index, rows[0][0], "Zanzibar harbour", Stage.FIELDS)
        return out

    monkeypatch.setattr(feed, "_text_chunk", meanwhile)
    index.feed_text(workers=1)
    (stage,) = index.db.conn.execute(
        "SELECT stage FROM files WHERE key = ?", (rewritten[0],)
    ).fetchone()
    assert stage == Stage.FIELDS  # not marked as indexed with the row read before
    assert index.stage_counts()[2] == len(FIXED_POSTS) - 1


def steps_to_find_nothing_to_index(folder: Path, posts: int) -> int:
    """SQLite's steps (in tens of VM instructions) for the fields and text stages to look
    for posts to index in an index of ``posts`` posts, all fully indexed."""
    write_posts(
        folder,
        {
            f"2020-01-01-post-{n}.md": f"---\ntitle: Post {n}\n---\n<p>Words {n}.</p>\n"
            for n in range(posts)
        },
    )
    index = CorpusIndex([folder])
    index.sync(workers=1)
    index.feed_fields()
    with index.db.writing() as conn:  # as if the text were indexed: no rendering here
        conn.execute("UPDATE files SET stage = ?", (Stage.TEXT,))
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    from tui.corpus.index.feed import _unindexed_chunks

    index.db.conn.set_progress_handler(count, 10)
    assert index.feed_fields() == 0
    assert list(_unindexed_chunks(index.db)) == []  # what the text stage looks for
    index.db.conn.set_progress_handler(None, 10)
    return steps[0]


def test_the_stages_find_the_posts_left_to_index_without_reading_the_others(
    tmp_path: Path,
) -> None:
    """At 500k posts, reading every row to find none left cost 1.25 s a run."""
    few = steps_to_find_nothing_to_index(tmp_path / "few", 5)
    many = steps_to_find_nothing_to_index(tmp_path / "many", 500)
    assert many < few + 50, (few, many)
