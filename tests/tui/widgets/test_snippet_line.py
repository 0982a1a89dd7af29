"""SnippetLine: it finds the passage of the post it is given, and only the last one's."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from textual.app import App, ComposeResult

import tui.widgets.snippet_line as snippet_module
from tests.tui.widgets.test_post_list import make_post
from tui.corpus.model import Post
from tui.corpus.query import Query, parse_query
from tui.widgets.snippet_line import SnippetLine


class LineApp(App[None]):
    def compose(self) -> ComposeResult:
        yield SnippetLine(id="line")


def passage(post: Post, query: Query, *args: int) -> tuple[str, list[tuple[int, int]]]:
    """A stand-in for the post's text: its title, the whole of it marked."""
    return post.title, [(0, len(post.title))]


async def test_find_shows_the_passage_found_in_a_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snippet_module, "passage_of", passage)
    app = LineApp()
    async with app.run_test() as pilot:
        line = app.query_one(SnippetLine)
        line.find(make_post(1, "first words"), parse_query("words"))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert (line._text, line._spans) == ("first words", [(0, 11)])


async def test_a_post_left_before_its_passage_came_never_shows_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first post's look-up ends after the second's: the second post's passage stays."""
    release = threading.Event()
    started = threading.Event()

    def slow_for_the_first(post: Post, *args: Any) -> tuple[str, list[tuple[int, int]]]:
        if post.title == "first words":
            started.set()
            release.wait(10)
        return passage(post, *args)

    monkeypatch.setattr(snippet_module, "passage_of", slow_for_the_first)
    app = LineApp()
    async with app.run_test() as pilot:
        line = app.query_one(SnippetLine)
        query = parse_query("words")
        line.find(make_post(1, "first words"), query)
        for _ in range(500):  # the worker starts from the event loop: wait without blocking it
            if started.is_set():
                break
            await pilot.pause(0.01)
        assert started.is_set()
        line.find(make_post(2, "second words"), query)
        await pilot.pause(snippet_module.FIND_DELAY * 4)
        assert line._text == "second words"
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert line._text == "second words"


async def test_an_answer_to_an_earlier_find_is_dropped() -> None:
    app = LineApp()
    async with app.run_test() as pilot:
        line = app.query_one(SnippetLine)
        line.show("now", [])
        line.post_message(SnippetLine.Found("earlier", [], line._generation - 1))
        await pilot.pause()
        assert line._text == "now"
        line.post_message(SnippetLine.Found("latest", [], line._generation))
        await pilot.pause()
        assert line._text == "latest"
