"""``note:X`` and ``quote:X`` over posts: the reference evaluator and the engine agree."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from annotations.anchor import make_target
from annotations.model import Annotation, AnnotationId, PostSnapshot
from tests.tui.corpus.engine_helpers import Searched
from tests.tui.corpus.test_query import make_post
from tui.corpus.query import (
    EMPTY_STATE,
    Marks,
    matches_annotation,
    parse_query,
)

POSTS = [make_post(n, title=f"Post {n}") for n in range(12)]

NOTES = {
    POSTS[0].id: [("Ask the HARBOUR master", "The ferry leaves at dawn.")],
    POSTS[5].id: [("", "台灣的港口很安靜。"), ("值得再读", "The river is dark.")],
    POSTS[9].id: [("ｆｕｌｌ width note", "Ｆｕｌｌ－width quote here")],
}


@dataclass
class _Store:
    """What Marks.read_from needs of a store."""

    anns: list[Annotation]

    def read_post_ids(self) -> set[str]:
        return set()

    def post_counts(self) -> dict[str, tuple[int, int]]:
        counts: dict[str, tuple[int, int]] = {}
        for ann in self.anns:
            notes, total = counts.get(ann.post.id, (0, 0))
            counts[ann.post.id] = (notes + bool(ann.note), total + 1)
        return counts

    def all(self) -> list[Annotation]:
        return self.anns


def _annotations() -> list[Annotation]:
    anns = []
    for post_id, pairs in NOTES.items():
        for i, (note, quote) in enumerate(pairs):
            text = f"Before. {quote} After."
            post = PostSnapshot(post_id, f"/c/{post_id}.md", "t", None, "", None)
            target = make_target(text, 8, 8 + len(quote))
            anns.append(
                Annotation(
                    AnnotationId(f"{post_id}-{i}"), post, target, note, (), "yellow", "t", "t"
                )
            )
    return anns


MARKS = Marks.read_from(_Store(_annotations()))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("note:harbour", {POSTS[0].id}),
        ("note:Harbour", {POSTS[0].id}),  # case folded, like other text terms
        ("note:值得", {POSTS[5].id}),
        ("note:full", {POSTS[9].id}),  # NFKC: full-width letters fold to ASCII
        ("quote:ferry", {POSTS[0].id}),
        ("quote:港口", {POSTS[5].id}),
        ("quote:full-width", {POSTS[9].id}),
        ("quote:river,ferry", {POSTS[0].id, POSTS[5].id}),  # a comma means OR
        ('quote:"the river is"', {POSTS[5].id}),
        ("note:ferry", set()),  # the quote is not the note
        ("quote:master", set()),
    ],
)
def test_note_and_quote_terms_select_annotated_posts(
    engine: Searched, query: str, expected: set[str]
) -> None:
    parsed = parse_query(query)
    by_reference = {p.id for p in POSTS if parsed.matches_post(p, MARKS)}
    by_engine = {p.id for p in engine.search(parsed, MARKS)}
    assert by_reference == by_engine == expected


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Searched:
    return Searched(Path(tmp_path_factory.mktemp("engine")), POSTS)


def test_negated_and_combined(engine: Searched) -> None:
    negated = parse_query("-note:harbour")
    assert len(engine.search(negated, MARKS)) == len(POSTS) - 1
    assert all(negated.matches_post(p, MARKS) == (p.id != POSTS[0].id) for p in POSTS)
    both = parse_query("quote:the note:值得")
    assert [p.id for p in engine.search(both, MARKS)] == [POSTS[5].id]


def test_a_state_without_annotations_matches_nothing(engine: Searched) -> None:
    query = parse_query("note:harbour")
    assert engine.search(query, EMPTY_STATE) == []
    assert not any(query.matches_post(p) for p in POSTS)


def test_the_annotation_query_reads_the_annotations_own_text() -> None:
    anns = _annotations()
    quote = parse_query("quote:river", annotation_keys=True)
    note = parse_query("note:ＨＡＲＢＯＵＲ", annotation_keys=True)
    assert [a.id for a in anns if matches_annotation(quote, a, is_orphan=False)] == [anns[2].id]
    assert [a.id for a in anns if matches_annotation(note, a, is_orphan=False)] == [anns[0].id]
    unplaced = parse_query("is:unplaced", annotation_keys=True)
    assert matches_annotation(unplaced, anns[0], is_orphan=False, is_unplaced=True)
    assert not matches_annotation(unplaced, anns[0], is_orphan=True)
