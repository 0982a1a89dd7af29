"""Pages of a result read by sort value from a known row are the pages read by offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.tui.corpus.engine_helpers import Searched
from tui.corpus.index.search import NEAR, Search
from tui.corpus.model import Post, PostId
from tui.corpus.query import parse_query

COUNT = 2 * NEAR + 1_200
START = datetime(2015, 1, 1, tzinfo=UTC)


def make_post(n: int) -> Post:
    # Seven posts a day (ties broken by key) and every 13th undated (last in both orders).
    return Post(
        id=PostId(f"{n:012d}"),
        path=f"/c/{n}.md",
        rel_path=f"{n}.md",
        title=f"Post {n}",
        date=None if n % 13 == 0 else START + timedelta(days=(n * 7919) % COUNT // 7),
        author="",
        tags=("odd",) if n % 2 else ("even",),
        categories=(),
        source=None,
    )


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> Searched:
    folder: Path = tmp_path_factory.mktemp("engine")
    return Searched(folder, [make_post(n) for n in range(COUNT)])


@pytest.mark.parametrize("order", ["newest", "oldest"])
@pytest.mark.parametrize("text", ["", "tag:odd"])
def test_pages_near_a_located_post_are_read_by_value_and_are_the_same(
    searched: Searched, order: str, text: str
) -> None:
    query = parse_query(text)
    whole = Search.run(searched.engine, query, order=order).keys()  # type: ignore[arg-type]
    assert len(whole) > NEAR + 300
    for row in (NEAR + 150, NEAR + 299, len(whole) - 1):
        search = Search.run(searched.engine, query, order=order)  # type: ignore[arg-type]
        key = whole[row]
        assert search.position_of(key, searched.posts[key]) == row
        page = row // 100 * 100
        # The located row is inside its page: read in two parts, before and after it.
        assert search._by_value(page, 100) is not None
        assert search.keys(page, 100) == whole[page : page + 100]
        # Scrolling on from there, down and up, page by page.
        for start in (page + 100, page + 200, page - 100, page - 200, page - 150):
            if NEAR < start < len(whole):
                assert search._by_value(start, 100) is not None
                assert search.keys(start, 100) == whole[start : start + 100]
        # Far from every known row, and near the top: by offset, the same rows.
        assert search._by_value(NEAR, 100) is None
        assert search.keys(0, 100) == whole[:100]
