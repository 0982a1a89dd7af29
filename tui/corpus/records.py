"""Building `Post` records fast: loading makes tens of thousands of them.

`Post` is a named tuple, so a post can be built from a row of its fields in C with
``tuple.__new__``, without the Python-level ``__new__`` that a call to ``Post(...)``
goes through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, cast

from tui.corpus.model import Post

make_post: Callable[..., Post] = Post
"""``make_post(*fields)`` or with keywords: ``Post(...)`` itself (kept as the name the
parsers call)."""

post_from_row: Callable[[Iterable[Any]], Post] = cast(
    Callable[[Iterable[Any]], Post], partial(tuple.__new__, Post)
)
"""``post_from_row(fields)``: a post from its 13 fields in declaration order, built in C
(no defaults, no checks: the caller gives every field)."""
