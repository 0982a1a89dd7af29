"""Importing: matching records to posts, placing them, idempotence, the JSON-LD round trip."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from annotations.anchor import make_target
from annotations.export import export
from annotations.import_formats import Incoming, detect_format, read_records
from annotations.importing import PostMatcher, import_records, normalise_url
from annotations.model import PostSnapshot
from annotations.store import AnnotationStore
from tests.annotations.test_import_formats import FIXTURES


@dataclass(frozen=True)
class _Post:
    """A corpus post as the importer sees it (``annotations.model.PostLike``)."""

    id: str
    path: str
    title: str
    source: str | None
    text: str
    author: str = "Someone"
    date: datetime | None = datetime(2023, 10, 26, tzinfo=UTC)
    tags: tuple[str, ...] = field(default=())


POSTS = [
    _Post(
        "1d288381104d",
        "/corpus/river.md",
        "The river at night",
        "https://example.com/news/n1001.htm",
        "The river is dark at night. Lights move on the water. Nobody speaks on the bridge."
        "\n\nLater the rain comes. It washes the streets clean.",
    ),
    _Post(
        "d7b559c064f8",
        "/corpus/harbour.md",
        "港口的早晨",
        "https://example.com/news/n1002.htm",
        "清晨的港口很安静。渔船慢慢回来了！海鸥在天上飞。\n\n市场开门了，人们开始忙碌。",
    ),
    _Post(
        "3cd817586190",
        "/corpus/winter.md",
        "Winter letters",
        "https://news.example.org/winter.htm",
        "Snow fell on the town for three days. The letters arrived late; we read them by the fire.",
    ),
    _Post(
        "c7640e2b548e",
        "/corpus/trains.md",
        "On slow trains",
        None,
        "The slow train stops at every station. That is the point of it.",
    ),
]
TEXTS = {post.id: post.text for post in POSTS}


def texts(snapshot: PostSnapshot) -> str | None:
    return TEXTS.get(snapshot.id)


def _import(name: str, store: AnnotationStore, posts: list[_Post] = POSTS) -> object:
    raw = (FIXTURES / name).read_bytes()
    return import_records(read_records(raw, detect_format(name, raw)), posts, store, texts)


@pytest.fixture
def store(tmp_path: Path) -> AnnotationStore:
    return AnnotationStore(tmp_path / "annotations.json")


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        (
            "https://www.example.com/news/n1001.htm?utm_source=x&utm_medium=y#top",
            "example.com/news/n1001.htm",
        ),
        ("http://example.com/news/n1001.htm/", "example.com/news/n1001.htm"),
        ("HTTPS://WWW.Example.COM:443/a?id=3&fbclid=abc", "example.com/a?id=3"),
        ("https://example.com:8080/a", "example.com:8080/a"),
        ("https://example.com/%E6%96%B0%E9%97%BB", "example.com/新闻"),
        ("not a url", None),
    ],
)
def test_normalise_url(url: str, normal: str | None) -> None:
    assert normalise_url(url) == normal


def test_match_by_url_else_exact_title_when_one_post_has_it() -> None:
    matcher = PostMatcher(POSTS)
    by_url = Incoming("i", "http://www.example.com/news/n1002.htm/?utm_campaign=z", "", "x")
    assert matcher.match(by_url) is POSTS[1]
    assert matcher.match(Incoming("i", None, "On slow trains", "x")) is POSTS[3]
    assert matcher.match(Incoming("i", None, "On  slow trains ", "x")) is POSTS[3]
    assert matcher.match(Incoming("i", None, "on slow trains", "x")) is None  # exact title
    twins = [*POSTS, _Post("ffffffffffff", "/corpus/b.md", "On slow trains", None, "")]
    assert PostMatcher(twins).match(Incoming("i", None, "On slow trains", "x")) is None
    assert matcher.match(Incoming("i", "urn:postil:post:c7640e2b548e", "", "x")) is POSTS[3]
    assert matcher.match(Incoming("i", "file:///corpus/winter.md", "", "x")) is POSTS[2]


def test_hypothesis_import_places_keeps_and_summarises(store: AnnotationStore) -> None:
    summary = _import("hypothesis.json", store)
    assert summary.lines() == [  # type: ignore[attr-defined]
        "imported 4: 2 anchored, 1 orphaned, 1 unplaced",
        "skipped 2 (replies to another annotation: 1, page notes (no quote): 1)",
    ]
    by_quote = {a.target.exact: a for a in store.all()}
    lights = by_quote["Lights move on the water."]
    assert lights.post.id == POSTS[0].id and lights.post.path == "/corpus/river.md"
    start = POSTS[0].text.index("Lights")
    assert lights.target == make_target(POSTS[0].text, start, start + 25)  # our offsets
    assert lights.created == "2024-03-02T09:15:22.480Z"
    unplaced = by_quote["Read the same page twice, a week apart."]
    assert unplaced.post.path == "" and unplaced.post.title == "Slow reading, again"
    assert unplaced.note == "Try this with the archive."


def test_importing_twice_adds_nothing(store: AnnotationStore) -> None:
    for name in ("hypothesis.json", "readwise.csv", "other-tool.jsonld"):
        _import(name, store)
    before = store.all()
    for name in ("hypothesis.json", "readwise.csv", "other-tool.jsonld"):
        summary = _import(name, store)
        assert summary.imported == 0  # type: ignore[attr-defined]
    assert store.all() == before


def test_an_unplaced_annotation_is_placed_by_importing_again(store: AnnotationStore) -> None:
    slow = _Post(
        "0a0a0a0a0a0a",
        "/corpus/slow-reading.md",
        "Slow reading, again",
        "https://blog.example.net/2023/06/slow-reading",
        "My only rule: Read the same page twice, a week apart. Then compare.",
    )
    _import("hypothesis.json", store)
    TEXTS[slow.id] = slow.text
    try:
        summary = _import("hypothesis.json", store, [*POSTS, slow])
    finally:
        del TEXTS[slow.id]
    assert summary.placed == 1 and summary.imported == 0  # type: ignore[attr-defined]
    [placed] = [a for a in store.all() if a.target.exact.startswith("Read the same")]
    assert placed.post.id == slow.id and placed.target.start == slow.text.index("Read")


def test_our_jsonld_export_round_trips_into_an_empty_store(tmp_path: Path) -> None:
    first = AnnotationStore(tmp_path / "first.json")
    for name in ("hypothesis.json", "readwise.csv", "other-tool.jsonld"):
        _import(name, first)
    river = PostSnapshot.from_post(POSTS[0])
    start = POSTS[0].text.index("It washes")
    first.create(
        river,
        make_target(POSTS[0].text, start, start + 26),
        note="笔记 with [markup]",
        tags=["雨", "night"],
        color="purple",
    )
    anns = first.all()
    orphans = {a.id for a in anns if a.target.exact.startswith("The letters were never")}
    orphans |= {a.id for a in anns if not a.post.path}
    path = tmp_path / "export.jsonld"
    path.write_text(export(anns, "jsonld", orphans=orphans), encoding="utf-8")
    markdown = export(anns, "markdown", orphans=orphans)
    book = markdown[markdown.index("## Some Printed Book") :]
    assert book.startswith("## Some Printed Book\n\nauthor: A. Writer · unplaced: imported")
    assert "*(unplaced: imported, and no post matched its page)*" in book

    second = AnnotationStore(tmp_path / "second.json")
    raw = path.read_bytes()
    summary = import_records(read_records(raw, detect_format(path.name, raw)), POSTS, second, texts)
    assert summary.imported == len(anns) and not summary.skipped
    assert sorted(second.all(), key=lambda a: a.id) == sorted(anns, key=lambda a: a.id)


def test_each_post_is_rendered_once(store: AnnotationStore) -> None:
    asked: list[str] = []

    def counting(snapshot: PostSnapshot) -> str | None:
        asked.append(snapshot.id)
        return texts(snapshot)

    records = [
        Incoming(f"{i:08x}-0000-4000-8000-000000000000", POSTS[0].source, "", quote)
        for i, quote in enumerate(["Lights move on the water.", "Later the rain comes."])
    ]
    summary = import_records(records, POSTS, store, counting)
    assert summary.anchored == 2 and asked == [POSTS[0].id]
