"""Over every real-world post: no space where the source breaks a line between two wide
characters, and the one-line posts' canonical text as it was before the rule.

The junctions are found here independently of the renderer: the source is cut into tags
and text, inline tags are looked through, and each line break between two wide
characters (East Asian Width F, W or H, not Hangul) outside ``pre`` is one junction, with
up to three characters of text on each side. ``show --plain`` must print both sides
joined, with no space between them.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import REALWORLD
from tui.cli import main
from tui.corpus.files import read_body
from tui.corpus.header import split_archive_header
from tui.render import build_document
from tui.render.text import normalize_newlines

pytestmark = pytest.mark.skipif(
    not REALWORLD.is_dir(), reason="../shared/realworld is not present on this machine"
)

ONE_LINE_DIGESTS = Path(__file__).resolve().parents[2] / "fixtures" / "render" / "oneline.json"
"""For each one-line real-world post, the sha256 of its canonical text as the renderer
gave it before the segment-break rule, keyed by a digest of its path (nothing of
../shared is copied); ``POSTIL_UPDATE_GOLDEN=1`` rewrites it."""

_HIDDEN = re.compile(
    r"<!--.*?-->|<(script|style|noscript|template|pre|textarea)\b.*?</\1\s*>",
    re.IGNORECASE | re.DOTALL,
)
_TOKEN = re.compile(r"<[^>]*>|[^<]+")
_INLINE = re.compile(
    r"</?(a|abbr|b|bdi|bdo|big|cite|code|del|dfn|em|font|i|ins|kbd|mark|q|s|samp|small"
    r"|span|strike|strong|sub|sup|time|tt|u|var)\b",
    re.IGNORECASE,
)
_PIECE = re.compile(r"(\s*)(\S(?:.*\S)?)?(\s*)", re.DOTALL)


def _files() -> list[Path]:
    if not REALWORLD.is_dir():
        return []
    return sorted(
        p
        for p in REALWORLD.rglob("*")
        if p.suffix in (".md", ".html", ".htm") and p.parent != REALWORLD
    )


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "FWH" and "HANGUL" not in unicodedata.name(
        char, ""
    )


def _junctions(body: str) -> list[tuple[str, str]]:
    """(text before, text after) each source line break between two wide characters."""
    found: list[tuple[str, str]] = []
    before = ""  # the text since the last block-level tag
    broken = False  # a line break since that text
    for token in _TOKEN.findall(_HIDDEN.sub("", body)):
        if token.startswith("<"):
            if not _INLINE.match(token):
                before, broken = "", False
            continue
        for lead, text, trail in _runs(html.unescape(token)):
            broken = broken or "\n" in lead
            if text:
                if before and broken and _wide(before[-1]) and _wide(text[0]):
                    found.append((before[-3:], text[:3]))
                before, broken = text, "\n" in trail
    return found


def _runs(text: str) -> list[tuple[str, str, str]]:
    """A text node as (leading space, word, trailing space) pieces, words without space."""
    parts = re.split(r"(\s+)", text)
    runs = []
    lead = ""
    for index, part in enumerate(parts):
        if index % 2:
            lead += part
        elif part:
            runs.append((lead, part, ""))
            lead = ""
    if lead:
        runs.append((lead, "", lead))
    return runs


def _one_line(body: str) -> bool:
    """The archive's one-line layout: a few lines at most, none of them prettified."""
    _header, rest = split_archive_header(normalize_newlines(body))
    return rest.strip().count("\n") < 10


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name[:40])
def test_no_space_where_the_source_breaks_a_line_between_wide_characters(path: Path) -> None:
    junctions = [
        (left, right) for left, right in _junctions(read_body(path)) if (left + right).isprintable()
    ]
    result = CliRunner().invoke(main, ["show", "--plain", str(path)])
    assert result.exit_code == 0, result.output
    text = unicodedata.normalize("NFC", result.output)
    spaced = [
        f"{left} {right}"
        for left, right in junctions
        if unicodedata.normalize("NFC", left + right) not in text
    ]
    assert not spaced, f"{len(spaced)} of {len(junctions)} line breaks show a space: {spaced[:5]}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _digests() -> dict[str, str]:
    found = {}
    for path in _files():
        body = read_body(path)
        if _one_line(body):
            text = build_document(body).text
            name = path.relative_to(REALWORLD).as_posix()
            found[_digest(name)[:16]] = _digest(text)
    return found


def test_one_line_posts_keep_their_canonical_text() -> None:
    actual = _digests()
    if os.environ.get("POSTIL_UPDATE_GOLDEN") == "1":
        ONE_LINE_DIGESTS.write_text(json.dumps(actual, indent=0, sort_keys=True) + "\n")
    expected = json.loads(ONE_LINE_DIGESTS.read_text(encoding="utf-8"))
    changed = sorted(name for name in expected if actual.get(name) != expected[name])
    assert len(actual) > 100
    assert not changed, f"{len(changed)} one-line posts changed: {changed[:5]}"
