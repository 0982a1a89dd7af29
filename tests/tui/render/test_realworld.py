"""Every real-world post renders, prints no ESC byte, and keeps all its paragraph text."""

from __future__ import annotations

import html
import re
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import REALWORLD
from tui.cli import main
from tui.corpus.files import read_body
from tui.render import build_document
from tui.render.layout import Layout

pytestmark = pytest.mark.skipif(
    not REALWORLD.is_dir(), reason="../shared/realworld is not present on this machine"
)

_PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p\s*>", re.IGNORECASE | re.DOTALL)
_HIDDEN = re.compile(r"<!--.*?-->|<(script|style|noscript)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_MEDIA = re.compile(r"<(img|iframe|video|audio|table|figure)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_ZERO_WIDTH = re.compile("[\u200b\u2060\ufeff\u00ad\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _files() -> list[Path]:
    if not REALWORLD.is_dir():
        return []
    return sorted(p for p in REALWORLD.rglob("*") if p.suffix in (".md", ".html", ".htm"))


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "FWH" and "HANGUL" not in unicodedata.name(
        char, ""
    )


def _collapse(text: str) -> str:
    """CSS white-space collapsing: a run holding a line break between two wide characters
    (or beside a zero-width space) is removed, any other run is one space."""

    def run(match: re.Match[str]) -> str:
        before = text[match.start() - 1 : match.start()]
        after = text[match.end() : match.end() + 1]
        if "\n" in match.group() and before and after:
            if "\u200b" in (before, after) or (_wide(before) and _wide(after)):
                return ""
        return " "

    return re.sub(r"\s+", run, text).strip()


def _paragraph_texts(body: str) -> list[str]:
    """Each <p>'s text: tags stripped, entities decoded, whitespace collapsed, NFC.

    Media elements split a paragraph (they become blocks of their own).
    """
    texts = []
    for match in _PARAGRAPH.finditer(_HIDDEN.sub("", body)):
        for piece in _MEDIA.split(match.group(1))[::2]:
            # A <br> is a line break of its own, never removed: a stand-in till collapsed.
            text = _TAG.sub("", re.sub(r"<br\b[^>]*>", "\ue100", piece, flags=re.IGNORECASE))
            text = _collapse(_CONTROL.sub("", html.unescape(text)))
            text = " ".join(text.replace("\ue100", " ").split())
            text = unicodedata.normalize("NFC", _ZERO_WIDTH.sub("", text))
            if text:
                texts.append(text)
    return texts


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name[:40])
def test_realworld_post_renders_and_keeps_paragraphs(path: Path) -> None:
    body = read_body(path)
    doc = build_document(body)
    text = doc.text
    assert not _CONTROL.search(text)
    flat = " ".join(text.split())  # table rows and code lines are joined by newlines
    missing = [p for p in _paragraph_texts(body) if p not in text and p not in flat]
    assert not missing, f"{len(missing)} paragraphs missing, first: {missing[0][:200]!r}"
    layout = Layout(doc, 100)
    layout.ensure(50)
    assert layout.line_count > 0 or not text


@pytest.mark.slow
def test_show_output_has_no_escape_byte() -> None:
    """(``--plain`` prints ``doc.text``, checked for controls in the test above.)"""
    runner = CliRunner()
    for path in _files():
        result = runner.invoke(main, ["show", str(path)])
        assert result.exit_code == 0, (path, result.output)
        assert "\x1b" not in result.output, path
