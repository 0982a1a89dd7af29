"""Where a quote lies in a text, found from its pieces: exact occurrences, short seeds
voted into likely starts, an alignment, and ends snapped to the stored context.

These are the primitives of anchor.py's searches for a quote that moved or was edited.
The string comparisons (`similarity`, `matching_blocks`) and the search for likely starts
(`candidate_diagonals`) are module attributes so that ``tests/bench/bench_anchor.py`` can
run the same searches with rapidfuzz or diff-match-patch in their place.
"""

from __future__ import annotations

from collections.abc import Callable
from difflib import SequenceMatcher
from typing import NamedTuple

from annotations.model import Target

MAX_OCCURRENCES = 5000
"""Occurrences of one string looked at, at most (a quote of one common character)."""
_MAX_SEED_HITS = 40
_MAX_FUZZY_CANDIDATES = 6


class _Block(NamedTuple):
    """A run of ``size`` equal characters at ``a`` in one string and ``b`` in the other."""

    a: int
    b: int
    size: int


def _difflib_similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _difflib_blocks(a: str, b: str) -> list[tuple[int, int, int]]:
    return [tuple(m) for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()]  # type: ignore[misc]


similarity: Callable[[str, str], float] = _difflib_similarity
"""How alike two strings are, 0..1: twice the matched characters over both lengths."""

matching_blocks: Callable[[str, str], list[tuple[int, int, int]]] = _difflib_blocks
"""The runs of equal characters that align two strings, as (a, b, size), in order."""


def occurrences(haystack: str, needle: str, lo: int = 0, hi: int | None = None) -> list[int]:
    hits: list[int] = []
    hi = len(haystack) if hi is None else hi
    at = haystack.find(needle, lo, hi)
    while at >= 0 and len(hits) < MAX_OCCURRENCES:
        hits.append(at)
        at = haystack.find(needle, at + 1, hi)
    return hits


def candidate_diagonals(text: str, quote: str, lo: int, hi: int) -> list[int]:
    """Likely quote starts: where several seeds of the quote occur in the right order."""
    size = len(quote)
    seed_len = 8 if size >= 32 else max(4, size // 3)
    step = max(seed_len, size // 16)
    votes: list[int] = []
    for at in range(0, size - seed_len + 1, step):
        hits = occurrences(text, quote[at : at + seed_len], lo, hi)
        if 0 < len(hits) <= _MAX_SEED_HITS:  # too common a seed tells nothing
            votes.extend(hit - at for hit in hits)
    if not votes:
        return []
    votes.sort()
    tolerance = max(4, size // 5)
    clusters: list[list[int]] = [[votes[0]]]
    for vote in votes[1:]:
        if vote - clusters[-1][-1] <= tolerance:
            clusters[-1].append(vote)
        else:
            clusters.append([vote])
    needed = 2 if size >= 2 * seed_len else 1
    ranked = sorted((c for c in clusters if len(c) >= needed), key=len, reverse=True)
    return [c[len(c) // 2] for c in ranked[:_MAX_FUZZY_CANDIDATES]]


def align(text: str, target: Target, diagonal: int) -> tuple[int, int] | None:
    """The span the quote occupies near ``diagonal``, ends snapped to the stored context."""
    quote = target.exact
    slack = max(8, len(quote) // 4)
    w_lo = max(0, diagonal - slack)
    window = text[w_lo : diagonal + len(quote) + slack]
    blocks = [b for b in matching_blocks(window, quote) if b[2]]
    if not blocks:
        return None
    first, last = _Block(*blocks[0]), _Block(*blocks[-1])
    # Extend to the quote's ends by the unmatched lengths: an edit on the quote's first
    # or last character must not shrink the span.
    start = max(0, w_lo + first.a - first.b)
    end = min(len(text), w_lo + last.a + last.size + (len(quote) - last.b - last.size))
    # An edit near an end can pair the quote's first (last) words with the same words
    # in the context (a name in the sentence before): the span then reaches into the
    # context, past where `diagonal` puts the quote. The snaps look near both places.
    start = snap_start(text, target, start, slack, diagonal)
    end = snap_end(text, target, end, slack, diagonal + len(quote))
    return (start, end) if start < end else None


def snap_start(
    text: str, target: Target, start: int, slack: int, expected: int | None = None
) -> int:
    """Move the start to just after the stored prefix, if it is found close by (near
    ``start`` or ``expected``)."""
    tail = target.prefix[-8:]
    if len(tail) < 8:
        return start
    expected = start if expected is None else expected
    lo = max(0, min(start, expected) - slack - len(tail))
    hits = occurrences(text, tail, lo, min(len(text), max(start, expected) + slack))
    return min((h + len(tail) for h in hits), key=lambda s: abs(s - start), default=start)


def snap_end(text: str, target: Target, end: int, slack: int, expected: int | None = None) -> int:
    """Move the end to just before the stored suffix, if it is found close by (near
    ``end`` or ``expected``)."""
    head = target.suffix[:8]
    if len(head) < 8:
        return end
    expected = end if expected is None else expected
    lo, hi = max(0, min(end, expected) - slack), min(len(text), max(end, expected) + slack + 8)
    hits = occurrences(text, head, lo, hi)
    return min(hits, key=lambda s: abs(s - end), default=end)
