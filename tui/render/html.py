"""The HTML stage: hide what never shows, turn media and tables into placeholders,
cut the HTML into chunks and convert each chunk to Markdown with html2text.

html2text is the slow part (about 1 ms per KB), so a long post is cut at block-level
tag boundaries into chunks of a few KB that are converted only when the layout asks
for them. Images, figures, embeds and tables are replaced *before* html2text by
private-use placeholders whose fields are hex-encoded: html2text would otherwise drop
iframes, mangle URLs with spaces and break tables whose cells hold ``|`` or ``<br>``,
and hex survives its Markdown escaping untouched. Links become a placeholder holding
their URL and an end mark, so no Markdown link is ever written: markdown-it refuses
``javascript:`` URLs and then prints the whole ``[text](url)``. Character references in
text are decoded here too (see :mod:`tui.render.entities`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import html2text

from tui.render.entities import decode_attribute, protect_text
from tui.render.segments import INLINE_TAG, remove_segment_breaks
from tui.render.text import (
    GUARD,
    LINK_END,
    MARK_OPEN,
    MARK_SEP,
    STYLE_MARKS,
    clean_inline,
    collapse,
    nfc,
    plain_line,
)

MIN_CHUNK = 3000
"""Characters of HTML below which a chunk is never cut (html2text has a fixed cost)."""
MAX_CHUNK = 48000
"""Past this size a chunk is cut even inside a list or quote, to keep first screens fast."""

_INVISIBLE = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<(script|style|noscript|template)\b[^>]*?/>"
    r"|<(script|style|noscript|template)\b[^>]*>.*?(?:</\2\s*>|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_STRAY_CLOSE = re.compile(r"</(script|style|noscript|template)\s*>", re.IGNORECASE)
_ATTR = re.compile(r"""([A-Za-z_:][-\w:.]*)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")
_TAG = re.compile(r"<[^>]*>")
_MARKER = re.compile(MARK_OPEN + "([^" + MARK_OPEN + "]*)" + MARK_OPEN)
_FIGURE = re.compile(r"<figure\b[^>]*>(.*?)(?:</figure\s*>|\Z)", re.IGNORECASE | re.DOTALL)
_FIGCAPTION = re.compile(
    r"<figcaption\b[^>]*>(.*?)(?:</figcaption\s*>|\Z)", re.IGNORECASE | re.DOTALL
)
_IMG = re.compile(r"<img\b([^>]*)>", re.IGNORECASE)
_EMBED = re.compile(
    r"<(iframe|video|audio|embed|object)\b([^>]*)>(?:(.*?)</\1\s*>)?", re.IGNORECASE | re.DOTALL
)
_SOURCE = re.compile(r"<source\b([^>]*)>", re.IGNORECASE)
_TABLE_TAG = re.compile(r"<(/?)table\b[^>]*>", re.IGNORECASE)
_ROW = re.compile(r"<tr\b[^>]*>(.*?)(?=<tr\b|</table|\Z)", re.IGNORECASE | re.DOTALL)
_CELL = re.compile(r"<(t[dh])\b[^>]*>(.*?)(?=<t[dh]\b|</tr|\Z)", re.IGNORECASE | re.DOTALL)
_BR = re.compile(r"<br\b[^>]*>", re.IGNORECASE)
_LINK_TAG = re.compile(r"<(/?)a\b((?:\"[^\"]*\"|'[^']*'|[^>\"'])*)>", re.IGNORECASE)
_BLOCK_TAG = re.compile(
    r"<(/?)(p|div|h[1-6]|ul|ol|dl|blockquote|pre|section|article|header|footer|table|figure|li)"
    r"\b[^>]*>",
    re.IGNORECASE,
)
_EMPTY_INLINE = re.compile(
    r"<(i|em|b|strong|s|del|strike|u|span|code|small|sup|sub|font)\b[^>]*>(\s*)</\1\s*>",
    re.IGNORECASE,
)
"""Empty style elements (icon fonts use them): html2text would print a bare ``__``."""
_STYLE_TAG = re.compile(r"<(/?)(b|strong|i|em|cite|s|del|strike)\b[^>]*>", re.IGNORECASE)
_STYLE_FLAGS = {"b": 1, "strong": 1, "i": 2, "em": 2, "cite": 2, "s": 8, "del": 8, "strike": 8}
_LINE_SYNTAX = re.compile(r"(>|^)(\s*(?:\d{1,9}[.)]|[-+*=#>`~|]))", re.MULTILINE)
"""Where text that could start a Markdown line begins: after a tag or at a line start
(references are decoded before, so ``&gt;`` is already a ``>`` here)."""
_GUARDED = r"\1" + GUARD + r"\2"
_NESTING = frozenset({"ul", "ol", "dl", "blockquote", "pre", "table", "figure"})
"""Elements a chunk never ends inside (their parts must be converted together)."""
_LAZY_SRC = ("data-src", "data-original", "data-lazy-src", "data-actualsrc", "data-url", "src")


def strip_invisible(html: str) -> str:
    """Remove comments, ``script``, ``style``, ``noscript`` and ``template`` elements.

    Unclosed ones run to the end of the text, as a browser would treat them.
    """
    if "<" not in html:
        return html
    return _STRAY_CLOSE.sub("", _INVISIBLE.sub("", html))


def looks_like_html(body: str) -> bool:
    """True when the body starts with an HTML tag, so html2text should read all of it.

    Bodies that start with Markdown are parsed as Markdown, with their HTML blocks
    converted one by one (see :mod:`tui.render.blocks`).
    """
    head = body.lstrip()[:2]
    return len(head) == 2 and head[0] == "<" and (head[1].isalpha() or head[1] in "!/")


def attributes(tag_body: str) -> dict[str, str]:
    """Parse a tag's attributes (lower-cased names, quotes removed, references decoded)."""
    found: dict[str, str] = {}
    for name, value in _ATTR.findall(tag_body):
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        found.setdefault(name.lower(), decode_attribute(value))
    return found


def clean_url(url: str) -> str:
    """A decoded attribute URL without controls or surrounding spaces."""
    return clean_inline(url).strip().replace(" ", "%20")


_REFUSED_SCHEMES = ("javascript:", "vbscript:", "data:")


def is_refused_url(url: str) -> bool:
    """Whether a link or image URL is no address to show: empty, or a script or
    ``data:`` URL. Browsers read the scheme without case, tabs or newlines."""
    scheme = re.sub(r"[\t\n\r]", "", url).strip().lower()
    return not scheme or scheme.startswith(_REFUSED_SCHEMES)


def marker(kind: str, url: str, text: str) -> str:
    """A placeholder the Markdown stage turns back into a figure, embed or table."""
    return (
        MARK_OPEN
        + kind
        + MARK_SEP
        + url.encode("utf-8").hex()
        + MARK_SEP
        + text.encode("utf-8").hex()
        + MARK_OPEN
    )


def decode_marker(inner: str) -> tuple[str, str, str] | None:
    """The (kind, url, text) of a placeholder's inside, None if it is malformed."""
    parts = inner.split(MARK_SEP)
    if len(parts) != 3:
        return None
    try:
        return parts[0], bytes.fromhex(parts[1]).decode("utf-8"), bytes.fromhex(parts[2]).decode()
    except ValueError:
        return None


def _marker_text(match: re.Match[str]) -> str:
    decoded = decode_marker(match.group(1))
    return f" {decoded[2]} " if decoded and decoded[0] != "table" else " "


def tag_text(fragment: str) -> str:
    """The visible text of an HTML fragment: references decoded, inline tags dropped,
    other tags a space, white space collapsed as in CSS (segment breaks included).

    Placeholders already inserted in the fragment (an image in a table cell) give their
    alt text.
    """
    text = remove_segment_breaks(protect_text(fragment))
    text = _TAG.sub(" ", INLINE_TAG.sub("", text))
    return nfc(collapse(clean_inline(_MARKER.sub(_marker_text, text))))


def _empty_inline(match: re.Match[str]) -> str:
    return match.group(2)  # its white space, which the segment-break rule then weighs


def _style_mark(match: re.Match[str]) -> str:
    flag = _STYLE_FLAGS[match.group(2).lower()]
    closing = bool(match.group(1))
    for char, (mark_flag, step) in STYLE_MARKS.items():
        if mark_flag == flag and (step < 0) == closing:
            return char
    return ""


def _image_source(attrs: dict[str, str]) -> str:
    """The real source of a possibly lazy-loaded image."""
    for name in _LAZY_SRC:
        value = attrs.get(name, "").strip()
        if value and not value.startswith("data:"):
            return clean_url(value)
    return ""


def _is_emoji(attrs: dict[str, str]) -> bool:
    """WordPress and friends draw emoji as tiny images; those read as their alt text."""
    cls = attrs.get("class", "")
    return "emoji" in cls or "wp-smiley" in cls


def _image(match: re.Match[str], caption: str = "") -> str:
    attrs = attributes(match.group(1))
    alt = plain_line(attrs.get("alt", "") or attrs.get("title", ""))
    if _is_emoji(attrs):
        return alt
    return "<p>" + marker("image", _image_source(attrs), caption or alt) + "</p>"


def _embed(match: re.Match[str], caption: str = "") -> str:
    kind = match.group(1).lower()
    attrs = attributes(match.group(2))
    url = attrs.get("src") or attrs.get("data-src") or attrs.get("data") or ""
    inner = match.group(3) or ""
    if not url:
        source = _SOURCE.search(inner)
        url = attributes(source.group(1)).get("src", "") if source else ""
    title = caption or plain_line(attrs.get("title", "") or attrs.get("aria-label", ""))
    label = "video" if kind in ("video", "object", "embed") else kind
    return "<p>" + marker(label, clean_url(url), title) + "</p>"


def _figure(match: re.Match[str]) -> str:
    inner = match.group(1)
    cap = _FIGCAPTION.search(inner)
    caption = tag_text(cap.group(1)) if cap else ""
    embed = _EMBED.search(inner)
    if embed:
        return _embed(embed, caption)
    img = _IMG.search(inner)
    if img:
        return _image(img, caption)
    return "<div>" + inner + "</div>"


def _table_rows(table: str) -> tuple[list[list[str]], bool]:
    """Rows of cell texts and whether the first row is a header row."""
    rows: list[list[str]] = []
    header = False
    for index, row in enumerate(_ROW.finditer(table)):
        cells = _CELL.findall(row.group(1))
        if not cells:
            continue
        if index == 0 or not rows:
            header = all(kind.lower() == "th" for kind, _ in cells)
        rows.append([tag_text(_BR.sub(" ", text)) for _, text in cells])
    return rows, header


def _tables(html: str) -> str:
    """Replace each outermost table by a placeholder (layout tables are unwrapped)."""
    out: list[str] = []
    depth = 0
    begin = 0
    last = 0
    for match in _TABLE_TAG.finditer(html):
        if not match.group(1):
            if depth == 0:
                begin = match.start()
            depth += 1
            continue
        if depth == 0:
            continue
        depth -= 1
        if depth == 0:
            out.append(html[last:begin])
            out.append(_table(html[begin : match.end()]))
            last = match.end()
    out.append(html[last:])
    return "".join(out)


def _table(table: str) -> str:
    rows, header = _table_rows(table)
    if not rows or max(len(r) for r in rows) <= 1:
        # A one-column table is page layout, not data: keep its content as flow.
        inner = _TABLE_TAG.sub("", table)
        return (
            "<div>"
            + re.sub(r"</?(tr|td|th|tbody|thead|tfoot)\b[^>]*>", " ", inner, flags=re.I)
            + "</div>"
        )
    payload = json.dumps({"h": header, "r": rows}, ensure_ascii=False)
    return "<p>" + marker("table", "", payload) + "</p>"


def _link(match: re.Match[str]) -> str:
    """A link's start becomes a placeholder holding its URL, its end a mark. A link
    without a usable URL gets an empty one: it shows its text only."""
    if match.group(1):
        return LINK_END
    url = clean_url(attributes(match.group(2)).get("href", ""))
    return marker("link", "" if is_refused_url(url) else url, "")


def prepare(html: str) -> str:
    """Placeholders for figures, images, embeds, tables and links; text decoded; the line
    breaks CSS removes between Chinese characters removed."""
    if "<" not in html:
        return _LINE_SYNTAX.sub(_GUARDED, remove_segment_breaks(protect_text(html)))
    for _ in range(2):  # twice, for one level of nesting (<b><i></i></b>)
        html = _EMPTY_INLINE.sub(_empty_inline, html)
    html = _FIGURE.sub(_figure, html)
    html = _EMBED.sub(_embed, html)
    html = _IMG.sub(_image, html)
    html = _tables(html)
    html = _STYLE_TAG.sub(_style_mark, html)
    html = _LINK_TAG.sub(_link, html)
    return _LINE_SYNTAX.sub(_GUARDED, remove_segment_breaks(protect_text(html)))


def chunks(html: str) -> Iterator[str]:
    """Cut HTML into chunks at block-level boundaries outside lists, quotes and tables.

    Lazy: the text is scanned only as far as the chunks taken so far.
    """
    if len(html) <= MIN_CHUNK:
        yield html
        return
    start = 0
    depth = 0
    for match in _BLOCK_TAG.finditer(html):
        closing = bool(match.group(1))
        name = match.group(2).lower()
        cut = match.end() if closing else match.start()
        size = cut - start
        if (depth == 0 and size >= MIN_CHUNK) or size >= MAX_CHUNK:
            if name != "li" or size >= MAX_CHUNK:
                yield html[start:cut]
                start = cut
        if name in _NESTING:
            depth = max(0, depth - 1) if closing else depth + 1
    if start < len(html):
        yield html[start:]


def to_markdown(html: str) -> str:
    """Convert one chunk of prepared HTML to Markdown (no wrapping, Unicode, links kept)."""
    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.unicode_snob = True
    converter.escape_snob = True  # escape every Markdown character found in text
    converter.ignore_images = False
    converter.ignore_links = False
    converter.use_automatic_links = False
    converter.skip_internal_links = False
    converter.wrap_links = False
    converter.wrap_list_items = False
    converter.mark_code = False
    # Emphasis tags were replaced by style marks in prepare(); this is a second guard.
    converter.ignore_emphasis = True
    result: str = converter.handle(html)
    return result
