"""Text exactly as the page says it: references decoded once, as HTML5 decodes them, and
no syntax of the intermediate Markdown in the text."""

from __future__ import annotations

import pytest

from tui.render import build_document
from tui.render.entities import decode_attribute
from tui.render.model import BOLD, LINK


def _text(body: str) -> str:
    return build_document(body).text


def _links(body: str) -> list[tuple[str, str]]:
    return [(link.text, link.url) for link in build_document(body).links]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<p>AT&T and R&D, see https://x.org/?a=1&b=2</p>", "AT&T and R&D, see https://x.org/?a=1&b=2"),
        ("<p>a & b &c &#; &# &x1; &;</p>", "a & b &c &#; &# &x1; &;"),
        ("<p>&amp; &lt;b&gt; &quot;q&quot;</p>", '& <b> "q"'),
        ("<p>&copy 2024 &copy; &COPY</p>", "© 2024 © ©"),
        ("<p>&#26159;&#x662F;&#X662f;</p>", "是是是"),
        ("<p>&foo; &notit; &amp;amp; &amp;#22338;</p>", "&foo; ¬it; &amp; &#22338;"),
        ("<p>&#128512; &#0; &#xE000;x</p>", "😀 \ufffd x"),
        ("<p>a&nbsp;b&#8203;c</p>", "a bc"),
    ],
)  # fmt: skip
def test_text_references_decode_once_and_bare_ampersands_stay(body: str, expected: str) -> None:
    assert _text(body) == expected


def test_bare_ampersands_in_link_urls_and_alt_text() -> None:
    body = (
        '<p><a href="https://www.youtube.com/watch?v=abc&list=PL1&index=2">video</a> '
        '<a href="https://x.org/?a=1&amp;b=2&copy=3">x</a></p>'
        '<p><img src="https://x.org/i.png?w=1&h=2" alt="Q&A &amp; more"></p>'
    )
    doc = build_document(body)
    assert doc.text == "video x\n\nQ&A & more"
    assert [(link.text, link.url) for link in doc.links] == [
        ("video", "https://www.youtube.com/watch?v=abc&list=PL1&index=2"),
        ("x", "https://x.org/?a=1&b=2&copy=3"),
        ("image: Q&A & more", "https://x.org/i.png?w=1&h=2"),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("?a=1&copy=2", "?a=1&copy=2"),
        ("?a=1&copy;=2", "?a=1©=2"),
        ("x&copy y", "x© y"),
        ("&ampx &amp; &amp", "&ampx & &"),
        ("&notit; &not;", "&notit; ¬"),
        ("&#38;&#x26;", "&&"),
    ],
)
def test_attribute_values_follow_the_html5_attribute_rule(value: str, expected: str) -> None:
    assert decode_attribute(value) == expected


def test_references_to_markdown_syntax_stay_text() -> None:
    doc = build_document(
        "<p>&ast;&ast;x&ast;&ast; &lsqb;a&rsqb;&lpar;https://b.org&rpar; &#96;c&#96;</p>"
    )
    (block,) = doc.blocks
    assert block.text == "**x** [a](https://b.org) `c`"
    assert not block.runs
    assert doc.links == []


def test_code_keeps_decoded_text_as_written() -> None:
    assert _text("<pre>a &amp;lt; b &amp; c &lt;i&gt;</pre>") == "a &lt; b & c <i>"


def test_markdown_bodies_decode_once_too() -> None:
    assert _text("AT&T &amp;amp; &copy; R&D") == "AT&T &amp; © R&D"


@pytest.mark.parametrize(
    "body",
    [
        "<p>訂閱: <a href='javascript:'>訂閱</a></p>",
        '<p>訂閱: <a href="">訂閱</a></p>',
        "<p>訂閱: <a>訂閱</a></p>",
        "<p>訂閱: <a href=' JavaScript:void(0)'>訂閱</a></p>",
        "<p>訂閱: <a href='java\tscript:x()'>訂閱</a></p>",
        "<p>訂閱: <a href='vbscript:msgbox'>訂閱</a></p>",
        "<p>訂閱: <a href='data:text/html,hi'>訂閱</a></p>",
        "訂閱: <a href='javascript:'>訂閱</a>",  # inline HTML in a Markdown body
    ],
)
def test_refused_link_urls_show_their_text_only(body: str) -> None:
    doc = build_document(body)
    (block,) = doc.blocks
    assert block.text == "訂閱: 訂閱"
    assert not block.runs and not block.marks
    assert doc.links == []


def test_refused_image_urls_show_their_alt_text_without_a_link() -> None:
    doc = build_document('<p><img src="data:image/png;base64,AAAA" alt="y"></p>')
    (block,) = doc.blocks
    assert (block.kind, block.text, block.link) == ("figure", "y", 0)
    assert doc.links == []
    doc = build_document('<p><img src="javascript:x()" alt="z"></p>')
    assert (doc.blocks[0].text, doc.blocks[0].link, doc.links) == ("z", 0, [])


def test_markdown_typed_in_the_html_stays_as_written() -> None:
    body = "<p>Typed **not bold** and [a](b) and ![i](j) and `tick` and _u_ and &lt;x&gt;</p>"
    doc = build_document(body)
    (block,) = doc.blocks
    assert block.text == "Typed **not bold** and [a](b) and ![i](j) and `tick` and _u_ and <x>"
    assert not block.runs
    assert doc.links == []


def test_links_are_runs_with_a_mark_and_a_labelled_entry() -> None:
    doc = build_document('<p>see <b><a href="https://x.org/a b">the x</a></b> now</p>')
    (block,) = doc.blocks
    assert block.text == "see the x now"
    assert [(block.text[r.start : r.end], r.flags, r.link) for r in block.runs] == [
        ("the x", BOLD | LINK, 1)
    ]
    assert block.marks == ((8, 1),)
    assert _links('<p><a href="https://x.org/a b">the x</a></p>') == [
        ("the x", "https://x.org/a%20b")
    ]


def test_a_new_link_ends_an_open_one_and_a_link_may_span_blocks() -> None:
    doc = build_document('<p><a href="/1">a <a href="/2">b</a> c</p>')
    (block,) = doc.blocks
    assert [(block.text[r.start : r.end], r.link) for r in block.runs] == [("a ", 1), ("b", 2)]
    doc = build_document('<a href="https://x.org"><h2>Heading</h2><p>Body</p></a><p>after</p>')
    assert [b.text for b in doc.blocks] == ["Heading", "Body", "after"]
    assert [(link.text, link.url) for link in doc.links] == [("Heading Body", "https://x.org")]
    assert doc.blocks[0].runs[0].flags == LINK
    assert not doc.blocks[2].runs


def test_a_link_inside_pre_keeps_its_text_and_its_entry() -> None:
    doc = build_document('<pre>see <a href="https://x.org">x</a>\nnext</pre>')
    assert doc.text == "see x\nnext"
    assert [link.url for link in doc.links] == ["https://x.org"]
