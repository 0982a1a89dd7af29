"""Hypothesis strategies for post bodies: HTML fragments, Markdown and hostile text."""

from __future__ import annotations

from hypothesis import strategies as st

WORDS = st.sampled_from(
    [
        "alpha", "beta", "gamma", "delta", "e.g.", "Mr.", "end.", "why?", "yes!", "[red]",
        "[/red]", "[bold]x[/]", "a*b", "_x_", "1.", "-", "#", "&amp;", "&amp;#22338;", "&lt;b&gt;",
        "{{ x }}", "{% y %}", "中文", "汉字测试", "句子。", "问题？", "“引号”", "（括号）", "……",
        "日本語", "한국어", "😀", "x\u00a0y", "z\u200bw", "tab\there", "cr\rlf", "bell\x07",
        "esc\x1b[31m", "c1\x9b", "&#27;", "cafe\u0301", "averyverylongwordwithoutanyspacesatall",
    ]
)  # fmt: skip
TEXT = st.lists(WORDS, min_size=1, max_size=14).map(" ".join)
CJK_TEXT = st.text(
    alphabet=st.sampled_from(
        list("中文汉字测试句子问题我们你他的了是在有和。，、；：？！“”（）《》…")
    ),
    min_size=1,
    max_size=120,
)


@st.composite
def fragment(draw: st.DrawFn) -> str:
    """One block-level piece of HTML."""
    text = draw(st.one_of(TEXT, CJK_TEXT))
    kind = draw(st.integers(0, 11))
    if kind == 0:
        return f"<p>{text}</p>"
    if kind == 1:
        level = draw(st.integers(1, 6))
        return f"<h{level}>{text}</h{level}>"
    if kind == 2:
        items = draw(st.lists(TEXT, min_size=1, max_size=4))
        tag = draw(st.sampled_from(["ul", "ol"]))
        return f"<{tag}>" + "".join(f"<li>{i}</li>" for i in items) + f"</{tag}>"
    if kind == 3:
        return f"<blockquote><p>{text}</p></blockquote>"
    if kind == 4:
        return f"<pre>{text}\n  {text}</pre>"
    if kind == 5:
        cells = draw(st.lists(st.lists(TEXT, min_size=2, max_size=3), min_size=1, max_size=3))
        rows = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in cells)
        return f"<table>{rows}</table>"
    if kind == 6:
        return f'<figure><img src="https://img.example/{len(text)}.png" alt="{text}"></figure>'
    if kind == 7:
        return f'<p>{text} <a href="https://example.org/{len(text)}">{text}</a> <b>{text}</b></p>'
    if kind == 8:
        return f"<p><i>{text}</i><br>{text}</p>"
    if kind == 9:
        return f'<iframe src="https://video.example/{len(text)}"></iframe><hr>'
    if kind == 10:
        return f"<script>{text}</script><!-- {text} --><p>{text}</p>"
    return text


BODIES = st.lists(fragment(), min_size=1, max_size=8).map("\n".join)
MARKDOWN_BODIES = st.lists(
    st.one_of(
        TEXT,
        TEXT.map(lambda t: "# " + t),
        TEXT.map(lambda t: "- " + t),
        TEXT.map(lambda t: "> " + t),
        TEXT.map(lambda t: f"**{t}** and *{t}*"),
        TEXT.map(lambda t: f"[{t}](https://example.org/x)"),
    ),
    min_size=1,
    max_size=6,
).map("\n\n".join)
