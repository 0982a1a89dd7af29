"""Golden-file helpers: fixtures under tests/fixtures/render and their expected output.

Set ``POSTIL_UPDATE_GOLDEN=1`` to rewrite the golden files, then read the diff before
committing it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tui.render import Document

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "render"
GOLDEN = FIXTURES / "golden"
UPDATE = os.environ.get("POSTIL_UPDATE_GOLDEN") == "1"


def fixture_names() -> list[str]:
    """The fixture posts (file stems)."""
    return sorted(p.stem for p in FIXTURES.glob("*.md"))


def dump_blocks(doc: Document) -> str:
    """One JSON object per block (default fields left out), then one per link."""
    lines = []
    for block in doc.blocks:
        item: dict[str, object] = {"kind": block.kind, "text": block.text}
        item["span"] = [block.start, block.end]
        for name in ("level", "quote", "indent", "marker", "label", "url", "link", "header"):
            value = getattr(block, name)
            if value:
                item[name] = value
        if block.runs:
            item["runs"] = [[r.start, r.end, r.flags, r.link] for r in block.runs]
        if block.marks:
            item["marks"] = [list(m) for m in block.marks]
        if block.breaks:
            item["breaks"] = list(block.breaks)
        if block.rows:
            item["rows"] = [list(r) for r in block.rows]
        lines.append(json.dumps(item, ensure_ascii=False))
    for link in doc.links:
        lines.append(
            json.dumps(
                {"link": link.number, "text": link.text, "url": link.url}, ensure_ascii=False
            )
        )
    return "\n".join(lines) + "\n"


def check_golden(name: str, actual: str) -> None:
    """Compare ``actual`` with golden file ``name`` (or write it when updating)."""
    path = GOLDEN / name
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"missing golden file {path}; run with POSTIL_UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")
