"""The Markdown stage: markdown-it tokens -> :class:`~tui.render.model.Block` values.

Blocks come out without canonical offsets; :class:`~tui.render.document.Document`
places them. A :class:`Converter` carries the link numbering across chunks, so the
blocks of a long post can be produced chunk by chunk, in order, on demand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

from tui.render import html as html_stage
from tui.render.model import BOLD, CODE, ITALIC, LINK, STRIKE, Block, BlockKind, Link, Run
from tui.render.segments import joins_without_space
from tui.render.text import (
    LINK_END,
    MARK_OPEN,
    STYLE_MARKS,
    clean_inline,
    nfc,
    sanitize,
    strip_reserved,
)

_SPACES = re.compile(r"[ \t\n\r\f\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
_INLINE_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9]*)([^>]*)>")
_BULLETS = ("•", "◦", "▪")
_TAG_FLAGS = {
    "b": BOLD,
    "strong": BOLD,
    "i": ITALIC,
    "em": ITALIC,
    "cite": ITALIC,
    "code": CODE,
    "kbd": CODE,
    "tt": CODE,
    "s": STRIKE,
    "del": STRIKE,
    "strike": STRIKE,
}
_TOKEN_FLAGS = {"strong": BOLD, "em": ITALIC, "s": STRIKE}


_MD_HTML = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
"""For Markdown bodies: HTML blocks and inline tags are recognised and converted."""
_MD_TEXT = MarkdownIt("commonmark", {"html": False}).disable(["lheading", "fence", "autolink"])
"""For html2text output: only the syntax html2text writes is recognised.

Any ``<tag>`` left is text the post showed literally (``html`` off); ``&lt;http://x&gt;``
is no autolink; tables and strikethrough arrive as placeholders and style marks, so a
literal ``| a |`` line or ``~~`` stays text; html2text writes no setext headings or
fences.
"""
_PLACEHOLDER = re.compile(MARK_OPEN + "([^" + MARK_OPEN + "]*)" + MARK_OPEN)
_SPECIAL = re.compile("[" + MARK_OPEN + LINK_END + "".join(STYLE_MARKS) + "]")


class _Inline:
    """Accumulates one block's text with whitespace collapsed, and its style runs."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.ends_space = True
        self.runs: list[Run] = []
        self.marks: list[tuple[int, int]] = []
        self.breaks: list[int] = []
        self.last = ""
        """The last character added."""
        self.pending_break = False
        """A source line break was met; the next character decides if it is a space."""

    def reset(self) -> None:
        """Start a new block (leading whitespace is dropped again)."""
        self.parts = []
        self.length = 0
        self.ends_space = True  # start of block: leading whitespace is dropped
        self.runs = []
        self.marks = []
        self.breaks = []
        self.last = ""
        self.pending_break = False

    def add(self, text: str, flags: int = 0, link: int = 0) -> None:
        text = nfc(_SPACES.sub(" ", clean_inline(text)))
        if self.pending_break:
            body = text.lstrip(" ")
            if not body:
                return  # white space after a line break: part of the same run
            self.pending_break = False
            text = body if joins_without_space(self.last, body[0]) else " " + body
        if self.ends_space and text.startswith(" "):
            text = text[1:]
        if not text:
            return
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        self.ends_space = text.endswith(" ")
        self.last = text[-1]
        if flags:
            self.runs.append(Run(start, self.length, flags, link))

    def space(self, hard: bool = False) -> None:
        self.pending_break = False
        if not self.ends_space:
            if hard:
                self.breaks.append(self.length)
            self.add(" ")

    def segment_break(self) -> None:
        """A line break in the source (a Markdown soft break): a space, or nothing
        between two wide characters (CSS Text 3; see :mod:`tui.render.segments`)."""
        if self.length and not self.ends_space:
            self.pending_break = True

    def mark(self, number: int) -> None:
        last = self.length - 1 - (1 if self.ends_space and self.length else 0)
        if last >= 0:
            self.marks.append((last, number))

    def is_empty(self) -> bool:
        return self.length == 0

    def finish(self) -> tuple[str, tuple[Run, ...], tuple[tuple[int, int], ...], tuple[int, ...]]:
        text = "".join(self.parts)
        if text.endswith(" "):
            text = text[:-1]
        text = nfc(text)  # pieces are NFC; this only matters across piece boundaries
        size = len(text)
        runs = tuple(
            Run(r.start, min(r.end, size), r.flags, r.link) for r in self.runs if r.start < size
        )
        marks = tuple((i, n) for i, n in self.marks if i < size)
        breaks = tuple(i for i in self.breaks if i < size)
        return text, runs, marks, breaks


class Converter:
    """Turns Markdown and HTML into blocks, numbering links across the whole post."""

    def __init__(self) -> None:
        self.links: list[Link] = []
        self._by_url: dict[str, int] = {}

    def link_number(self, url: str, text: str) -> int:
        """The link list number of ``url``, adding it when new (0 for unusable URLs)."""
        url = html_stage.clean_url(url)
        if html_stage.is_refused_url(url) or url.startswith("#"):
            return 0
        number = self._by_url.get(url)
        if number is None:
            number = len(self.links) + 1
            self._by_url[url] = number
            self.links.append(Link(number, text or url, url))
        return number

    def html_blocks(self, html: str, quote: int = 0, indent: int = 0) -> Iterator[Block]:
        """Blocks of an HTML fragment, converted chunk by chunk as they are consumed."""
        # Sanitizing, placeholders and html2text run chunk by chunk, as blocks are asked
        # for: a long post's first screen pays only for its first chunks.
        for chunk in html_stage.chunks(html_stage.strip_invisible(html)):
            prepared = html_stage.prepare(strip_reserved(sanitize(chunk)))
            markdown = html_stage.to_markdown(prepared)
            yield from _Walker(self, quote, indent).walk(_MD_TEXT.parse(markdown))

    def markdown_blocks(self, markdown: str) -> Iterator[Block]:
        """Blocks of a Markdown body whose HTML blocks and tags are converted too."""
        yield from _Walker(self, 0, 0, html=True).walk(_MD_HTML.parse(markdown))

    def body_blocks(self, body: str) -> Iterator[Block]:
        """Blocks of a post body (archive header already removed)."""
        if html_stage.looks_like_html(body):
            return self.html_blocks(body)
        return self.markdown_blocks(strip_reserved(sanitize(html_stage.strip_invisible(body))))


class _Walker:
    """Walks one token stream, keeping list, quote and inline state."""

    def __init__(self, conv: Converter, quote: int, indent: int, *, html: bool = False) -> None:
        self.conv = conv
        self.style_depth = {BOLD: 0, ITALIC: 0, STRIKE: 0}  # open style marks
        self.quote = quote
        self.base_indent = indent
        self.html = html
        self.link = 0
        """The number of the link open now (0: none, or one without a usable URL)."""
        self.link_text: list[str] = []
        """The text of the open link so far (its label in the link list)."""
        self.lists: list[list[int]] = []  # per open list: [ordered (0/1), next number]
        self.pending_marker = ""
        self.out: list[Block] = []

    # -- block structure -------------------------------------------------------------

    def walk(self, tokens: Sequence[Token]) -> Iterator[Block]:
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            kind = tok.type
            if kind == "heading_open":
                self._inline(tokens[i + 1], "heading", int(tok.tag[1:]))
                i += 2
            elif kind == "paragraph_open":
                self._inline(tokens[i + 1], "paragraph", 0)
                i += 2
            elif kind in ("bullet_list_open", "ordered_list_open"):
                start = int(tok.attrGet("start") or 1) if kind == "ordered_list_open" else 0
                self.lists.append([1 if kind == "ordered_list_open" else 0, start])
            elif kind in ("bullet_list_close", "ordered_list_close"):
                if self.lists:
                    self.lists.pop()
            elif kind == "list_item_open":
                self.pending_marker = self._next_marker()
            elif kind == "blockquote_open":
                self.quote += 1
            elif kind == "blockquote_close":
                self.quote = max(0, self.quote - 1)
            elif kind in ("code_block", "fence"):
                self._code(tok.content)
            elif kind == "hr":
                self._emit(Block("rule", "", quote=self.quote, indent=self._indent()))
            elif kind == "table_open":
                i = self._md_table(tokens, i)
            elif kind == "html_block":
                self._html(tok.content)
            elif kind == "inline":
                self._inline(tok, "paragraph", 0)
            yield from self.out
            self.out.clear()
            i += 1

    def _indent(self) -> int:
        return self.base_indent + len(self.lists)

    def _next_marker(self) -> str:
        if not self.lists:
            return "•"
        current = self.lists[-1]
        if current[0]:
            current[1] += 1
            return f"{current[1] - 1}."
        return _BULLETS[(len(self.lists) - 1) % len(_BULLETS)]

    def _emit(self, block: Block) -> None:
        self.out.append(block)

    def _html(self, content: str) -> None:
        self.out.extend(self.conv.html_blocks(content, self.quote, self._indent()))

    def _code(self, content: str) -> None:
        if MARK_OPEN in content:
            content = _PLACEHOLDER.sub(self._code_placeholder, content)
        text = clean_inline(content.expandtabs(4))
        lines = [line.rstrip() for line in text.split("\n")]
        text = nfc(re.sub(r"\n{2,}", "\n", "\n".join(lines)).strip("\n"))
        if text.strip():
            self._emit(Block("code", text, quote=self.quote, indent=self._indent()))

    def _code_placeholder(self, match: re.Match[str]) -> str:
        """A link inside ``<pre>`` keeps its text and its link list entry, unstyled."""
        decoded = html_stage.decode_marker(match.group(1))
        if decoded is not None and decoded[0] == "link" and decoded[1]:
            self.conv.link_number(decoded[1], "")
        return ""

    # -- inline content --------------------------------------------------------------

    def _inline(self, tok: Token, kind: BlockKind, level: int) -> None:
        acc = _Inline()
        flags = 0
        buffer: list[str] = []  # adjacent text tokens, joined so markers split by
        # escapes stay whole
        for child in tok.children or ():
            ctype = child.type
            if ctype in ("text", "text_special"):
                buffer.append(child.content)
                continue
            if buffer:
                self._text(acc, "".join(buffer), flags, kind, level)
                buffer.clear()
            if ctype == "code_inline":
                self._add(acc, child.content, flags | CODE)
            elif ctype == "softbreak":
                acc.segment_break()
            elif ctype == "hardbreak":
                acc.space(hard=True)
            elif ctype.endswith("_open") and ctype[:-5] in _TOKEN_FLAGS:
                flags |= _TOKEN_FLAGS[ctype[:-5]]
            elif ctype.endswith("_close") and ctype[:-6] in _TOKEN_FLAGS:
                flags &= ~_TOKEN_FLAGS[ctype[:-6]]
            elif ctype == "link_open":
                self._open_link(acc, str(child.attrGet("href") or ""))
            elif ctype == "link_close":
                self._close_link(acc)
            elif ctype == "image":
                acc = self._flush(acc, kind, level)
                alt = "".join(c.content for c in child.children or ()) or child.content
                self._media("image", str(child.attrGet("src") or ""), alt)
            elif ctype == "html_inline":
                flags, acc = self._html_inline(acc, child.content, flags, kind, level)
        if buffer:
            self._text(acc, "".join(buffer), flags, kind, level)
        self._flush(acc, kind, level)

    def _flags(self, flags: int) -> int:
        """Token flags plus the styles opened by marks from the HTML stage and the link."""
        for flag, depth in self.style_depth.items():
            if depth > 0:
                flags |= flag
        return flags | LINK if self.link else flags

    def _add(self, acc: _Inline, text: str, flags: int) -> None:
        """Add text in the current styles and link (whose label it becomes part of)."""
        acc.add(text, self._flags(flags), self.link)
        if self.link:
            self.link_text.append(text)

    def _text(self, acc: _Inline, content: str, flags: int, kind: BlockKind, level: int) -> None:
        pos = 0
        while (match := _SPECIAL.search(content, pos)) is not None:
            self._add(acc, content[pos : match.start()], flags)
            char = match.group()
            pos = match.end()
            if char in STYLE_MARKS:
                flag, step = STYLE_MARKS[char]
                self.style_depth[flag] = max(0, self.style_depth[flag] + step)
                continue
            if char == LINK_END:
                self._close_link(acc)
                continue
            end = content.find(MARK_OPEN, pos)
            if end < 0:
                continue
            decoded = html_stage.decode_marker(content[pos:end])
            pos = end + 1
            if decoded is None:
                continue
            media, url, text = decoded
            if media == "link":
                self._open_link(acc, url)
                continue
            self._flush_into(acc, kind, level)
            if media == "table":
                self._table_payload(text)
            else:
                self._media(media, url, text)
        self._add(acc, content[pos:], flags)

    def _open_link(self, acc: _Inline, href: str) -> None:
        """Start a link (number 0, text only, when its URL is unusable).

        As in HTML, a link never holds another: an open one ends here. A link may span
        blocks (``<a>`` around a heading), so it belongs to the walker, not the block.
        """
        self._close_link(acc)
        self.link = self.conv.link_number(href, "") if href else 0
        self.link_text = []

    def _close_link(self, acc: _Inline) -> None:
        number, self.link = self.link, 0
        if not number:
            return
        link = self.conv.links[number - 1]
        if link.text == link.url:  # the first time this URL is linked: label it
            label = nfc(_SPACES.sub(" ", clean_inline("".join(self.link_text)))).strip()
            if label:
                self.conv.links[number - 1] = Link(number, label, link.url)
        if any(r.link == number for r in acc.runs):
            acc.mark(number)

    def _html_inline(
        self,
        acc: _Inline,
        content: str,
        flags: int,
        kind: BlockKind,
        level: int,
    ) -> tuple[int, _Inline]:
        match = _INLINE_TAG.match(content.strip())
        if not match:
            return flags, acc
        closing, name = bool(match.group(1)), match.group(2).lower()
        attrs = html_stage.attributes(match.group(3))
        if name == "br":
            acc.space(hard=True)
        elif name in _TAG_FLAGS:
            flags = flags & ~_TAG_FLAGS[name] if closing else flags | _TAG_FLAGS[name]
        elif name == "a" and not closing:
            self._open_link(acc, attrs.get("href", ""))
        elif name == "a":
            self._close_link(acc)
        elif name == "img" and not closing:
            acc = self._flush(acc, kind, level)
            self._media("image", attrs.get("src", ""), attrs.get("alt", ""))
        elif name in ("iframe", "video", "audio") and not closing:
            acc = self._flush(acc, kind, level)
            label = "iframe" if name == "iframe" else name
            self._media(label, attrs.get("src", ""), attrs.get("title", ""))
        return flags, acc

    def _flush_into(self, acc: _Inline, kind: BlockKind, level: int) -> None:
        """Emit the text gathered so far as a block and reset ``acc`` in place."""
        self._emit_inline(acc, kind, level)
        acc.reset()

    def _flush(self, acc: _Inline, kind: BlockKind, level: int) -> _Inline:
        self._emit_inline(acc, kind, level)
        return _Inline()

    def _emit_inline(self, acc: _Inline, kind: BlockKind, level: int) -> None:
        if self.link:
            self.link_text.append(" ")  # a link spanning blocks: their texts apart
        if acc.is_empty():
            return
        text, runs, marks, breaks = acc.finish()
        if not text:
            return
        if kind == "paragraph" and self.lists:
            kind = "item"
        elif kind == "paragraph" and self.quote:
            kind, level = "quote", self.quote
        if kind == "item":
            level = len(self.lists)
        marker, self.pending_marker = self.pending_marker, ""
        block = Block(
            kind,
            text,
            level=level,
            quote=self.quote,
            indent=self._indent(),
            marker=marker if kind == "item" else "",
            runs=runs,
            marks=marks,
            breaks=breaks,
        )
        self._emit(block)

    def _media(self, label: str, url: str, text: str) -> None:
        text = nfc(_SPACES.sub(" ", clean_inline(text))).strip()
        number = self.conv.link_number(url, f"{label}: {text}" if text else label)
        kind: BlockKind = "figure" if label == "image" else "embed"
        self._emit(
            Block(
                kind,
                text,
                quote=self.quote,
                indent=self._indent(),
                label=label,
                url=html_stage.clean_url(url),
                link=number,
            )
        )

    def _table_payload(self, payload: str) -> None:
        try:
            data = json.loads(payload)
            rows = [[str(c) for c in row] for row in data["r"]]
            header = bool(data["h"])
        except (ValueError, KeyError, TypeError):
            return
        self._table(rows, header)

    def _table(self, rows: list[list[str]], header: bool) -> None:
        width = max((len(r) for r in rows), default=0)
        if not width:
            return
        clean = tuple(
            tuple(nfc(_SPACES.sub(" ", clean_inline(c))).strip() for c in row)
            + ("",) * (width - len(row))
            for row in rows
        )
        text = "\n".join(" | ".join(row) for row in clean)
        self._emit(
            Block(
                "table",
                text,
                quote=self.quote,
                indent=self._indent(),
                rows=clean,
                header=header,
            )
        )

    def _md_table(self, tokens: Sequence[Token], i: int) -> int:
        rows: list[list[str]] = []
        header = False
        row: list[str] = []
        while i < len(tokens) and tokens[i].type != "table_close":
            tok = tokens[i]
            if tok.type == "thead_open":
                header = True
            elif tok.type == "tr_open":
                row = []
            elif tok.type == "tr_close":
                rows.append(row)
            elif tok.type == "inline":
                row.append(_plain_inline(tok))
            i += 1
        self._table(rows, header)
        return i


def _plain_inline(tok: Token) -> str:
    """The visible text of an inline token, styles dropped (for table cells)."""
    out: list[str] = []
    for child in tok.children or ():
        if child.type in ("text", "text_special", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append("".join(c.content for c in child.children or ()))
    return "".join(out)
