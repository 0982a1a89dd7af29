"""The reference evaluator: a query on one post, or on one annotation, by brute force.

`Query.matches_post` (through :func:`matches_post`) is what the search engine is held to
(tui/corpus/index/search.py answers the same queries from the index; a property test
compares the two); :func:`matches_annotation` filters annotations, where the annotation
keys (``hl-tag:``, ``color:``, ``is:orphan``, ``is:unplaced``) apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.corpus.model import Post
from tui.corpus.query.state import EMPTY_STATE, AnnotationLike, PostState
from tui.corpus.query.terms import (
    TEXT_FIELD_KEYS,
    DateTerm,
    FieldTerm,
    Query,
    SiteTerm,
    StateFlag,
    StateTerm,
    Term,
    WordTerm,
    fold,
    fold_text,
    host_of,
    ordinal_of,
    ordinal_of_iso,
)
from tui.corpus.textmatch import matches as chain_matches
from tui.corpus.textmatch import matches_folded


@dataclass(frozen=True, slots=True)
class _Facts:
    """The normalised fields of one post (or of an annotation and its post snapshot)."""

    post_id: str
    tags: frozenset[str]
    categories: frozenset[str]
    author: str
    host: str | None
    ordinal: int | None
    title: str
    meta: tuple[str, ...]
    """The author and each tag: text terms look in each apart."""
    body: str | None
    """The canonical text (None: not known, as for an annotation's post)."""
    annotation: _AnnotationFacts | None = None


@dataclass(frozen=True, slots=True)
class _AnnotationFacts:
    """The annotation's own fields, folded."""

    note: str
    tags: frozenset[str]
    color: str
    quote: str
    is_orphan: bool
    note_text: str
    """The note as written (text terms fold it themselves)."""
    quote_text: str
    is_unplaced: bool = False


def _facts_of_post(post: Post, text: str | None) -> _Facts:
    return _Facts(
        post_id=post.id,
        tags=frozenset(fold(t) for t in post.tags),
        categories=frozenset(fold(c) for c in post.categories),
        author=fold(post.author),
        host=host_of(post.source),
        ordinal=ordinal_of(post.date),
        title=post.title,
        meta=(post.author, *post.tags),
        body=text,
    )


def _site_matches(host: str | None, wanted: str) -> bool:
    return host is not None and (host == wanted or host.endswith("." + wanted))


def _state_matches(flag: StateFlag, facts: _Facts, state: PostState) -> bool:
    ann = facts.annotation
    if flag == "read":
        return state.is_read(facts.post_id)
    if flag == "unread":
        return not state.is_read(facts.post_id)
    if flag == "orphan":
        return ann is not None and ann.is_orphan
    if flag == "unplaced":
        return ann is not None and ann.is_unplaced
    if ann is not None:
        # An annotation is a highlight; it "has notes" when its own note is not empty.
        return flag == "highlights" or bool(ann.note)
    if flag == "notes":
        return state.has_notes(facts.post_id)
    return state.has_highlights(facts.post_id)


def annotation_text_ids(term: FieldTerm, state: PostState) -> set[str]:
    """The posts one of whose annotations' note (``note:``) or quote (``quote:``) holds
    the term's words (none for a state that knows no annotation)."""
    texts = getattr(state, "annotation_texts", None)
    ids = getattr(state, "annotated_ids", None)
    if texts is None or ids is None:
        return set()
    part = 0 if term.key == "note" else 1
    return {
        post_id
        for post_id in ids()
        if any(matches_folded(c, pair[part]) for pair in texts(post_id) for c in term.chains)
    }


def _annotation_text_matches(term: FieldTerm, post_id: str, state: PostState) -> bool:
    """``note:``/``quote:`` for a post: one of its annotations' note / quote holds it."""
    texts = getattr(state, "annotation_texts", None)
    if texts is None:
        return False
    part = 0 if term.key == "note" else 1
    return any(matches_folded(c, pair[part]) for pair in texts(post_id) for c in term.chains)


def _field_matches(term: FieldTerm, facts: _Facts, state: PostState) -> bool:
    ann = facts.annotation
    key = term.key
    if key in TEXT_FIELD_KEYS and ann is None:
        return _annotation_text_matches(term, facts.post_id, state)
    if key == "tag":
        return any(v in facts.tags for v in term.values)
    if key == "cat":
        return any(v in facts.categories for v in term.values)
    if key == "author":
        return facts.author in term.values
    if ann is None:  # annotation-only keys never hold for a post
        return False
    if key == "hl-tag":
        return any(v in ann.tags for v in term.values)
    if key == "color":
        return ann.color in term.values
    text = ann.quote_text if key == "quote" else ann.note_text
    return any(chain_matches(chain, text) for chain in term.chains)


def _term_holds(term: Term, facts: _Facts, state: PostState) -> bool:
    """Whether the (unsigned) term holds for the facts."""
    if isinstance(term, FieldTerm):
        return _field_matches(term, facts, state)
    if isinstance(term, SiteTerm):
        return any(_site_matches(facts.host, h) for h in term.hosts)
    if isinstance(term, DateTerm):
        day = facts.ordinal
        return day is not None and any(r.contains(day) for r in term.ranges)
    if isinstance(term, StateTerm):
        return any(_state_matches(f, facts, state) for f in term.flags)
    return _text_holds(term, facts)


def _text_holds(term: WordTerm, facts: _Facts) -> bool:
    """A text term, by brute force (`textmatch.matches`) over each text it may be in."""
    chain, scope = term.chain, term.scope
    if scope != "text" and chain_matches(chain, facts.title):
        return True
    if scope == "any" and any(chain_matches(chain, value) for value in facts.meta):
        return True
    if scope != "title" and facts.body is not None and chain_matches(chain, facts.body):
        return True
    ann = facts.annotation
    return (
        scope == "any"
        and ann is not None
        and (chain_matches(chain, ann.quote_text) or chain_matches(chain, ann.note_text))
    )


def matches_post(
    query: Query, post: Post, state: PostState = EMPTY_STATE, text: str | None = None
) -> bool:
    """`Query.matches_post`: every term of ``query`` holds for ``post``."""
    if not query.terms:
        return True
    facts = _facts_of_post(post, text)
    return all(_term_holds(t, facts, state) != t.negated for t in query.terms)


def matches_annotation(
    query: Query,
    ann: AnnotationLike,
    *,
    is_orphan: bool,
    is_unplaced: bool = False,
    state: PostState = EMPTY_STATE,
) -> bool:
    """Evaluate a query on an annotation.

    Post terms are evaluated against the annotation's post snapshot (``cat:`` never holds:
    snapshots keep no categories). ``note:WORD`` / ``quote:WORD`` are words of the note /
    quote (as text terms match), ``hl-tag:X`` an annotation tag, ``color:C`` its colour,
    ``is:orphan`` and ``is:unplaced`` the flags; ``has:notes`` means the annotation's note
    is not empty and ``has:highlights`` always holds; a bare word also searches the quote,
    the note and the annotation's tags.

    Args:
        query: A query, normally parsed with ``annotation_keys=True``.
        ann: The annotation.
        is_orphan: Whether the annotation's quote could not be found in its post.
        is_unplaced: Whether it was imported and matched no post.
        state: Reading state for ``is:read``/``is:unread`` (by the snapshot's post id).

    Returns:
        Whether every term holds.
    """
    if not query.terms:
        return True
    post = ann.post
    facts = _Facts(
        post_id=post.id,
        tags=frozenset(fold(t) for t in post.tags),
        categories=frozenset(fold(c) for c in getattr(post, "categories", ())),
        author=fold(post.author),
        host=host_of(post.source),
        ordinal=ordinal_of_iso(post.date),
        title=post.title,
        meta=(post.author, *post.tags, *ann.tags),
        body=None,
        annotation=_AnnotationFacts(
            note=fold_text(ann.note),
            tags=frozenset(fold(t) for t in ann.tags),
            color=fold(ann.color),
            quote=fold_text(ann.target.exact),
            is_orphan=is_orphan,
            note_text=ann.note,
            quote_text=ann.target.exact,
            is_unplaced=is_unplaced,
        ),
    )
    return all(_term_holds(t, facts, state) != t.negated for t in query.terms)
