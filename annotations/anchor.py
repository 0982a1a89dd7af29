"""Anchoring highlights to a post's canonical text, and finding them again after edits.

A target stores the quote, 32 characters of context either side and the offsets.
:func:`reanchor` looks for it in a (possibly edited) text, in the order DESIGN.md gives:

1. the stored offsets, if the text there still equals the quote and the context agrees;
2. every exact occurrence of the quote, scored by how well its prefix and suffix agree,
   ties broken by closeness to the old offset;
3. the quote with whitespace and punctuation ignored (re-spacing, changed punctuation,
   a paragraph split inside the quote), scored the same way;
4. an approximate match (a few characters edited inside the quote): candidate places
   come from short exact "seed" substrings of the quote, voted by diagonal, first near
   the old offset and then in the whole text; each is aligned with difflib and scored
   like Hypothesis's client (50 x quote + 20 x prefix + 20 x suffix + 2 x position
   similarity, normalised to 0..1);
5. otherwise the annotation is an orphan.

Every accepted match must pass a minimum: wrong anchors are worse than orphans, so a
doubtful match is refused. The thresholds are justified by
``tests/bench/bench_anchor.py``. The fuzzy passes run under a time budget, so a 700 KB
text re-anchors in a few milliseconds when the quote is still there verbatim.
"""

from __future__ import annotations

import bisect
import re
import time
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from annotations.model import Target

CONTEXT_CHARS = 32
"""How much context a target keeps on either side of the quote."""

MIN_CONTEXT = 0.5
"""Minimum context agreement (0..1) for an exact or normalised occurrence."""

MIN_QUOTE_SIMILARITY = 0.75
"""Minimum similarity of the quote itself for an approximate match."""

MIN_FUZZY_SCORE = 0.75
"""Minimum Hypothesis-style combined score (0..1) for an approximate match."""

MIN_FUZZY_LENGTH = 12
"""Shorter quotes are never matched approximately: too many places look alike."""

FUZZY_BUDGET_S = 0.04
"""Time allowed for the normalised and approximate passes before giving up (orphan)."""

AnchorStatus = Literal["anchored", "moved", "orphan"]

_WORD_RUN = re.compile(r"[^\W_]+")
"""Runs of letters and digits (CJK characters included): what survives normalisation."""


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where a target was found in the current text."""

    status: AnchorStatus
    """``anchored`` at the stored offsets, ``moved`` elsewhere, or ``orphan`` (not found)."""
    start: int | None
    end: int | None

    @property
    def is_orphan(self) -> bool:
        """True when the quote could not be found."""
        return self.status == "orphan"


ORPHAN = Anchor("orphan", None, None)


def make_target(text: str, start: int, end: int) -> Target:
    """Build the target for the span ``[start, end)`` of a canonical text.

    Raises:
        ValueError: the span is empty or outside the text.
    """
    if not 0 <= start < end <= len(text):
        raise ValueError(f"span {start}..{end} is not a non-empty span of the text.")
    return Target(
        exact=text[start:end],
        prefix=text[max(0, start - CONTEXT_CHARS) : start],
        suffix=text[end : end + CONTEXT_CHARS],
        start=start,
        end=end,
    )


def reanchor(text: str, target: Target, *, budget_s: float = FUZZY_BUDGET_S) -> Anchor:
    """Find ``target`` in ``text`` (see the module docstring for the order).

    Args:
        text: the post's current canonical text.
        target: the stored target.
        budget_s: time allowed for the approximate passes.

    Returns:
        The anchor; never a doubtful place (an orphan instead).
    """
    exact = target.exact
    if not exact:
        return ORPHAN
    start, end = target.start, target.end
    # The stored offsets win outright only with their context intact; otherwise they
    # compete with every other occurrence in the next pass.
    if text[start:end] == exact and _context(text, start, end, target) == 1.0:
        return Anchor("anchored", start, end)
    found = _best_exact(text, target)
    if found is None:
        deadline = time.perf_counter() + budget_s
        found = _best_normalised(text, target, deadline)
        if found is None and len(exact) >= MIN_FUZZY_LENGTH:
            found = _best_fuzzy(text, target, deadline)
    if found is None:
        return ORPHAN
    status: AnchorStatus = "anchored" if found == (start, end) else "moved"
    return Anchor(status, found[0], found[1])


# -- context -------------------------------------------------------------------------


def _side_similarity(expected: str, actual: str, *, before: bool) -> float:
    """How well the context beside a candidate agrees with the stored context (0..1).

    The length of the common run next to the quote is cheap and exact; difflib's ratio
    covers context that was edited a little (a changed comma, a re-spaced word).
    """
    if not expected:
        return 1.0 if not actual else 0.5
    n = len(expected)
    run = 0
    if before:
        while run < n and run < len(actual) and expected[-1 - run] == actual[-1 - run]:
            run += 1
    else:
        while run < n and run < len(actual) and expected[run] == actual[run]:
            run += 1
    if run == n:
        return 1.0
    ratio = SequenceMatcher(None, expected, actual, autojunk=False).ratio() if actual else 0.0
    return max(run / n, ratio)


def _context_sides(text: str, start: int, end: int, target: Target) -> tuple[float, float]:
    # An empty stored side must meet the text's edge: look one character beyond, so
    # "nothing there" is only true at the very start or end.
    pre = text[max(0, start - max(1, len(target.prefix))) : start]
    suf = text[end : end + max(1, len(target.suffix))]
    return (
        _side_similarity(target.prefix, pre, before=True),
        _side_similarity(target.suffix, suf, before=False),
    )


def _context(text: str, start: int, end: int, target: Target) -> float:
    """Context agreement of both sides (0..1), the better side weighted double."""
    if not target.prefix and not target.suffix:
        return 1.0  # the quote was the whole text: nothing to compare
    # An empty stored side means "at the start/end of the text": a candidate there
    # agrees fully, elsewhere half (see _side_similarity).
    pre, suf = _context_sides(text, start, end, target)
    # One side intact is strong evidence (an insertion right before the quote changes
    # only the prefix), so the better side counts double.
    return (2 * max(pre, suf) + min(pre, suf)) / 3


def _closeness(text: str, start: int, target: Target) -> float:
    return 1.0 - min(1.0, abs(start - target.start) / max(len(text), 1))


# -- pass 2: exact occurrences --------------------------------------------------------

_MAX_OCCURRENCES = 5000


def _occurrences(haystack: str, needle: str, lo: int = 0, hi: int | None = None) -> list[int]:
    hits: list[int] = []
    hi = len(haystack) if hi is None else hi
    at = haystack.find(needle, lo, hi)
    while at >= 0 and len(hits) < _MAX_OCCURRENCES:
        hits.append(at)
        at = haystack.find(needle, at + 1, hi)
    return hits


def _best_exact(text: str, target: Target) -> tuple[int, int] | None:
    size = len(target.exact)
    hits = _occurrences(text, target.exact)
    return _pick(text, target, [(at, at + size) for at in hits])


def _pick(text: str, target: Target, spans: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The span whose context agrees best (then nearest the old offset), if good enough."""
    if not spans:
        return None
    # Score the cheap way first, then difflib only for the most promising few.
    spans = sorted(spans, key=lambda s: abs(s[0] - target.start))[:200]
    best: tuple[float, float, tuple[int, int]] | None = None
    for span in spans:
        context = _context(text, span[0], span[1], target)
        rank = context + 0.01 * _closeness(text, span[0], target)
        if best is None or rank > best[0]:
            best = (rank, context, span)
    assert best is not None
    return best[2] if best[1] >= MIN_CONTEXT else None


# -- pass 3: whitespace and punctuation ignored ---------------------------------------


class _Normalised:
    """A slice of text with everything but letters and digits removed, mapped back."""

    def __init__(self, text: str, lo: int, hi: int) -> None:
        parts: list[str] = []
        self.starts: list[int] = []  # normalised offset where each run starts
        self.origins: list[int] = []  # original offset of each run
        size = 0
        for match in _WORD_RUN.finditer(text, lo, hi):
            self.starts.append(size)
            self.origins.append(match.start())
            parts.append(match.group())
            size += match.end() - match.start()
        self.text = "".join(parts)

    def original(self, offset: int) -> int:
        """The original offset of the normalised character at ``offset``."""
        run = bisect.bisect_right(self.starts, offset) - 1
        return self.origins[run] + (offset - self.starts[run])


def _normalise(text: str) -> str:
    return "".join(_WORD_RUN.findall(text))


def _best_normalised(text: str, target: Target, deadline: float) -> tuple[int, int] | None:
    quote = _normalise(target.exact)
    if len(quote) < 4:
        return None
    for lo, hi in _regions(text, target):
        if time.perf_counter() > deadline:
            return None
        norm = _Normalised(text, lo, hi)
        spans = [
            (norm.original(at), norm.original(at + len(quote) - 1) + 1)
            for at in _occurrences(norm.text, quote)
        ]
        found = _pick(text, target, spans)
        if found is not None:
            return found
    return None


def _regions(text: str, target: Target) -> list[tuple[int, int]]:
    """Near the old offset first, then the whole text."""
    reach = max(2000, 8 * len(target.exact))
    near = (max(0, target.start - reach), min(len(text), target.end + reach))
    whole = (0, len(text))
    return [near, whole] if near != whole else [whole]


# -- pass 4: approximate -------------------------------------------------------------

_MAX_SEED_HITS = 40
_MAX_CANDIDATES = 6


def _best_fuzzy(text: str, target: Target, deadline: float) -> tuple[int, int] | None:
    for lo, hi in _regions(text, target):
        if time.perf_counter() > deadline:
            return None
        best: tuple[float, tuple[int, int]] | None = None
        for diagonal in _candidate_diagonals(text, target.exact, lo, hi):
            if time.perf_counter() > deadline:
                break
            scored = _score_candidate(text, target, diagonal)
            if scored is not None and (best is None or scored[0] > best[0]):
                best = scored
        if best is not None:
            return best[1]
    return None


def _candidate_diagonals(text: str, quote: str, lo: int, hi: int) -> list[int]:
    """Likely quote starts: where several seeds of the quote occur in the right order."""
    size = len(quote)
    seed_len = 8 if size >= 32 else max(4, size // 3)
    step = max(seed_len, size // 16)
    votes: list[int] = []
    for at in range(0, size - seed_len + 1, step):
        seed = quote[at : at + seed_len]
        hits = _occurrences(text, seed, lo, hi)
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
    return [c[len(c) // 2] for c in ranked[:_MAX_CANDIDATES]]


def _score_candidate(
    text: str, target: Target, diagonal: int
) -> tuple[float, tuple[int, int]] | None:
    """Align the quote near ``diagonal`` and score it; None when below the minimum."""
    quote = target.exact
    slack = max(8, len(quote) // 4)
    w_lo = max(0, diagonal - slack)
    window = text[w_lo : diagonal + len(quote) + slack]
    matcher = SequenceMatcher(None, window, quote, autojunk=False)
    blocks = [b for b in matcher.get_matching_blocks() if b.size]
    if not blocks:
        return None
    first, last = blocks[0], blocks[-1]
    # Extend to the quote's ends by the unmatched lengths: an edit on the quote's first
    # or last character must not shrink the span.
    start = max(0, w_lo + first.a - first.b)
    end = min(len(text), w_lo + last.a + last.size + (len(quote) - last.b - last.size))
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end <= start:
        return None
    similarity = SequenceMatcher(None, text[start:end], quote, autojunk=False).ratio()
    if similarity < MIN_QUOTE_SIMILARITY:
        return None
    pre, suf = _context_sides(text, start, end, target)
    weights = 50.0 + (20.0 if target.prefix else 0.0) + (20.0 if target.suffix else 0.0) + 2.0
    score = 50 * similarity + 2 * _closeness(text, start, target)
    score += (20 * pre if target.prefix else 0.0) + (20 * suf if target.suffix else 0.0)
    score /= weights
    if score < MIN_FUZZY_SCORE:
        return None
    return score, (start, end)
