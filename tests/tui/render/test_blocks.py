"""Body -> blocks: each construct, html2text's quirks, laziness and offsets."""

from __future__ import annotations

import pytest

from tui.render import build_document, sanitize
from tui.render import html as html_stage
from tui.render.console import header_lines
from tui.render.layout import Layout
from tui.render.model import BOLD, CODE, ITALIC, LINK, STRIKE


def _text(body: str) -> str:
    return build_document(body).text


def _kinds(body: str) -> list[str]:
    return [b.kind for b in build_document(body).blocks]


def test_sanitize_removes_escape_c0_and_c1_but_keeps_tab_and_newline() -> None:
    assert sanitize("a\x1b[31mb\x07c\x9bd\x85e\tf\ng\x7f") == "a[31mbcde\tf\ng"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<p>a</p><script>x()</script><p>b</p>", "a\n\nb"),
        ("<p>a</p><SCRIPT type='x'>never</SCRIPT><p>b</p>", "a\n\nb"),
        ("<p>a</p><style>p{}</style><noscript>no</noscript><p>b</p>", "a\n\nb"),
        ("<p>a <!-- hidden --> b</p>", "a b"),
        ("<p>a</p><script>var x = '<p>never</p>';", "a"),
        ("<p>a</p><!-- unclosed <p>never</p>", "a"),
        ("intro\n\n<script>alert(1)</script>\n\nafter", "intro\n\nafter"),
    ],
)
def test_hidden_elements_never_show(body: str, expected: str) -> None:
    assert _text(body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<p>&lt;http://example.com&gt; &lt;b&gt;</p>", "<http://example.com> <b>"),
        ("<p>x<br>| a | b |<br>|---|---|</p>", "x | a | b | |---|---|"),
        ("<p>&gt; not a quote</p>", "> not a quote"),
        ("<p>1.</p><p>- dash</p><p>#5</p><p>***</p>", "1.\n\n- dash\n\n#5\n\n***"),
        ("<p>Title<br>===</p>", "Title ==="),
        ("<p>5 * 3 * 2 and snake_case_name</p>", "5 * 3 * 2 and snake_case_name"),
        ("<p>~~tildes~~ [link](not) `tick`</p>", "~~tildes~~ [link](not) `tick`"),
        (r"<p>C:\path\file \* end\</p>", r"C:\path\file \* end\ "[:-1]),
        ("<p>中文<b>加粗</b>文字和<strong>“引号”</strong>之后。</p>", "中文加粗文字和“引号”之后。"),
        ("<p>a<b> spaced </b>b<i>c</i>d</p>", "a spaced bcd"),
        ("<p>{{ page.title }} {% raw %}</p>", "{{ page.title }} {% raw %}"),
    ],
)
def test_html2text_quirks_do_not_change_the_text(body: str, expected: str) -> None:
    assert _text(body) == expected


def test_entities_decoded_once_nbsp_zero_width_and_newlines() -> None:
    """A twice-escaped reference shows once-decoded, as a browser shows it."""
    body = "<p>&amp;#22338; caf&eacute; a&nbsp;&nbsp;b z\u200bw</p>\r\n<p>x\ry</p>"
    assert _text(body) == "&#22338; café a b zw\n\nx y"


def test_inline_styles_become_runs() -> None:
    doc = build_document(
        '<p><b>B</b> <i>I</i> <code>C</code> <del>S</del> <a href="https://x.org">L</a></p>'
    )
    (block,) = doc.blocks
    assert block.text == "B I C S L"
    flags = {block.text[r.start : r.end]: r.flags for r in block.runs}
    assert flags == {"B": BOLD, "I": ITALIC, "C": CODE, "S": STRIKE, "L": LINK}
    assert block.marks == ((8, 1),)
    assert [(link.number, link.text, link.url) for link in doc.links] == [(1, "L", "https://x.org")]


def test_style_spanning_a_link_and_nested_styles() -> None:
    (block,) = build_document('<p><b>a <i>b</i> <a href="/u">c</a></b> d</p>').blocks
    by_text = {block.text[r.start : r.end]: r.flags for r in block.runs}
    assert by_text["a "] == BOLD
    assert by_text["b"] == BOLD | ITALIC
    assert by_text["c"] == BOLD | LINK


def test_headings_lists_quotes_code_rule() -> None:
    doc = build_document(
        "<h3>H</h3><ol start='7'><li>a<ul><li>b</li></ul></li></ol>"
        "<blockquote><blockquote><p>q</p></blockquote></blockquote><pre>x  y\n\tz</pre><hr>"
    )
    summary = [(b.kind, b.text, b.level, b.marker, b.quote) for b in doc.blocks]
    assert summary == [
        ("heading", "H", 3, "", 0),
        ("item", "a", 1, "7.", 0),
        ("item", "b", 2, "◦", 0),
        ("quote", "q", 2, "", 2),
        ("code", "x  y\n    z", 0, "", 0),
        ("rule", "", 0, "", 0),
    ]


def test_figures_embeds_and_tables_are_blocks_with_urls_in_the_link_list() -> None:
    doc = build_document(
        '<figure><img src="/a.png" alt="alt"><figcaption>cap</figcaption></figure>'
        '<img data-src="https://x/lazy.jpg" src="data:,"><iframe src="https://v/1"></iframe>'
        "<table><tr><th>k</th><th>v</th></tr><tr><td>1</td><td>2 | 3</td></tr></table>"
    )
    kinds = [(b.kind, b.label, b.text, b.url) for b in doc.blocks]
    assert kinds == [
        ("figure", "image", "cap", "/a.png"),
        ("figure", "image", "", "https://x/lazy.jpg"),
        ("embed", "iframe", "", "https://v/1"),
        ("table", "", "k | v\n1 | 2 | 3", ""),
    ]
    assert doc.blocks[3].rows == (("k", "v"), ("1", "2 | 3"))
    assert [link.url for link in doc.links] == ["/a.png", "https://x/lazy.jpg", "https://v/1"]


def test_markdown_body_with_html_blocks() -> None:
    doc = build_document("# T\n\n*e* and <b>b</b>\n\n<div><p>html <i>x</i></p></div>\n\n- i")
    assert doc.text == "T\n\ne and b\n\nhtml x\n\ni"
    assert _kinds("# T\n\n- i") == ["heading", "item"]


def test_archive_header_is_split_off_and_decoded_in_the_header_lines() -> None:
    body = "<!--1600000000000-->\n[A &amp;amp; B](https://x.org/p)\n------\n\n<p>text</p>"
    doc = build_document(body)
    assert doc.text == "text"
    assert doc.header.url == "https://x.org/p"
    lines = [t.plain for t in header_lines(doc)]
    assert lines == ["A & B", "2020-09-13 12:26 UTC", "https://x.org/p"]


def test_offsets_block_at_locate_offset_of() -> None:
    doc = build_document("<p>ab</p><hr><p>cd</p>")
    assert doc.text == "ab\n\ncd"
    assert [(b.kind, b.start, b.end) for b in doc.blocks] == [
        ("paragraph", 0, 2),
        ("rule", 2, 2),
        ("paragraph", 4, 6),
    ]
    assert [doc.block_at(i) for i in range(7)] == [0, 0, 0, 0, 2, 2, 2]
    assert doc.locate(5) == (2, 1)
    assert doc.offset_of(2, 1) == 5
    assert build_document("").block_at(0) == -1


def test_long_post_first_screen_does_not_convert_everything() -> None:
    body = "<div>" + "".join(f"<p>Paragraph {i} " + "word " * 60 + "</p>" for i in range(3000))
    doc = build_document(body + "</div>")
    layout = Layout(doc, 100)
    assert layout.ensure(50) >= 50
    assert not doc.is_complete and not layout.is_complete
    assert layout.line_for_offset(0) == 0
    assert doc.text.startswith("Paragraph 0 word")  # everything on demand
    assert doc.is_complete and len(doc.blocks) == 3000


def test_chunking_does_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    body = "<div>" + "".join(
        f"<h2>H{i}</h2><p>x <b>y</b> <a href='/{i}'>z</a></p><ul><li>a</li><li>b</li></ul>"
        for i in range(200)
    )
    chunked = build_document(body)
    monkeypatch.setattr(html_stage, "MIN_CHUNK", 10**9)
    whole = build_document(body)
    assert chunked.text == whole.text
    assert chunked.blocks == whole.blocks
    assert chunked.links == whole.links


def test_layout_line_for_offset_and_decoration_offsets() -> None:
    doc = build_document('<ul><li>one <a href="/x">two</a></li></ul><p>' + "w " * 100 + "</p>")
    layout = Layout(doc, 30)
    first = layout.line(0)
    assert first.text.plain.startswith("• one two[1]")
    assert first.offsets[:2] == (-1, -1)  # the bullet and its space
    assert first.offsets[-3:] == (-1, -1, -1)  # the link number
    target = doc.blocks[1].start + 150
    line = layout.line(layout.line_for_offset(target))
    assert target in line.offsets


def test_readable_url_decodes_only_printable_non_ascii() -> None:
    from tui.render.text import readable_url

    url = "https://x.org/%E4%B8%AD%E6%96%87/?q=a%20b&c=%2F%1b%e4"
    assert readable_url(url) == "https://x.org/中文/?q=a%20b&c=%2F%1b%e4"
