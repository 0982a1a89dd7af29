"""``postil import`` through click's CliRunner, then ``notes``, ``ls -q note:`` and errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.conftest import ROOT
from tests.tui.conftest import FIXED_POSTS, write_posts
from tui.cli import main

FIXTURES = ROOT / "tests" / "fixtures" / "imports"


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = write_posts(tmp_path / "posts", FIXED_POSTS)
    monkeypatch.setenv("POSTIL_CORPUS", str(folder))
    monkeypatch.setenv("POSTIL_STORE", str(tmp_path / "store" / "annotations.json"))
    return folder


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _notes() -> list[dict[str, object]]:
    result = run("notes", "--json")
    assert result.exit_code == 0, result.stderr
    docs: list[dict[str, object]] = json.loads(result.stdout)
    return docs


def test_import_each_format_then_again(corpus: Path) -> None:
    outputs = [run("import", str(FIXTURES / name)) for name in ("hypothesis.json", "readwise.csv")]
    assert [r.exit_code for r in outputs] == [0, 0]
    assert outputs[0].stdout.splitlines() == [
        "imported 4: 2 anchored, 1 orphaned, 1 unplaced",
        "skipped 2 (replies to another annotation: 1, page notes (no quote): 1)",
    ]
    assert outputs[1].stdout.splitlines()[0] == "imported 4: 3 anchored, 0 orphaned, 1 unplaced"
    jsonld = run("import", str(FIXTURES / "other-tool.jsonld"), "--format", "jsonld")
    assert jsonld.stdout.splitlines()[0] == "imported 2: 2 anchored, 0 orphaned, 0 unplaced"
    docs = _notes()
    assert len(docs) == 10
    statuses = sorted(d["anchor"]["status"] for d in docs)  # type: ignore[index]
    assert statuses == ["anchored"] * 7 + ["orphan"] + ["unplaced"] * 2

    again = run("import", str(FIXTURES / "hypothesis.json"))
    assert again.stdout.splitlines()[0] == "imported 0: 0 anchored, 0 orphaned, 0 unplaced"
    assert "already imported: 4" in again.stdout
    assert len(_notes()) == 10


def test_import_finds_the_quotes_in_worker_processes_with_progress(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, bars_drawn: Callable[[], str]
) -> None:
    """Importing 10,000 annotations over the 50k archive took 25 s, with nothing on the
    terminal, rendering their posts one by one; their posts are now read and the quotes
    found in worker processes (13 s on two cores), under a progress bar."""
    import tui.post_texts as post_texts
    from tui.corpus import workers

    pools: list[object] = []
    new_pool = workers._new_pool

    def recorded(n_workers: int) -> object:
        pools.append(pool := new_pool(n_workers))
        return pool

    monkeypatch.setattr(post_texts, "TEXTS_CHUNK", 1)  # a chunk a post: the pool is used
    monkeypatch.setattr(workers, "_start_method", lambda: "fork")
    monkeypatch.setattr(workers, "_new_pool", recorded)
    result = run("import", str(FIXTURES / "hypothesis.json"))
    assert result.stdout.splitlines()[0] == "imported 4: 2 anchored, 1 orphaned, 1 unplaced"
    assert pools and pools[0] is not None
    assert "reading the annotated posts" in bars_drawn() and "3/3" in bars_drawn()
    statuses = sorted(d["anchor"]["status"] for d in _notes())  # type: ignore[index]
    assert statuses == ["anchored"] * 2 + ["orphan", "unplaced"]


def test_notes_lists_the_unplaced_apart_and_is_unplaced_selects_them(corpus: Path) -> None:
    run("import", str(FIXTURES / "hypothesis.json"))
    listing = run("notes").stdout
    head, _, unplaced = listing.partition("Unplaced: 1 imported annotation whose post is not")
    assert "“Lights move on the water.”" in head and "(orphan)" in head
    assert "Slow reading, again  <https://blog.example.net/2023/06/slow-reading/>" in unplaced
    assert "“Read the same page twice, a week apart.”" in unplaced
    only = json.loads(run("notes", "--json", "-q", "is:unplaced").stdout)
    assert [d["target"]["exact"] for d in only] == ["Read the same page twice, a week apart."]


def test_ls_note_and_quote_terms(corpus: Path) -> None:
    run("import", str(FIXTURES / "hypothesis.json"))
    titles = json.loads(run("ls", "--json", "-q", "note:BEFORE").stdout)
    assert [t["title"] for t in titles] == ["The river at night"]
    quoted = json.loads(run("ls", "--json", "-q", "quote:渔船").stdout)
    assert [t["title"] for t in quoted] == ["港口的早晨"]
    assert json.loads(run("ls", "--json", "-q", "note:nowhere").stdout) == []


def test_import_errors_are_one_sentence(corpus: Path, tmp_path: Path) -> None:
    missing = run("import", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "no file named" in missing.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"rows": [', encoding="utf-8")
    broken = run("import", str(bad))
    assert broken.exit_code == 1
    assert broken.stderr.startswith("postil: ") and "not valid JSON" in broken.stderr
    assert len(broken.stderr.strip().splitlines()) == 1
    wrong = run("import", str(FIXTURES / "readwise.csv"), "--format", "hypothesis")
    assert wrong.exit_code == 1 and "not valid JSON" in wrong.stderr
