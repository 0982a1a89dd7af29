"""CSS Text 3's segment-break rule: prettified HTML reads like the same HTML on one line,
and lines still never start with closing punctuation or end with opening punctuation."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REALWORLD, SAMPLE_POSTS
from tui.corpus.files import read_body
from tui.render import build_document
from tui.render.layout import Layout
from tui.render.segments import is_wide, joins_without_space, remove_segment_breaks


def _text(body: str) -> str:
    return build_document(body).text


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('<p>武汉的\n  <a href="https://x.org">新病毒</a>\n  所造成</p>', "武汉的新病毒所造成"),
        ("<p>\n 他说\n <em>\n  很好\n </em>\n 然后\n <strong>走了</strong>\n</p>", "他说很好然后走了"),  # noqa: E501
        ("<p>提出\n <span class='x'>\n  要求\n </span>\n ，然后\n <span>离开</span>\n 。</p>", "提出要求，然后离开。"),  # noqa: E501
        ("<p>诉\n  <a href='/1'>以</a>\n  <b>求</b>\n  ，一份\n  <i>跟</i>进</p>", "诉以求，一份跟进"),  # noqa: E501
        ("<p>使用\n <a href='https://w.org'>WhatsApp</a>\n 的人</p>", "使用 WhatsApp 的人"),
        ("<p>これは\n <b>テスト</b>\n です</p>", "これはテストです"),
        ("<p>한국어\n <b>문장</b>\n 입니다</p>", "한국어 문장 입니다"),
        ("<p>中文\n한국</p>", "中文 한국"),
        ("<p>abc\u200b\n def 中\n\u200bx</p>", "abcdef 中x"),
        ("<p>中文 中文\t中文</p>", "中文 中文 中文"),
        ("<p>中文<br>\n中文</p>", "中文 中文"),
        ("<p>&#20013;\n <a href='/x'>&#25991;</a>\n&gt;中</p>", "中文 >中"),
        ("<pre>中\n文  字</pre>", "中\n文  字"),
        ("<p>中\n<code>代码</code>\n文</p>", "中代码文"),
        ("<p>中\n<img src='/a.png' alt='图'>\n文</p>", "中\n\n图\n\n文"),
        ("<table><tr><td>表\n <b>格</b></td><td>中<i>文</i></td></tr></table>", "表格 | 中文"),
        ("中文\n第二行\n\nEnglish\nwords 中\n*强调*\n文", "中文第二行\n\nEnglish words 中强调文"),
        ("```\n中\n文\n```", "中\n文"),
    ],
)  # fmt: skip
def test_segment_breaks_between_wide_characters_are_removed(body: str, expected: str) -> None:
    assert _text(body) == expected


def test_width_classes() -> None:
    assert all(is_wide(c) for c in "中文，。「」（）《》ｶﾀあア😀")
    assert not any(is_wide(c) for c in "aé…“”·한국ㄱ\u200b ")
    assert joins_without_space("\u200b", "a") and joins_without_space("a", "\u200b")
    assert not joins_without_space("中", "a")


def test_a_long_run_of_spaces_or_tags_is_one_pass() -> None:
    """A hostile body: each run is scanned once, not once per character (no timeout)."""
    spaces = "a" + " " * 200_000 + "\nb"
    assert remove_segment_breaks(spaces) == spaces
    assert (
        remove_segment_breaks("中" + "<span>" * 50_000 + "\n文") == "中" + "<span>" * 50_000 + "文"
    )


_WIDE_TEXT = st.text(
    alphabet=st.sampled_from(
        list("中文汉字测试句子问题我们你他的了是在有和。，、；：？！（）《》「」")
    ),
    min_size=1,
    max_size=12,
)
_TAGS = ["a", "em", "strong", "span", "b", "i", "code", "u", "sup"]


@st.composite
def _inline_html(draw: st.DrawFn, depth: int = 0) -> str:
    """Wide text cut into inline elements at random points, some nested."""
    pieces = []
    for _ in range(draw(st.integers(1, 5))):
        if depth < 2 and draw(st.booleans()):
            tag = draw(st.sampled_from(_TAGS))
            attrs = ' href="https://x.org/p"' if tag == "a" else ""
            pieces.append(f"<{tag}{attrs}>{draw(_inline_html(depth + 1))}</{tag}>")
        else:
            pieces.append(draw(_WIDE_TEXT))
    return "".join(pieces)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paragraphs=st.lists(_inline_html(), min_size=1, max_size=4))
def test_prettified_html_reads_like_the_one_line_html(paragraphs: list[str]) -> None:
    one_line = "<div>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</div>"
    pretty = BeautifulSoup(one_line, "html.parser").prettify()
    assert "\n " in pretty
    assert _text(pretty) == _text(one_line)


_NO_START = set("，。、；：！？」』）》")
_NO_END = set("「『（《")


def _chinese_posts() -> list:  # type: ignore[type-arg]
    posts = sorted(SAMPLE_POSTS.rglob("*.md"))
    if REALWORLD.is_dir():
        posts += sorted(p for p in REALWORLD.rglob("*.md") if p.parent != REALWORLD)
    return [p for p in posts if "，" in p.read_text(encoding="utf-8", errors="replace")]


@pytest.mark.parametrize("width", [80, 40])
def test_lines_never_start_with_closing_or_end_with_opening_punctuation(width: int) -> None:
    bad = []
    posts = _chinese_posts()
    assert len(posts) >= 10
    for path in posts:
        layout = Layout(build_document(read_body(path)), width, link_list=False)
        layout.complete()
        for i in range(layout.line_count):
            line = layout.line(i).text.plain.strip()
            if line and (line[0] in _NO_START or line[-1] in _NO_END):
                bad.append((path.name, line))
    assert not bad, f"{len(bad)} lines break at punctuation, first: {bad[:3]}"
