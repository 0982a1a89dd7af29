"""Highlights made before the segment-break rule keep their place.

The fixture store was written by postil before CSS Text 3's segment-break rule (main at
5687b72, run from a temporary checkout, hence the post paths under /tmp/main-old that no
longer exist: ``notes`` finds the post through the corpus by its id). Its quotes were
taken from the prettified sample interview, whose text then had a space wherever the
source broke a line next to an inline tag (``问： 为什么``, ``可以在 本刊网站 收听``);
the rule removed those spaces, so each quote now differs from the text by whitespace.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT, SAMPLE_POSTS
from tui.cli import main
from tui.corpus.files import read_body
from tui.render import build_document

FIXTURE = ROOT / "tests" / "fixtures" / "stores" / "prettified-before-segment-rule.json"
POST = SAMPLE_POSTS / "beiling-wenxue" / "2023" / "2023-04-08-访谈-写作与河流.md"


def _squeeze(text: str) -> str:
    return "".join(text.split())


def test_highlights_stored_before_the_rule_are_anchored_on_the_same_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "annotations.json"
    shutil.copyfile(FIXTURE, store)
    store.chmod(0o600)
    monkeypatch.setenv("POSTIL_CORPUS", str(SAMPLE_POSTS))
    text = build_document(read_body(POST)).text
    stored = json.loads(FIXTURE.read_text(encoding="utf-8"))["annotations"].values()
    # Four quotes held a space the rule removed; one did not, but its offsets moved.
    assert sum(doc["target"]["exact"] not in text for doc in stored) == 4

    result = CliRunner().invoke(main, ["notes", "--json", "--store", str(store)])

    assert result.exit_code == 0, result.output
    docs = json.loads(result.stdout)
    assert len(docs) == 5
    for doc in docs:
        anchor = doc["anchor"]
        assert anchor["status"] in ("anchored", "moved"), doc["target"]["exact"]
        shown = text[anchor["start"] : anchor["end"]]
        assert _squeeze(shown) == _squeeze(doc["target"]["exact"]), (shown, doc["target"])
