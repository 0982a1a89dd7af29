"""DraftStore: notes being typed survive on disk until saved or discarded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tui.drafts import Draft, DraftStore, draft_key, drafts_for


def test_save_pending_discard(tmp_path: Path) -> None:
    path = tmp_path / "data" / "drafts.json"
    store = DraftStore(path)
    assert store.pending() == []
    key = draft_key("post1", "ann1")
    store.save(key, "first words", post_id="post1", annotation_id="ann1", quote="q", title="T")
    assert path.stat().st_mode & 0o777 == 0o600
    [draft] = DraftStore(path).pending()
    assert (draft.key, draft.text, draft.annotation_id, draft.quote) == (
        key,
        "first words",
        "ann1",
        "q",
    )
    assert draft.saved
    store.discard(key)
    assert DraftStore(path).pending() == []


def test_update_is_memory_only_until_flush(tmp_path: Path) -> None:
    path = tmp_path / "drafts.json"
    store = DraftStore(path)
    store.update(Draft(key="p:1-5", post_id="p", text="abc", start=1, end=5))
    assert not path.exists()
    assert store.flush()
    assert not store.flush()  # nothing changed since
    assert [d.text for d in DraftStore(path).pending()] == ["abc"]


def test_pop_all_empties_the_file(tmp_path: Path) -> None:
    path = tmp_path / "drafts.json"
    store = DraftStore(path)
    store.save(draft_key("a", start=0, end=3), "one", post_id="a")
    store.save(draft_key("b", "x"), "two", post_id="b")
    assert sorted(d.text for d in store.pop_all()) == ["one", "two"]
    assert DraftStore(path).pending() == []
    assert json.loads(path.read_text()) == []


def test_unreadable_file_counts_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "drafts.json"
    path.write_text("{not json", encoding="utf-8")
    assert DraftStore(path).pending() == []
    path.write_text(
        json.dumps([{"key": "k"}, "junk", {"key": "a:b", "post_id": "a", "text": "ok"}])
    )
    assert [d.text for d in DraftStore(path).pending()] == ["ok"]


def test_default_path_is_in_the_data_folder(isolated_home: Path) -> None:
    assert DraftStore().path == isolated_home / "data" / "postil" / "drafts.json"


def test_drafts_for_attaches_one_store() -> None:
    class Holder:
        pass

    holder = Holder()
    store = drafts_for(holder)
    assert drafts_for(holder) is store


def test_draft_survives_a_killed_process(tmp_path: Path) -> None:
    """A process that flushed its draft and then dies hard leaves the draft on disk."""
    path = tmp_path / "drafts.json"
    code = (
        "import os\n"
        "from tui.drafts import DraftStore, draft_key\n"
        f"store = DraftStore({str(path)!r})\n"
        "store.save(draft_key('p', 'a'), 'half a thought', post_id='p', annotation_id='a')\n"
        "os._exit(9)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=False)
    assert result.returncode == 9
    assert [d.text for d in DraftStore(path).pending()] == ["half a thought"]
