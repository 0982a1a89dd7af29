"""``postil highlight``, ``notes`` and ``export`` through click's CliRunner."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from annotations.store import DurableStorage
from tui.cli import main

PARAGRAPHS = [
    "入夏以后，街口那家凉面摊又出摊了。一辆三轮车，一个玻璃柜，柜子里码着面条。",
    "The committee met on Tuesday to discuss the budget, and after a long debate "
    "it approved the plan with two amendments.",
    "老板娘说，她在这里摆了十八年摊。女儿已经大学毕业，在外地工作，劝她别干了。",
]
QUOTE = "it approved the plan with two amendments"


def _write_post(path: Path, paragraphs: list[str]) -> None:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    path.write_text(
        "---\n"
        'title: "凉面 [red]Test"\n'
        "date: 2025-06-14T05:05:00.000Z\n"
        "author: 许青禾\n"
        "from: https://example.com/p/1801.html\n"
        "tags: [美食, 夏天]\n"
        "---\n"
        "<!--1749877500000-->\n"
        "[凉面 Test](https://example.com/p/1801.html)\n"
        "------\n\n"
        f"<div>{body}</div>\n",
        encoding="utf-8",
    )


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    _write_post(folder / "2025-06-14-post.md", PARAGRAPHS)
    monkeypatch.setenv("POSTIL_CORPUS", str(folder))
    monkeypatch.setenv("POSTIL_STORE", str(tmp_path / "store" / "annotations.json"))
    return folder


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store" / "annotations.json"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _highlight(post: str, quote: str, *extra: str) -> str:
    result = run("highlight", post, "--quote", quote, *extra)
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip()


def _stored(store: Path) -> dict[str, Any]:
    """The store's documents: the store file with its journal replayed."""
    data = DurableStorage(store).read()
    assert data is not None
    return data


def _notes_json(*extra: str) -> list[dict[str, object]]:
    result = run("notes", "--json", *extra)
    assert result.exit_code == 0, result.stderr
    docs: list[dict[str, object]] = json.loads(result.stdout)
    return docs


def test_highlight_twice_adds_nothing(corpus: Path, store: Path) -> None:
    """Run twice (a script re-run), ``highlight`` made a copy of the same passage; it
    prints the highlight there is. A note or tags it would add are not dropped without a
    word: status 1, nothing changed."""
    post = str(corpus / "2025-06-14-post.md")
    first = _highlight(post, QUOTE, "--note", "值得一记", "--tag", "预算")
    again = run("highlight", post, "--quote", QUOTE, "--tag", "#预算")
    assert again.exit_code == 0 and again.stdout.strip() == first
    assert "highlighted already; nothing was added" in again.stderr
    other = run("highlight", post, "--quote", QUOTE, "--note", "另一条")
    assert other.exit_code == 1
    assert other.stderr == (
        f"postil: the passage is highlighted already ({first}) with another note or other"
        " tags; nothing was changed.\n"
    )
    [doc] = _notes_json()
    assert doc["note"] == "值得一记" and doc["tags"] == ["预算"]


def test_highlight_and_notes(corpus: Path, store: Path) -> None:
    post = str(corpus / "2025-06-14-post.md")
    ann_id = _highlight(
        post, QUOTE, "--note", "值得一记", "--tag", "#预算", "--tag", "预算", "--color", "green"
    )
    assert len(ann_id) == 36
    docs = _notes_json()
    assert len(docs) == 1 and docs[0]["id"] == ann_id
    assert docs[0]["anchor"]["status"] == "anchored"  # type: ignore[index]
    assert docs[0]["target"]["exact"] == QUOTE  # type: ignore[index]
    assert docs[0]["color"] == "green" and docs[0]["tags"] == ["预算"]
    listing = run("notes")
    assert listing.exit_code == 0
    assert QUOTE in listing.stdout and "值得一记" in listing.stdout
    assert "[red]" in listing.stdout  # untrusted title printed literally
    # By post id (resolved from the store) and by path.
    post_id = docs[0]["post"]["id"]  # type: ignore[index]
    assert len(_notes_json("--post", str(post_id)[:6])) == 1
    assert len(_notes_json("--post", post)) == 1
    assert _notes_json("-q", "hl-tag:预算") != [] and _notes_json("-q", "hl-tag:nope") == []
    assert len(_notes_json("-q", "amendments")) == 1


def test_commands_follow_the_config_file_as_the_app_does(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no PATH, ``--store`` or environment, every command reads the corpus and the
    store the config file names: a highlight made in the app is the one exported."""
    monkeypatch.delenv("POSTIL_CORPUS")
    monkeypatch.delenv("POSTIL_STORE")
    store = tmp_path / "notes" / "mine.json"
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "postil" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'corpus = ["{corpus}"]\nstore = "{store}"\n', encoding="utf-8")
    posts = json.loads(run("ls", "--json").stdout)
    assert [post["title"] for post in posts] == ["凉面 [red]Test"]
    ann_id = _highlight(posts[0]["id"], QUOTE)
    assert [doc["id"] for doc in _stored(store)["annotations"].values()] == [ann_id]
    assert QUOTE in run("export").stdout
    assert [doc["id"] for doc in _notes_json()] == [ann_id]
    config.write_text("corpus = [", encoding="utf-8")  # broken: the defaults, and a notice
    broken = run("notes", "--json")
    assert broken.exit_code == 0 and json.loads(broken.stdout) == []
    assert broken.stderr.startswith("postil: ") and str(config) in broken.stderr


def test_highlight_by_post_id_and_across_paragraphs(corpus: Path) -> None:
    posts = json.loads(run("ls", "--json").stdout)
    ann_id = _highlight(posts[0]["id"], "柜子里码着面条。 The committee")
    doc = _notes_json()[0]
    assert doc["id"] == ann_id
    assert doc["target"]["exact"] == "柜子里码着面条。\n\nThe committee"  # type: ignore[index]


def test_highlight_errors(corpus: Path, store: Path) -> None:
    post = str(corpus / "2025-06-14-post.md")
    missing = run("highlight", post, "--quote", "not in the post at all")
    assert missing.exit_code == 2
    assert "凉面" in missing.stderr and "does not occur" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    assert run("highlight", "ffffffffffff", "--quote", "x").exit_code == 2
    assert run("highlight", post, "--quote", "  ").exit_code == 2
    assert not store.exists()


def test_corrupt_store(corpus: Path, store: Path) -> None:
    post = str(corpus / "2025-06-14-post.md")
    store.parent.mkdir(parents=True)
    store.write_bytes(b'{"annotations": {"1": ')
    before = store.read_bytes()
    result = run("highlight", post, "--quote", QUOTE)
    assert result.exit_code == 1
    assert "cannot be parsed" in result.stderr and "line 1" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    notes = run("notes", "--json")
    assert notes.exit_code == 0 and json.loads(notes.stdout) == []
    assert "warning" in notes.stderr
    exported = run("export", "--format", "json")
    assert exported.exit_code == 0 and json.loads(exported.stdout) == []
    assert store.read_bytes() == before


def test_moved_then_orphaned(corpus: Path, store: Path) -> None:
    post = corpus / "2025-06-14-post.md"
    ann_id = _highlight(str(post), QUOTE, "--note", "n")
    original = _stored(store)["annotations"]["1"]["target"]
    _write_post(post, ["新增的一段，放在最前面。", *PARAGRAPHS])
    doc = _notes_json()[0]
    anchor = doc["anchor"]
    assert anchor["status"] == "moved"  # type: ignore[index]
    assert anchor["start"] == original["start"] + len("新增的一段，放在最前面。") + 2  # type: ignore[index]
    stored = _stored(store)["annotations"]["1"]["target"]
    assert stored["exact"] == QUOTE and stored["start"] == anchor["start"]  # type: ignore[index]
    assert _notes_json()[0]["anchor"]["status"] == "anchored"  # type: ignore[index]

    _write_post(post, [PARAGRAPHS[0], PARAGRAPHS[2]])
    doc = _notes_json()[0]
    assert doc["anchor"] == {"status": "orphan", "start": None, "end": None}
    assert [d["id"] for d in _notes_json("-q", "is:orphan")] == [ann_id]
    assert _notes_json("-q", "-is:orphan") == []
    assert "orphan" in run("notes").stdout
    markdown = run("export").stdout
    assert "orphan" in markdown and f"> {QUOTE}" in markdown
    assert len(_stored(store)["annotations"]) == 1  # never deleted


def test_export_formats_and_output_file(corpus: Path, tmp_path: Path) -> None:
    post = str(corpus / "2025-06-14-post.md")
    _highlight(post, QUOTE, "--note", "=1+1", "--tag", "a")
    _highlight(post, "街口那家凉面摊")
    markdown = run("export", "--format", "markdown").stdout
    front = yaml.safe_load(markdown.split("---\n")[1])
    assert front["count"] == 2 and front["tags"] == ["a"]
    assert f"> {QUOTE}" in markdown and "> 街口那家凉面摊" in markdown
    docs = json.loads(run("export", "--format", "json").stdout)
    assert len(docs) == 2 and "anchor" not in docs[0]
    rows = list(csv.DictReader(io.StringIO(run("export", "--format", "csv").stdout)))
    assert {r["quote"] for r in rows} == {QUOTE, "街口那家凉面摊"}
    assert {r["note"] for r in rows} == {"'=1+1", ""}
    ld = json.loads(run("export", "--format", "jsonld", "-q", "hl-tag:a").stdout)
    assert ld["type"] == "AnnotationCollection" and ld["total"] == 1
    assert ld["first"]["items"][0]["target"]["source"] == "https://example.com/p/1801.html"

    dest = tmp_path / "out.md"
    first = run("export", "-o", str(dest))
    assert first.exit_code == 0 and first.stdout == ""

    def without_clock(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("exported:")]

    assert without_clock(dest.read_text("utf-8")) == without_clock(markdown)
    again = run("export", "-o", str(dest), "--format", "json")
    assert again.exit_code == 2 and "--force" in again.stderr
    assert dest.read_text("utf-8").startswith("---")
    forced = run("export", "-o", str(dest), "--format", "json", "--force")
    assert forced.exit_code == 0 and len(json.loads(dest.read_text("utf-8"))) == 2


def test_bad_query_is_usage_error(corpus: Path) -> None:
    result = run("notes", "-q", "date:never")
    assert result.exit_code == 2 and result.stderr.startswith("postil: ")
    assert run("export", "-q", "nokey:x").exit_code == 2


def test_empty_store_lists_nothing(corpus: Path) -> None:
    assert _notes_json() == []
    assert run("notes").exit_code == 0


def test_notes_of_many_posts_read_them_in_worker_processes_with_progress(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, bars_drawn: Callable[[], str]
) -> None:
    """Placing 10,000 highlights over 9,000 posts took 17-24 s of rendering in one
    process, with nothing on the terminal; the posts are now read in worker processes
    (11-12 s on two cores) under a progress bar."""
    import tui.post_texts as post_texts

    (corpus / "2025-06-14-post.md").unlink()
    posts = [corpus / f"2025-06-1{n}-post-{n}.md" for n in range(5)]
    for n, post in enumerate(posts):
        _write_post(post, [f"第{n}篇。", *PARAGRAPHS])
        post.write_text(post.read_text().replace("p/1801", f"p/{n}"), encoding="utf-8")
        _highlight(str(post), QUOTE)
    _write_post(posts[1], ["新增的一段，放在最前面。", "第1篇。", *PARAGRAPHS])
    posts[1].write_text(posts[1].read_text().replace("p/1801", "p/1"), encoding="utf-8")
    posts[2].unlink()

    monkeypatch.setattr(post_texts, "TEXTS_CHUNK", 1)  # a chunk a post: the pool is used
    statuses = {
        doc["post"]["path"]: doc["anchor"]["status"]  # type: ignore[index]
        for doc in _notes_json()
    }
    assert statuses == {
        str(posts[0]): "anchored",
        str(posts[1]): "moved",
        str(posts[2]): "orphan",
        str(posts[3]): "anchored",
        str(posts[4]): "anchored",
    }
    assert "reading the annotated posts" in bars_drawn() and "5/5" in bars_drawn()
