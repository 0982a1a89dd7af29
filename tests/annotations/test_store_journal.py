"""The journal beside the store file: appends, replay, torn tails, corruption, compaction."""

from __future__ import annotations

import errno
import os
import random
import stat
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
import tinydb

from annotations import journal
from annotations.journal import encode_record, parse_records
from annotations.store import (
    AnnotationStore,
    DurableStorage,
    StoreCorrupt,
    StoreFull,
    StoreReadOnly,
)
from tests.annotations.helpers import TEXT, snapshot, target
from tests.conftest import ROOT


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "annotations.json"


def journal_of(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def records(path: Path) -> list[list[object]]:
    """The journal's ops, each record checked."""
    parsed = parse_records(journal_of(path).read_bytes())
    assert not parsed.torn
    return parsed.ops


def notes(store: AnnotationStore) -> list[str]:
    return [a.note for a in store.all()]


def test_a_write_appends_one_record_and_leaves_the_store_file(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    first = store.create(snapshot(), target(), note="one")  # creates the TinyDB file
    assert not journal_of(store_file).exists()
    main = store_file.read_bytes()
    second = store.create(snapshot(), target("quick"), note="二")
    store.update(first.id, note="one, edited")
    store.set_reading("p", position=7)
    store.delete(second.id)
    assert store_file.read_bytes() == main  # every later write went to the journal
    ops = records(store_file)
    assert [op[0] for op in ops] == ["put", "put", "put", "del"]
    assert ops[1][1:3] == ["annotations", "1"] and ops[2][1:3] == ["reading", "1"]
    assert stat.S_IMODE(journal_of(store_file).stat().st_mode) == 0o600
    again = AnnotationStore(store_file)
    assert notes(again) == ["one, edited"] and again.reading("p").position == 7


def test_a_transaction_is_one_record(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    store.create(snapshot(), target())
    store.set_reading("p", position=1)
    lines = journal_of(store_file).read_bytes().splitlines(keepends=True)
    assert len(lines) == 1 and lines[0].endswith(b"\n")
    crc, payload = lines[0][:8], lines[0][9:-1]
    assert int(crc, 16) == zlib.crc32(payload)
    assert orjson.loads(payload)[0][:3] == ["put", "reading", "1"]


def test_close_folds_the_journal_into_a_plain_tinydb_file(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    made = [store.create(snapshot(), target(), note=f"笔记{i}") for i in range(5)]
    store.delete(made[0].id)
    store.set_reading("p", is_read=True)
    assert journal_of(store_file).stat().st_size > 0
    store.close()
    assert not journal_of(store_file).exists() or journal_of(store_file).stat().st_size == 0
    db = tinydb.TinyDB(store_file)
    assert sorted(d["note"] for d in db.table("annotations").all()) == [
        f"笔记{i}" for i in range(1, 5)
    ]
    assert db.table("reading").all()[0]["is_read"] is True
    db.close()
    assert "笔记1".encode() in store_file.read_bytes()
    assert stat.S_IMODE(store_file.stat().st_mode) == 0o600
    store.create(snapshot(), target(), note="after close")  # still usable
    assert "after close" in notes(AnnotationStore(store_file))


def test_the_journal_is_folded_past_its_limit(store_file: Path) -> None:
    store = AnnotationStore(store_file, journal_limit=2_000)
    store.create(snapshot(), target())
    sizes = []
    for i in range(10):
        store.create(snapshot(), target(), note=str(i))
        sizes.append(journal_of(store_file).stat().st_size)
        assert sizes[-1] <= 2_000 + 1_000
    assert 0 in sizes  # folded (and emptied) at least once
    main = orjson.loads(store_file.read_bytes())["annotations"]
    assert len(main) + len(records(store_file)) >= 11
    assert len(AnnotationStore(store_file).all()) == 11


def test_opening_a_store_with_a_long_journal_folds_it(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    store.create(snapshot(), target())
    for i in range(5):
        store.create(snapshot(), target(), note=str(i))
    assert len(records(store_file)) == 5
    reopened = AnnotationStore(store_file, journal_limit=100)
    assert journal_of(store_file).stat().st_size == 0
    assert len(orjson.loads(store_file.read_bytes())["annotations"]) == 6
    assert len(reopened.all()) == 6 and len(store.all()) == 6


def test_another_process_sees_appended_records(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    kept = store.create(snapshot(), target(), note="kept")
    gone = store.create(snapshot(), target("quick"), note="to delete")
    store.set_reading("p", position=1)
    # Build the derived views, so the replay must update them, not just drop them.
    assert len(store.for_post(kept.post.id)) == 2
    assert store.post_counts() == {kept.post.id: (2, 2)}
    main = store_file.stat()
    child = f"""
import os, sys
from annotations.store import AnnotationStore
from tests.annotations.helpers import TEXT, snapshot, target
store = AnnotationStore(sys.argv[1])
store.create(snapshot("bbbbbbbbbbbb"), target("最后一段"), note="from the child")
store.update({kept.id!r}, note="edited by the child", tags=["c"])
store.delete({gone.id!r})
store.set_reading("p", position=99, is_read=True)
os._exit(0)  # no close: the records stay in the journal
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", child, str(store_file)], cwd=ROOT, env=env, check=True)
    assert store_file.stat().st_ino == main.st_ino and store_file.stat().st_size == main.st_size
    assert len(records(store_file)) == 6
    assert sorted(notes(store)) == ["edited by the child", "from the child"]
    assert store.get(kept.id).tags == ("c",)  # type: ignore[union-attr]
    assert store.get(gone.id) is None
    assert [a.note for a in store.for_post(kept.post.id)] == ["edited by the child"]
    assert store.post_counts() == {kept.post.id: (1, 1), "bbbbbbbbbbbb": (1, 1)}
    assert store.reading("p").position == 99 and store.read_post_ids() == {"p"}
    # TinyDB users see the journal too.
    db = tinydb.TinyDB(store_file, storage=DurableStorage)
    assert len(db.table("annotations")) == 2
    db.close()
    # The next doc id skips the one the child used.
    store.create(snapshot(), target(), note="mine")
    store.close()
    assert sorted(orjson.loads(store_file.read_bytes())["annotations"]) == ["1", "3", "4"]


def test_a_torn_last_record_is_ignored_then_cut_off(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    store.create(snapshot(), target(), note="a")
    store.create(snapshot(), target(), note="b")
    good = journal_of(store_file).read_bytes()
    torn = encode_record([["put", "annotations", "9", {"id": "x"}]])[:-7]
    with journal_of(store_file).open("ab") as handle:
        handle.write(torn)  # a writer killed mid-write
    reader = AnnotationStore(store_file)
    assert not reader.read_only and sorted(notes(reader)) == ["a", "b"]
    assert not reader.problems
    assert DurableStorage(store_file).read() is not None
    assert journal_of(store_file).read_bytes() == good + torn  # reading changes nothing
    reader.create(snapshot(), target(), note="c")
    data = journal_of(store_file).read_bytes()
    assert data.startswith(good) and torn not in data
    assert not parse_records(data).torn
    assert sorted(notes(store)) == ["a", "b", "c"]


def test_a_last_record_with_a_bad_checksum_is_torn(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    store.create(snapshot(), target(), note="a")
    store.create(snapshot(), target(), note="b")
    raw = journal_of(store_file).read_bytes()
    journal_of(store_file).write_bytes(raw[:-3] + b"X}\n")  # the last record's payload
    reader = AnnotationStore(store_file)
    assert not reader.read_only and notes(reader) == ["a"]
    reader.create(snapshot(), target(), note="c")
    assert notes(AnnotationStore(store_file)) == ["a", "c"]
    assert len(records(store_file)) == 1


def test_the_other_store_rereads_a_torn_tail_it_saw(store_file: Path) -> None:
    one, two = AnnotationStore(store_file), AnnotationStore(store_file)
    one.create(snapshot(), target(), note="a")
    one.create(snapshot(), target(), note="b")
    with journal_of(store_file).open("ab") as handle:
        handle.write(b"0000")
    assert sorted(notes(two)) == ["a", "b"]  # two has seen the torn bytes
    one.create(snapshot(), target(), note="c")  # cuts them, appends
    assert sorted(notes(two)) == ["a", "b", "c"]


def corrupt_middle(store_file: Path) -> tuple[bytes, bytes]:
    store = AnnotationStore(store_file)
    for note in "abc":
        store.create(snapshot(), target(), note=note)
    lines = journal_of(store_file).read_bytes().splitlines(keepends=True)
    lines[0] = lines[0].replace(b'"b"', b'"B"')  # checksum no longer matches
    journal_of(store_file).write_bytes(b"".join(lines))
    return store_file.read_bytes(), journal_of(store_file).read_bytes()


def test_a_damaged_record_before_the_last_is_corruption(store_file: Path) -> None:
    main, damaged = corrupt_middle(store_file)
    store = AnnotationStore(store_file)
    assert store.read_only
    reason = store.read_only_reason or ""
    assert str(journal_of(store_file)) in reason and "damaged" in reason
    assert reason.endswith(".") and "\n" not in reason
    assert notes(store) == ["a"]  # the store file, and nothing after the damage
    with pytest.raises(StoreReadOnly, match="read-only"):
        store.create(snapshot(), target())
    with pytest.raises(StoreReadOnly):
        store.set_reading("p", is_read=True)
    with pytest.raises(StoreReadOnly):
        store.compact()
    store.close()
    AnnotationStore(store_file, journal_limit=10).close()
    with pytest.raises(StoreCorrupt):
        DurableStorage(store_file).read()
    db = tinydb.TinyDB(store_file, storage=DurableStorage)
    with pytest.raises(StoreCorrupt):
        db.table("annotations").insert({"k": "v"})
    assert store_file.read_bytes() == main
    assert journal_of(store_file).read_bytes() == damaged


def test_a_repaired_journal_makes_the_store_writable_again(store_file: Path) -> None:
    reader = AnnotationStore(store_file)
    corrupt_middle(store_file)
    assert notes(reader) == ["a"] and reader.read_only
    journal_of(store_file).write_bytes(b"")  # a repair (losing the damaged records)
    assert notes(reader) == ["a"] and not reader.read_only
    reader.create(snapshot(), target(), note="d")
    assert notes(AnnotationStore(store_file)) == ["a", "d"]


def test_damage_after_what_a_store_has_read_keeps_its_copy(store_file: Path) -> None:
    writer, reader = AnnotationStore(store_file), AnnotationStore(store_file)
    writer.create(snapshot(), target(), note="a")
    writer.create(snapshot(), target(), note="b")
    # Sorted: two made in the same millisecond come in the order of their random ids.
    assert sorted(notes(reader)) == ["a", "b"]
    log = journal_of(store_file)
    with log.open("ab") as handle:
        handle.write(b"00000000 [garbage]\n")
        handle.write(encode_record([["del", "annotations", "1"]]))
    before = store_file.read_bytes(), log.read_bytes()
    assert sorted(notes(reader)) == ["a", "b"] and reader.read_only
    assert str(log) in (reader.read_only_reason or "")
    with pytest.raises(StoreReadOnly):
        writer.create(snapshot(), target(), note="c")
    writer.close()
    reader.close()
    assert (store_file.read_bytes(), log.read_bytes()) == before


def test_a_record_with_a_good_checksum_but_unknown_ops_is_corruption(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    store.create(snapshot(), target())
    journal_of(store_file).write_bytes(encode_record([["drop", "annotations", "1"]]))
    assert AnnotationStore(store_file).read_only


def test_folded_records_left_in_the_journal_replay_harmlessly(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    a = store.create(snapshot(), target(), note="a")
    b = store.create(snapshot(), target("quick"), note="b")
    store.update(a.id, note="a2")
    store.delete(b.id)
    c = store.create(snapshot(), target(), note="c")
    store.set_reading("p", position=5)
    left = journal_of(store_file).read_bytes()
    store.close()  # folded and truncated; now undo the truncation: a crash in between
    journal_of(store_file).write_bytes(left)
    again = AnnotationStore(store_file)
    assert sorted(notes(again)) == ["a2", "c"] and not again.problems
    assert again.get(b.id) is None and again.get(c.id) is not None
    assert again.reading("p").position == 5
    again.create(snapshot(), target(), note="d")
    again.close()
    docs = orjson.loads(store_file.read_bytes())["annotations"]
    assert sorted(d["note"] for d in docs.values()) == ["a2", "c", "d"]
    assert len({d["id"] for d in docs.values()}) == 3


def test_a_crash_before_the_truncation_loses_and_duplicates_nothing(
    store_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = AnnotationStore(store_file, journal_limit=1_500)
    store.create(snapshot(), target(), note="first")

    def crash(path: Path) -> None:
        raise KeyboardInterrupt  # stands for the process dying right after the rename

    monkeypatch.setattr(journal, "truncate", crash)
    made = []
    with pytest.raises(KeyboardInterrupt):
        for i in range(20):
            made.append(store.create(snapshot(), target(), note=str(i)))
    monkeypatch.undo()
    reopened = AnnotationStore(store_file)
    assert records(store_file)  # the folded records are still in the journal
    assert {a.id for a in made} <= {a.id for a in reopened.all()}
    assert len(reopened.all()) == len({a.id for a in reopened.all()}) >= len(made) + 1
    assert not reopened.problems


def test_a_read_racing_a_compaction_reads_again(
    store_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer, reader = AnnotationStore(store_file), AnnotationStore(store_file)
    writer.create(snapshot(), target(), note="a")
    assert notes(reader) == ["a"]
    writer.create(snapshot(), target(), note="b")
    real = journal.read_from
    calls: list[int] = []

    def compact_first(path: Path, start: int) -> tuple[bytes, tuple[int, int, int]] | None:
        calls.append(start)
        if len(calls) == 1:
            writer.compact()  # rename, then truncation, between the reader's two reads
        return real(path, start)

    monkeypatch.setattr(journal, "read_from", compact_first)
    assert sorted(notes(reader)) == ["a", "b"]  # the tail path
    assert len(calls) == 2
    writer.create(snapshot(), target(), note="c")
    calls.clear()
    assert sorted(notes(AnnotationStore(store_file))) == ["a", "b", "c"]  # the whole path
    assert len(calls) == 2


def failing_write(after: int = 0) -> Callable[[int, object], int]:
    """An ``os.write`` that writes ``after`` bytes, then fails with ENOSPC."""
    budget = [after]
    real = os.write

    def write(fd: int, data: object) -> int:
        view = memoryview(data)  # type: ignore[arg-type]
        if budget[0] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = real(fd, view[: budget[0]])
        budget[0] -= n
        return n

    return write


@pytest.mark.parametrize("after", [0, 40])
def test_disk_full_on_append_leaves_both_files_as_they_were(
    store_file: Path, monkeypatch: pytest.MonkeyPatch, after: int
) -> None:
    store = AnnotationStore(store_file)
    ann = store.create(snapshot(), target(), note="keep me")
    store.set_reading("p", position=3)
    main, log = store_file.read_bytes(), journal_of(store_file).read_bytes()
    monkeypatch.setattr("annotations.durable.os.write", failing_write(after))
    with pytest.raises(StoreFull, match="full"):
        store.create(snapshot(), target("quick"), note="lost")
    monkeypatch.setattr("annotations.durable.os.write", failing_write(after))
    with pytest.raises(StoreFull):
        store.update(ann.id, note="lost too")
    with pytest.raises(StoreFull):
        store.set_reading("p", position=4)
    assert store_file.read_bytes() == main and journal_of(store_file).read_bytes() == log
    assert notes(store) == ["keep me"] and store.reading("p").position == 3
    monkeypatch.undo()
    store.update(ann.id, note="later")
    assert notes(AnnotationStore(store_file)) == ["later"]


def test_disk_full_when_the_first_record_creates_the_journal(
    store_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = AnnotationStore(store_file)
    store.create(snapshot(), target(), note="keep me")
    monkeypatch.setattr("annotations.durable.os.write", failing_write())
    with pytest.raises(StoreFull):
        store.create(snapshot(), target(), note="lost")
    assert not journal_of(store_file).exists()


def test_disk_full_on_compaction_keeps_the_journal(
    store_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = AnnotationStore(store_file, journal_limit=1_000)
    store.create(snapshot(), target(), note="0")
    main = store_file.read_bytes()

    def full(path: Path, chunks: object, mode: int = 0o600) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("annotations.storage.atomic_write_chunks", full)
    for i in range(1, 6):  # past the limit: each write's fold fails, the write does not
        store.create(snapshot(), target(), note=str(i))
    assert store_file.read_bytes() == main
    assert len(records(store_file)) == 5
    with pytest.raises(StoreFull, match="journal still holds"):
        store.compact()
    store.close()  # a failed fold is left for later
    assert store_file.read_bytes() == main and len(records(store_file)) == 5
    assert not [p for p in store_file.parent.iterdir() if p.name.endswith(".tmp")]
    assert sorted(notes(AnnotationStore(store_file))) == [str(i) for i in range(6)]
    monkeypatch.undo()
    store.close()
    assert len(orjson.loads(store_file.read_bytes())["annotations"]) == 6
    assert journal_of(store_file).stat().st_size == 0


def test_tinydb_write_folds_the_journal_first(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    kept = store.create(snapshot(), target(), note="kept")
    store.create(snapshot(), target(), note="in the journal")
    db = tinydb.TinyDB(store_file, storage=DurableStorage)
    assert len(db.table("annotations")) == 2
    db.table("annotations").remove(doc_ids=[2])
    db.close()
    assert journal_of(store_file).stat().st_size == 0  # nothing left to replay over it
    assert notes(AnnotationStore(store_file)) == ["kept"] == notes(store)
    assert store.get(kept.id) is not None


def test_custom_transaction_with_a_journal(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    store.create(snapshot(), target(), note="a")
    ann = store.create(snapshot(), target(), note="b")

    def drop_first(data: dict[str, dict[str, object]]) -> None:
        del data["annotations"]["1"]

    store.transaction(drop_first)
    assert journal_of(store_file).stat().st_size == 0
    assert notes(store) == ["b"] and notes(AnnotationStore(store_file)) == ["b"]
    assert store.get(ann.id) is not None


def test_a_corrupt_store_file_with_a_journal_is_never_touched(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    store.create(snapshot(), target())
    store.create(snapshot(), target())
    store_file.write_bytes(b'{"annotations": {"1": ')
    main, log = store_file.read_bytes(), journal_of(store_file).read_bytes()
    broken = AnnotationStore(store_file, journal_limit=1)
    assert broken.read_only and "cannot be parsed" in (broken.read_only_reason or "")
    with pytest.raises(StoreReadOnly):
        broken.create(snapshot(), target())
    broken.close()
    store.close()
    assert store_file.read_bytes() == main and journal_of(store_file).read_bytes() == log


def test_an_unreadable_journal_makes_the_store_read_only(
    store_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = AnnotationStore(store_file)
    store.create(snapshot(), target())
    store.create(snapshot(), target())
    before = store_file.read_bytes(), journal_of(store_file).read_bytes()

    def denied(path: Path, start: int) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(journal, "read_from", denied)  # what a chmod 000 does (not as root)
    broken = AnnotationStore(store_file, journal_limit=1)
    assert broken.read_only
    reason = broken.read_only_reason or ""
    assert str(journal_of(store_file)) in reason and "Permission denied" in reason
    with pytest.raises(StoreReadOnly):
        broken.create(snapshot(), target())
    broken.close()
    assert (store_file.read_bytes(), journal_of(store_file).read_bytes()) == before


def test_a_duplicate_id_replayed_is_listed(store_file: Path) -> None:
    one, two = AnnotationStore(store_file), AnnotationStore(store_file)
    ann = one.create(snapshot(), target())
    assert two.get(ann.id) is not None
    doc = {**ann.to_doc(), "note": "copy"}
    with journal_of(store_file).open("ab") as handle:
        handle.write(encode_record([["put", "annotations", "5", doc]]))
    assert [a.note for a in two.all()] == [""]
    assert len(two.problems) == 1 and "duplicate" in two.problems[0]
    with journal_of(store_file).open("ab") as handle:
        handle.write(encode_record([["del", "annotations", "1"]]))
    assert [a.note for a in two.all()] == ["copy"] and not two.problems


def test_views_kept_up_to_date_match_a_fresh_store(store_file: Path) -> None:
    """for_post, post_counts and all(), updated write by write (own writes and replayed
    ones), equal what a store opened afterwards builds from scratch."""
    rng = random.Random(7)
    one, two = AnnotationStore(store_file), AnnotationStore(store_file)
    posts = ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"]
    quotes = ["第一段", "今天天气很好", "quick brown", "lazy dog", "最后一段", "sunny day"]
    for _ in range(120):
        writer = rng.choice((one, two))
        live = writer.all()
        roll = rng.random()
        if roll < 0.5 or not live:
            writer.create(
                snapshot(rng.choice(posts)),
                target(rng.choice(quotes), TEXT),
                note=rng.choice(["", " ", "note"]),
            )
        elif roll < 0.8:
            ann = rng.choice(live)
            writer.update(
                ann.id, note=rng.choice(["", "edited"]), target=target(rng.choice(quotes))
            )
        else:
            writer.delete(rng.choice(live).id)
        for store in (one, two):  # read the views after every step, so they are kept
            store.post_counts()
            store.for_post(rng.choice(posts))
            store.all()
    fresh = AnnotationStore(store_file)
    for store in (one, two):
        assert store.all() == fresh.all()
        assert store.post_counts() == fresh.post_counts()
        for post in posts:
            assert store.for_post(post) == fresh.for_post(post)


def test_creating_the_journal_fsyncs_its_folder(
    store_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []
    monkeypatch.setattr(journal, "fsync_folder", synced.append)
    store = AnnotationStore(store_file)
    store.create(snapshot(), target())  # the store file (atomic_write fsyncs the folder)
    assert synced == []
    store.create(snapshot(), target())
    assert synced == [store_file.parent]
    store.create(snapshot(), target())
    assert synced == [store_file.parent]  # an append to an existing journal: no folder fsync
