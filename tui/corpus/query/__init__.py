"""The query language: a parser into a typed query, and the reference evaluators.

* :mod:`~tui.corpus.query.terms`: the keys, the term types, :class:`Query`, and the
  normalisation every evaluator shares (:func:`fold`, :func:`host_of`);
* :mod:`~tui.corpus.query.parse`: :func:`parse_query` and :class:`QueryError`;
* :mod:`~tui.corpus.query.state`: the reading and annotation state ``has:``, ``is:``,
  ``note:`` and ``quote:`` ask (:class:`PostState`, :class:`Marks`);
* :mod:`~tui.corpus.query.evaluate`: `Query.matches_post` and :func:`matches_annotation`,
  by brute force: the reference the index's search (tui/corpus/index/search.py) is held to.
"""

from __future__ import annotations

from tui.corpus.query.evaluate import annotation_text_ids, matches_annotation
from tui.corpus.query.parse import QueryError, parse_query
from tui.corpus.query.state import (
    EMPTY_STATE,
    AnnotationLike,
    AnnotationTexts,
    Marks,
    MarkSource,
    PostState,
)
from tui.corpus.query.terms import (
    ANNOTATION_KEYS,
    COLORS,
    KNOWN_KEYS,
    SORT_KEYS,
    DateTerm,
    DayRange,
    FieldTerm,
    Query,
    SiteTerm,
    SortKey,
    StateTerm,
    Term,
    TextScope,
    WordTerm,
    fold,
    host_of,
)

__all__ = [
    "ANNOTATION_KEYS",
    "COLORS",
    "EMPTY_STATE",
    "KNOWN_KEYS",
    "SORT_KEYS",
    "AnnotationLike",
    "AnnotationTexts",
    "DateTerm",
    "DayRange",
    "FieldTerm",
    "MarkSource",
    "Marks",
    "PostState",
    "Query",
    "QueryError",
    "SiteTerm",
    "SortKey",
    "StateTerm",
    "Term",
    "TextScope",
    "WordTerm",
    "annotation_text_ids",
    "fold",
    "host_of",
    "matches_annotation",
    "parse_query",
]
