"""Small builders shared by the annotation tests."""

from __future__ import annotations

from annotations.model import PostSnapshot, Target

TEXT = (
    "第一段：今天天气很好，我们去公园散步。\n\n"
    "The quick brown fox jumps over the lazy dog. It was a sunny day in the park.\n\n"
    "最后一段，结束。"
)


def snapshot(post_id: str = "0123456789ab", **changes: object) -> PostSnapshot:
    """A post snapshot with sensible defaults."""
    fields: dict[str, object] = {
        "id": post_id,
        "path": f"/archive/{post_id}.md",
        "title": "测试文章 Test post",
        "source": f"https://example.com/{post_id}.htm",
        "author": "作者",
        "date": "2023-10-26T22:57:12.000Z",
        "tags": ("新闻", "news"),
    }
    fields.update(changes)
    return PostSnapshot(**fields)  # type: ignore[arg-type]


def target(exact: str = "我们去公园散步", text: str = TEXT) -> Target:
    """A target for the first occurrence of ``exact`` in ``text``."""
    from annotations.anchor import make_target

    start = text.index(exact)
    return make_target(text, start, start + len(exact))
