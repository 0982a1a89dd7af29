"""A short passage of a post's text around where a query's text terms match.

Shown under the library's list for the post under the cursor, and given by
``postil ls --json --snippets``: the passage around the first match, each match in it
marked (``[[`` and ``]]`` in the CLI's text, styled in the app).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tui.corpus.query import Query, WordTerm
from tui.corpus.textmatch import find_spans

if TYPE_CHECKING:
    from tui.render.script import Script

CONTEXT = 40
"""Characters shown on either side of the first match (fewer at a paragraph's edge)."""

CharWidth = Callable[[str], int]
"""The width of one character in the unit ``before`` and ``after`` count: 1 each for
characters, a terminal's cell width (CJK: 2) for cells."""


def _one(char: str) -> int:
    return 1


def match_spans(
    text: str,
    query: Query,
    scopes: tuple[str, ...] = ("any", "text"),
    shown_in: Script | None = None,
) -> list[tuple[int, int]]:
    """Every match in ``text`` of the query's positive text terms, in order, merged.

    With ``shown_in`` (the reader shows the text in that script), the matches in the
    text as shown count too: it is converted by phrases (凭借 shown as 憑藉), which the
    search's folding, character by character, does not undo, and a word typed as it
    is shown must be found. The conversion keeps the text's length (`convert`), so its
    offsets are the text's.
    """
    texts = [text]
    if shown_in is not None:
        from tui.render.script import convert

        shown = convert(text, shown_in)
        if shown != text:
            texts.append(shown)
    spans: list[tuple[int, int]] = []
    for term in query.terms:
        if isinstance(term, WordTerm) and not term.negated and term.scope in scopes:
            for searched in texts:
                spans += find_spans(term.chain, searched)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def passage(
    text: str,
    spans: list[tuple[int, int]],
    before: int = CONTEXT,
    after: int = CONTEXT,
    char_width: CharWidth = _one,
) -> tuple[int, int] | None:
    """The (start, end) of the passage to show around the first of ``spans``: within its
    paragraph, at most ``before`` wide before it and ``after`` wide after it, widths
    counted with ``char_width`` (None when there is no match)."""
    if not spans:
        return None
    first, last = spans[0]
    para_start = text.rfind("\n", 0, first) + 1
    para_end = text.find("\n", last)
    if para_end < 0:
        para_end = len(text)
    start, used = first, 0
    while start > para_start and used + char_width(text[start - 1]) <= before:
        start -= 1
        used += char_width(text[start])
    end, used = last, 0
    while end < para_end and used + char_width(text[end]) <= after:
        used += char_width(text[end])
        end += 1
    return start, end


def marked_passage(
    text: str,
    query: Query,
    before: int = CONTEXT,
    after: int = CONTEXT,
    char_width: CharWidth = _one,
) -> tuple[str, list[tuple[int, int]]] | None:
    """The passage around the first match (see `passage`; an ellipsis where it is cut,
    paragraph breaks as spaces) and the matches in it, as offsets into the passage; None
    without a match."""
    spans = match_spans(text, query)
    bounds = passage(text, spans, before, after, char_width)
    if bounds is None:
        return None
    start, end = bounds
    lead = "…" if start > 0 and text[start - 1] != "\n" else ""
    tail = "…" if end < len(text) and text[end] != "\n" else ""
    shift = len(lead) - start
    inside = [
        (max(s, start) + shift, min(e, end) + shift) for s, e in spans if s < end and e > start
    ]
    return lead + text[start:end].replace("\n", " ") + tail, inside


def snippet(text: str, query: Query) -> str | None:
    """The passage around the first match with every match marked ``[[``…``]]``; None
    when the text has no match."""
    found = marked_passage(text, query)
    if found is None:
        return None
    shown, spans = found
    out: list[str] = []
    at = 0
    for start, end in spans:
        out += [shown[at:start], "[[", shown[start:end], "]]"]
        at = end
    out.append(shown[at:])
    return "".join(out)
