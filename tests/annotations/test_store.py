"""The store's API and each durability guarantee, in one process."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import orjson
import pytest
import tinydb

from annotations.store import (
    AnnotationNotFound,
    AnnotationStore,
    DurableStorage,
    StoreFull,
    StoreReadOnly,
)
from tests.annotations.helpers import snapshot, target


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "postil" / "annotations.json"


def test_create_get_update_delete(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    ann = store.create(snapshot(), target(), note="好", tags=["x", " x ", "", "y"], color="blue")
    assert ann.tags == ("x", "y")
    assert store.get(ann.id) == ann
    updated = store.update(ann.id, note="更好", color="pink")
    assert updated.note == "更好" and updated.color == "pink" and updated.tags == ("x", "y")
    assert updated.created == ann.created
    assert AnnotationStore(store_file).get(ann.id) == updated
    store.delete(ann.id)
    assert store.get(ann.id) is None
    assert AnnotationStore(store_file).all() == []
    store.delete(ann.id)  # already gone: nothing happens
    with pytest.raises(AnnotationNotFound):
        store.update(ann.id, note="x")


def test_bad_color_is_refused(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    with pytest.raises(ValueError, match="color"):
        store.create(snapshot(), target(), color="octarine")
    assert not store_file.exists()


def test_for_post_and_counts(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    second = store.create(snapshot("aaaaaaaaaaaa"), target("公园"), note="n")
    first = store.create(snapshot("aaaaaaaaaaaa"), target("第一段"))
    store.create(snapshot("bbbbbbbbbbbb"), target("quick"))
    assert [a.id for a in store.for_post("aaaaaaaaaaaa")] == [first.id, second.id]
    assert store.for_post("cccccccccccc") == []
    assert store.post_counts() == {"aaaaaaaaaaaa": (1, 2), "bbbbbbbbbbbb": (0, 1)}
    assert len(store.all()) == 3


def test_reading_state(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    assert store.reading("p1").position == 0 and not store.reading("p1").is_read
    store.set_reading("p1", position=120)
    store.set_reading("p1", is_read=True)
    store.set_reading("p2", is_read=False)
    state = store.reading("p1")
    assert (state.position, state.is_read) == (120, True) and state.updated
    assert store.read_post_ids() == {"p1"}
    journal = store_file.with_name("annotations.json.journal")
    before = [
        (p.stat().st_mtime_ns, p.stat().st_ino, p.stat().st_size) for p in (store_file, journal)
    ]
    store.set_reading("p1", position=120)  # unchanged: no write
    after = [
        (p.stat().st_mtime_ns, p.stat().st_ino, p.stat().st_size) for p in (store_file, journal)
    ]
    assert after == before
    assert AnnotationStore(store_file).reading("p1") == state


def test_file_is_plain_tinydb_json_with_utf8_cjk(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    ann = store.create(snapshot(), target(), note="中文笔记")
    store.set_reading(ann.post.id, position=3)
    store.update(ann.id, tags=["标签"])
    journal = store_file.with_name("annotations.json.journal").read_bytes()
    assert "标签".encode() in journal and b"\\u" not in journal
    store.close()  # folds the journal: the store file alone is complete
    raw = store_file.read_bytes()
    assert "中文笔记".encode() in raw and "标签".encode() in raw and b"\\u" not in raw
    db = tinydb.TinyDB(store_file)
    docs = db.table("annotations").all()
    assert [d["id"] for d in docs] == [ann.id] and docs[0].doc_id == 1
    assert db.table("reading").all()[0]["position"] == 3
    db.close()


def test_tinydb_with_durable_storage(store_file: Path) -> None:
    AnnotationStore(store_file).create(snapshot(), target())
    db = tinydb.TinyDB(store_file, storage=DurableStorage)
    assert len(db.table("annotations")) == 1
    db.table("extra").insert({"k": "v"})
    assert AnnotationStore(store_file).all()  # still readable after TinyDB wrote
    assert json.loads(store_file.read_text("utf-8"))["extra"] == {"1": {"k": "v"}}


def test_modes_on_create(store_file: Path) -> None:
    old = os.umask(0o022)
    try:
        AnnotationStore(store_file).create(snapshot(), target())
    finally:
        os.umask(old)
    assert stat.S_IMODE(store_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(store_file.parent.stat().st_mode) == 0o700
    assert (store_file.parent / "annotations.json.lock").exists()


def test_another_writer_is_seen(store_file: Path) -> None:
    one, two = AnnotationStore(store_file), AnnotationStore(store_file)
    a = one.create(snapshot(), target())
    b = two.create(snapshot(), target("quick"))  # two re-reads under the lock first
    assert {x.id for x in one.all()} == {a.id, b.id}
    assert {x.id for x in AnnotationStore(store_file).all()} == {a.id, b.id}
    one.close()
    doc_ids = sorted(orjson.loads(store_file.read_bytes())["annotations"])
    assert doc_ids == ["1", "2"]


def test_corrupt_store_is_read_only_and_untouched(store_file: Path) -> None:
    store_file.parent.mkdir(parents=True)
    store_file.write_bytes(b'{"annotations": {"1": {"id": "x",\n  "note": }}}')
    before = store_file.read_bytes()
    store = AnnotationStore(store_file)
    assert store.read_only
    reason = store.read_only_reason or ""
    assert "line 2" in reason and "column" in reason and str(store_file) in reason
    assert store.all() == []
    with pytest.raises(StoreReadOnly) as info:
        store.create(snapshot(), target())
    assert "read-only" in str(info.value)
    with pytest.raises(StoreReadOnly):
        store.set_reading("p", is_read=True)
    assert store_file.read_bytes() == before
    assert sorted(p.name for p in store_file.parent.iterdir()) == [
        "annotations.json",
        "annotations.json.lock",
    ]


def test_wrong_shape_is_read_only(store_file: Path) -> None:
    store_file.parent.mkdir(parents=True)
    store_file.write_text('{"annotations": [1, 2]}')
    store = AnnotationStore(store_file)
    assert store.read_only and "annotations" in (store.read_only_reason or "")


def test_repaired_store_becomes_writable(store_file: Path) -> None:
    store_file.parent.mkdir(parents=True)
    store_file.write_text("{oops")
    store = AnnotationStore(store_file)
    assert store.read_only
    store_file.write_text("{}")
    store.create(snapshot(), target())
    assert not store.read_only and len(store.all()) == 1


def test_invalid_documents_are_kept_and_listed(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    good = store.create(snapshot(), target())
    data = orjson.loads(store_file.read_bytes())
    data["annotations"]["7"] = {"id": "broken", "note": 5}
    data["annotations"]["1"]["future_field"] = {"keep": True}
    store_file.write_bytes(orjson.dumps(data))
    store = AnnotationStore(store_file)
    assert [a.id for a in store.all()] == [good.id]
    assert len(store.problems) == 1 and "7" in store.problems[0]
    store.update(good.id, note="edited")
    store.create(snapshot(), target("quick"))
    store.close()
    after = orjson.loads(store_file.read_bytes())["annotations"]
    assert after["7"] == {"id": "broken", "note": 5}
    assert after["1"]["future_field"] == {"keep": True} and after["1"]["note"] == "edited"
    assert "8" in after  # new doc ids never reuse the broken document's


def test_disk_full_leaves_old_file_and_no_temp(
    store_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = AnnotationStore(store_file)
    ann = store.create(snapshot(), target(), note="keep me")
    before = store_file.read_bytes()

    def full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("annotations.durable.os.write", full)
    with pytest.raises(StoreFull) as info:
        store.create(snapshot(), target("quick"), note="lost")
    assert "full" in str(info.value)
    with pytest.raises(StoreFull):
        store.update(ann.id, note="lost too")
    assert store_file.read_bytes() == before
    assert not [p for p in store_file.parent.iterdir() if p.name.endswith(".tmp")]
    # The in-memory state was not left half-changed.
    assert [a.note for a in store.all()] == ["keep me"]
    monkeypatch.undo()
    store.update(ann.id, note="later")
    assert AnnotationStore(store_file).get(ann.id).note == "later"  # type: ignore[union-attr]


def test_quota_error_is_store_full(store_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = AnnotationStore(store_file)

    def quota(fd: int) -> None:
        raise OSError(errno.EDQUOT, "Disk quota exceeded")

    monkeypatch.setattr("annotations.durable.os.fsync", quota)
    with pytest.raises(StoreFull):
        store.create(snapshot(), target())
    assert not store_file.exists()
    assert not [p for p in store_file.parent.iterdir() if p.name.endswith(".tmp")]


def test_threads_do_not_lose_writes(store_file: Path) -> None:
    import threading

    store = AnnotationStore(store_file)
    other = AnnotationStore(store_file)

    def add(s: AnnotationStore, n: int) -> None:
        for i in range(n):
            s.create(snapshot(), target(), note=str(i))

    threads = [threading.Thread(target=add, args=(s, 25)) for s in (store, store, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(AnnotationStore(store_file).all()) == 75


def test_journal_replay_matches_what_a_full_rewrite_writes(store_file: Path) -> None:
    one, two = AnnotationStore(store_file), AnnotationStore(store_file)
    a = one.create(snapshot(), target(), note="a")
    b = one.create(snapshot("bbbbbbbbbbbb"), target("quick"))
    one.set_reading("p", position=3)
    two.update(a.id, note="changed elsewhere")  # another writer in between
    one.update(b.id, tags=["t"])
    one.delete(a.id)
    c = one.create(snapshot(), target("最后一段"))
    one.set_reading("p", is_read=True)
    replayed = DurableStorage(store_file).read()
    one.close()
    raw = store_file.read_bytes()
    data = orjson.loads(raw)
    assert raw == orjson.dumps(data) and data == replayed
    assert set(data["annotations"]) == {"2", "3"}  # TinyDB ids: max + 1, never reused
    assert {d["id"] for d in data["annotations"].values()} == {b.id, c.id}
    assert data["annotations"]["2"]["tags"] == ["t"]
    assert data["reading"]["1"]["is_read"] is True and data["reading"]["1"]["position"] == 3
    assert AnnotationStore(store_file).get(b.id) == one.get(b.id) == two.get(b.id)


def test_custom_transaction_is_seen_by_the_index(store_file: Path) -> None:
    store = AnnotationStore(store_file)
    ann = store.create(snapshot(), target())

    def retag(data: dict[str, dict[str, dict[str, object]]]) -> None:
        data["annotations"]["1"]["tags"] = ["via-transaction"]

    store.transaction(retag)
    assert store.get(ann.id).tags == ("via-transaction",)  # type: ignore[union-attr]
