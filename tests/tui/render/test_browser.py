"""A real browser is the reference of the canonical text.

Chromium renders the body of every post in sample_posts/ and ../shared/realworld/ (a
Markdown body as markdown-it's HTML); its ``innerText`` and postil's canonical text are
compared with all whitespace ignored (postil removes the spaces CSS Text 3 removes between
Chinese characters, which Chromium still shows, and lays out blocks its own way):

- at least 99% of the browser's text, line by line and table cell by cell, is in
  postil's text;
- every line and table cell of postil's text is in the browser's, once the browser's
  text has postil's documented additions (an image's alt text, an embed's title).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tests.conftest import REALWORLD, SAMPLE_POSTS
from tests.tui.render.browser import Browser, missing_reason
from tui.corpus.files import read_body
from tui.corpus.header import split_archive_header
from tui.render import Document, build_document
from tui.render.html import looks_like_html
from tui.render.text import normalize_newlines

_SUFFIXES = (".md", ".markdown", ".html", ".htm")
_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_REMOVED = re.compile(
    "[\u200b\u2060\ufeff\u00ad\u200e\u200f\u202a-\u202e\u2066-\u2069\x00-\x08\x0b-\x1f\x7f-\x9f]"
)
"""What postil documents it removes: zero-width, bidi and control characters."""
MIN_COVERAGE = 0.99

_BROWSER_MISSING = missing_reason()
pytestmark = pytest.mark.skipif(_BROWSER_MISSING is not None, reason=_BROWSER_MISSING or "")


def _posts(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    # ../shared/realworld/README.md describes the folder: it is no post.
    return sorted(p for p in root.rglob("*") if p.suffix in _SUFFIXES and p.parent != root)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole session."""
    chromium = Browser()
    yield chromium
    chromium.close()


def _squeeze(text: str) -> str:
    """NFC, without whitespace and without what postil removes."""
    return "".join(_REMOVED.sub("", unicodedata.normalize("NFC", text)).split())


@dataclass
class Comparison:
    """How one post's canonical text compares with the browser's text."""

    total: int
    """Characters of the browser's text (whitespace ignored)."""
    missing: list[str]
    """Browser lines or cells not found in postil's text."""
    extra: list[str]
    """Lines or cells of postil's text not found in the browser's."""

    @property
    def coverage(self) -> float:
        """The share of the browser's text found in postil's."""
        lost = sum(len(piece) for piece in self.missing)
        return 1.0 if not self.total else (self.total - lost) / self.total

    def report(self, name: str) -> str:
        """The figures and the first differences, for a failure message."""
        lost = sum(len(piece) for piece in self.missing)
        return (
            f"{name}: {self.coverage:.2%} of the browser's {self.total} characters found "
            f"({lost} missing in {len(self.missing)} lines); {len(self.extra)} lines of "
            f"postil's text not in the browser's\n"
            f"  missing: {[m[:80] for m in self.missing[:5]]}\n"
            f"  extra: {[e[:80] for e in self.extra[:5]]}"
        )


def _postil_pieces(doc: Document) -> Iterator[str]:
    for block in doc.blocks:
        if block.kind in ("figure", "embed"):
            continue  # placeholders: compared through the browser text's additions
        if block.kind == "table":
            yield from (cell for row in block.rows for cell in row)
        else:
            yield from block.text.split("\n")


def compare(browser_text: str, doc: Document) -> Comparison:
    """Compare the browser's ``innerText`` with a document's canonical text."""
    postil = _squeeze(doc.text)
    shown = _squeeze(browser_text)
    pieces = (_squeeze(cell) for line in browser_text.split("\n") for cell in line.split("\t"))
    total = 0
    missing = []
    for piece in pieces:
        total += len(piece)
        if piece and piece not in postil:
            missing.append(piece)
    extra = [p for p in map(_squeeze, _postil_pieces(doc)) if p and p not in shown]
    return Comparison(total, missing, extra)


def _browser_html(body: str) -> str:
    """The HTML a browser gets: the body without the archive header, Markdown rendered."""
    _header, rest = split_archive_header(normalize_newlines(body))
    return rest if looks_like_html(rest) else _MARKDOWN.render(rest)


def _check(path: Path, browser: Browser) -> None:
    body = read_body(path)
    result = compare(browser.inner_text(_browser_html(body)), build_document(body))
    assert result.coverage >= MIN_COVERAGE and not result.extra, result.report(path.name)


@pytest.mark.parametrize("path", _posts(SAMPLE_POSTS), ids=lambda p: p.stem[:40])
def test_sample_post_text_is_the_browser_text(path: Path, browser: Browser) -> None:
    _check(path, browser)


@pytest.mark.skipif(not REALWORLD.is_dir(), reason="../shared/realworld is not present")
@pytest.mark.parametrize("path", _posts(REALWORLD), ids=lambda p: p.stem[:40])
def test_realworld_post_text_is_the_browser_text(path: Path, browser: Browser) -> None:
    _check(path, browser)


def test_the_comparison_catches_leaked_markdown_and_a_missing_line(browser: Browser) -> None:
    """The check itself: the pre-fix rendering of a refused link fails it both ways."""
    html = "<p>Subscribe: <a href='javascript:'>訂閱</a></p><p>AT&T</p>"
    shown = browser.inner_text(html)
    assert shown == "Subscribe: 訂閱\n\nAT&T"
    assert not compare(shown, build_document(html)).extra
    leaked = build_document("<p>Subscribe: [訂閱](javascript:)</p><p>AT&amp;T;</p>")
    result = compare(shown, leaked)
    assert result.extra == ["Subscribe:[訂閱](javascript:)", "AT&T;"]
    assert result.coverage < MIN_COVERAGE


@pytest.mark.parametrize(
    "html",
    [
        "<p>AT&T and R&D, see https://x.org/?a=1&b=2 &amp; &lt;b&gt;</p>",
        "<p>&copy 2024 &copy; &COPY &notit; &foo; &amp;amp; &#26159;&#x662F; &#128512;</p>",
        "<p>&ast;&ast;x&ast;&ast; &lsqb;a&rsqb;&lpar;b&rpar; &#96;c&#96; **d** [e](f)</p>",
        "<p><img alt='a&copy=b &notit; c&amp d&copy;e' src='x.png'> after</p>",
        "<pre>a &amp;lt; b &amp; c &lt;i&gt;</pre>",
        "<p>訂閱 <a href='javascript:'>訂閱</a> <a href=''>x</a> <a>y</a></p>",
    ],
)
def test_fragments_read_as_the_browser_reads_them(html: str, browser: Browser) -> None:
    assert _squeeze(build_document(html).text) == _squeeze(browser.inner_text(html))
