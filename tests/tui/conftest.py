"""Fixtures for app tests: small corpora in tmp_path, a private store and the app factory.

Both app helpers use these: ``corpus_dir`` (a copy of sample_posts/, or the fixed posts
below while the sample is empty), ``small_corpus_dir`` (always the fixed posts: snapshot
tests need data that never changes), ``broken_corpus_dir`` (the fixed posts plus files that
do not load), ``store_path`` and ``make_test_app``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import SAMPLE_POSTS

if TYPE_CHECKING:
    from tui.app import PostilApp

FIXED_POSTS: dict[str, str] = {
    "2023-10-26-river.md": """---
layout: post
title: "The river at night"
date: 2023-10-26T22:57:12.000Z
author: Ada Lovelace
from: https://example.com/news/n1001.htm
tags: [nature, essays]
categories: [essays]
---
<!--1698361032000-->
[The river at night](https://example.com/news/n1001.htm)
------

<div><p>The river is dark at night. Lights move on the water. Nobody speaks on the bridge.</p>
<p>Later the rain comes. It washes the streets clean.</p></div>
""",
    "2023-09-14-harbour.md": """---
layout: post
title: "港口的早晨"
date: 2023-09-14T06:30:00.000Z
author: 李白
from: https://example.com/news/n1002.htm
tags: [城市, essays]
categories: [travel]
---
<!--1694673000000-->
[港口的早晨](https://example.com/news/n1002.htm)
------

<div><p>清晨的港口很安静。渔船慢慢回来了！海鸥在天上飞。</p><p>市场开门了，人们开始忙碌。</p></div>
""",
    "2022-05-01-markup.md": """---
layout: post
title: "[red]Not markup[/red] and [b]brackets[/b]"
date: 2022-05-01T12:00:00.000Z
author: "[bold]Mallory"
tags: [security]
categories: [notes]
---
<p>Titles with square brackets must show literally. Nothing here is styled.</p>
""",
    "2021-12-24-winter.md": """---
layout: post
title: "Winter letters"
date: 2021-12-24T18:00:00.000Z
author: Grace Hopper
from: https://news.example.org/winter.htm
tags: [letters, nature]
categories: [essays]
---
<p>Snow fell on the town for three days. The letters arrived late; we read them by the fire.</p>
""",
    "2020-02-02-trains.md": """---
layout: post
title: "On slow trains"
date: 2020-02-02T09:15:00.000Z
author: Ada Lovelace
tags: [travel]
categories: [travel]
---
<p>The slow train stops at every station. That is the point of it.</p>
""",
    "undated-note.md": """---
layout: post
title: "A note without a date"
author: Anonymous
tags: [misc]
---
<p>This post has no date at all.</p>
""",
}
"""Six small posts: Latin and CJK text, a markup-looking title, one undated post."""

BROKEN_POSTS: dict[str, str] = {
    "bad-yaml.md": "---\ntitle: [unclosed\ndate: 2020-01-01\n---\nbody\n",
    "empty.md": "",
}
"""Files that do not load: bad YAML front matter and an empty file."""


def write_posts(folder: Path, posts: dict[str, str]) -> Path:
    """Write ``posts`` (file name -> text) into ``folder``; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in posts.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def small_corpus_dir(tmp_path: Path) -> Path:
    """A folder holding the six fixed posts (never changes: safe for snapshots)."""
    return write_posts(tmp_path / "small_corpus", FIXED_POSTS)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A copy of sample_posts/ in tmp_path; the fixed posts while the sample is empty."""
    target = tmp_path / "corpus"
    if SAMPLE_POSTS.is_dir() and any(SAMPLE_POSTS.iterdir()):
        shutil.copytree(SAMPLE_POSTS, target)
        return target
    return write_posts(target, FIXED_POSTS)


@pytest.fixture
def broken_corpus_dir(tmp_path: Path) -> Path:
    """The fixed posts plus two files that are problems (bad YAML, empty)."""
    folder = write_posts(tmp_path / "broken_corpus", FIXED_POSTS)
    return write_posts(folder, BROKEN_POSTS)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A fresh annotation store file path (the file does not exist yet)."""
    return tmp_path / "annotations.json"


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep cursors still so snapshots and timing do not depend on the blink phase."""
    from textual.widgets import Input, TextArea

    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)


MakeTestApp = Callable[..., "PostilApp"]
"""``make_test_app(paths=None, store=None, config=None) -> PostilApp``."""


@pytest.fixture
def make_test_app(corpus_dir: Path, store_path: Path) -> Iterator[MakeTestApp]:
    """A factory building the app through ``tui.app.make_app`` with no metadata cache.

    ``paths`` defaults to ``[corpus_dir]``, ``store`` to ``store_path``, ``config`` to the
    built-in defaults (the user's config file is never read).
    """
    from tui.app import make_app
    from tui.config import Config

    def factory(
        paths: Sequence[str | Path] | None = None,
        store: Path | None = None,
        config: Config | None = None,
    ) -> PostilApp:
        return make_app(
            list(paths) if paths is not None else [corpus_dir],
            store_path=store or store_path,
            config=config or Config(),
        )

    yield factory
