"""Anchoring highlights to a post's canonical text, and finding them again after edits.

A target stores the quote, 32 characters of context either side and the offsets.
:func:`reanchor` looks for it in a (possibly edited) text, in this order:

1. the stored offsets, if the text there still equals the quote with its context intact;
2. every exact occurrence of the quote. One that is the only occurrence in the text is
   taken whatever happened to its context (news corrections reword the sentence next to
   a passage), provided the quote stands alone: at least MIN_ALONE_CJK characters of
   Chinese or MIN_ALONE_OTHER of other text (shorter quotes, a name or a phrase, recur by
   chance, so their context must still agree), and unless the passage itself is found a
   little edited elsewhere with better context (the occurrence is then a copy, say a
   caption; see :func:`_alone`). Several occurrences are scored by how well
   their prefix and suffix agree; one with both sides intact is taken at once (the
   nearest to the old offset);
3. the quote with whitespace ignored: the same characters with spaces or line breaks
   added or removed anywhere (a re-fetch of prettified HTML, where a line break between
   two Chinese characters became a space or disappeared). Exact in every other
   character, so it comes before any approximate search, with the same unique rule;
4. otherwise approximate candidates join them: the quote with punctuation ignored too
   (changed punctuation, a paragraph split inside the quote), then the quote with a few
   characters edited (places voted by short exact "seed" substrings, aligned, ends
   snapped to the stored context; such a place must be MIN_EDITED_SIMILARITY alike);
   first near the old offset, in the whole text only when nothing was found near;
5. each candidate is scored like Hypothesis's client, 50 x quote + 20 x prefix +
   20 x suffix similarity (normalised to 0..1; position is the tie-break instead of
   Hypothesis's 2 x position term). Overlapping candidates are one place: the most
   faithful span is kept. Scores within CONTEXT_TIE of the best count as equal and the
   nearest to the old offset wins (DESIGN.md's tie-break);
6. a candidate must have each side's context agree at least MIN_SIDE (0.8), the quote
   at least MIN_QUOTE_SIMILARITY and the score at least MIN_SCORE, or be the quote
   verbatim with one side of its context exactly as stored (the sentence on the other
   side reworded), when the quote has at least MIN_ONE_SIDE_CJK characters of Chinese or
   MIN_ONE_SIDE_OTHER of other text; otherwise the annotation is an orphan.

Context that an insertion split off is still credited: when a side does not match next
to the candidate, but the rest of the stored context is found where an insertion would
have left it (the prefix's rest still where it was; for the suffix, the quote itself
not moved), that side counts as intact. A copy of the passage elsewhere fails that test.

Wrong anchors are worse than orphans, so the minimums are strict; they are justified by
``tests/bench/bench_anchor.py`` (sweeps are printed there: MIN_SIDE 0.8 is the lowest
value with no wrong anchor; the MIN_ALONE_* lengths are where a quote stops recurring by
chance). Similarities and alignments come from difflib: the benchmark also runs them with
rapidfuzz and with diff-match-patch's match, and difflib anchors the most highlights with
no wrong one (README, Performance).
The approximate passes run under a time budget, so a 700 KB text re-anchors in a few
milliseconds at worst.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass
from typing import Literal
from unicodedata import east_asian_width

from annotations import seeds
from annotations.model import Target

CONTEXT_CHARS = 32
"""How much context a target keeps on either side of the quote."""

MIN_SIDE = 0.8
"""Each side's context must agree at least this much (0..1) after displacement credit."""

MIN_QUOTE_SIMILARITY = 0.75
"""The text at an approximate match must be at least this similar to the quote."""

MIN_EDITED_SIMILARITY = 0.88
"""A place where the quote's letters themselves were edited must be at least this
similar (spacing and punctuation alone may take it down to MIN_QUOTE_SIMILARITY): the
benchmark's edits of a few characters score 0.9 and more, while near-copies of a deleted
passage (a caption repeating the lede with its dateline changed, a list of links
differing by one word) score 0.78 and 0.85."""

MIN_SCORE = 0.75
"""Minimum combined score (0..1) of any accepted candidate."""

CONTEXT_TIE = 0.1
"""Scores within this of the best count as equal; position decides among them."""

MIN_FUZZY_LENGTH = 12
"""Shorter quotes are never matched with edits inside: too many places look alike."""

MIN_ALONE_CJK = 10
"""A mostly Chinese (or Japanese) quote of at least this many characters (whitespace not
counted) is anchored at its only occurrence whatever its context (see bench_anchor)."""

MIN_ALONE_OTHER = 24
"""The same for other text (English): words are longer, so chance repeats are longer."""

MIN_ONE_SIDE_CJK = 4
"""A mostly Chinese (or Japanese) quote of at least this many characters, found verbatim
with one side of its context exactly as stored, is anchored there whatever the other
side says (the sentence before or after it was reworded; see bench_anchor)."""

MIN_ONE_SIDE_OTHER = 8
"""The same for other text."""

MIN_RIVAL_SIMILARITY = 0.85
"""How close to the quote an edited passage with its context in place must be to win
over the quote's only verbatim occurrence (which is then taken to be a copy)."""

DISPLACED_REACH = 2000
"""How long an insertion next to the quote may be for its context to be credited."""

DISPLACED_TOLERANCE = 64
"""How far the part of the text that an insertion did not move may have shifted."""

FUZZY_BUDGET_S = 0.03
"""Time allowed for the approximate passes before giving up (an orphan)."""

AnchorStatus = Literal["anchored", "moved", "orphan"]

_WORD_RUN = re.compile(r"[^\W_]+")
"""Runs of letters and digits (CJK characters included): what survives normalisation."""

_MAX_SCORED = 200


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


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int
    end: int
    quote: float
    """Similarity of the text at the span to the stored quote (1.0: verbatim)."""
    pre: float
    suf: float
    credited: bool
    """A side counts as intact only because its context was found pushed away."""

    @property
    def score(self) -> float:
        return (50 * self.quote + 20 * self.pre + 20 * self.suf) / 90

    @property
    def is_perfect(self) -> bool:
        return self.quote == 1.0 and self.pre == 1.0 and self.suf == 1.0 and not self.credited

    def is_acceptable(self, *, one_side: bool = False) -> bool:
        """Good enough to anchor at; ``one_side``: the quote is long enough to be taken
        verbatim with one side of its context intact (`MIN_ONE_SIDE_CJK`)."""
        if one_side and self.quote == 1.0 and max(self.pre, self.suf) == 1.0 and not self.credited:
            return True
        return (
            self.quote >= MIN_QUOTE_SIMILARITY
            and min(self.pre, self.suf) >= MIN_SIDE
            and self.score >= MIN_SCORE
        )


def reanchor(text: str, target: Target, *, budget_s: float = FUZZY_BUDGET_S) -> Anchor:
    """Find ``target`` in ``text`` (see the module docstring for the order).

    Args:
        text: the post's current canonical text.
        target: the stored target.
        budget_s: time allowed for the approximate passes.

    Returns:
        The anchor; an orphan rather than a doubtful place.
    """
    exact = target.exact
    if not exact:
        return ORPHAN
    start, end = target.start, target.end
    if text[start:end] == exact and _sides(text, start, end, target) == (1.0, 1.0, False):
        return Anchor("anchored", start, end)
    size = len(exact)
    spans = [(at, at + size) for at in seeds.occurrences(text, exact)]
    alone = stands_alone(exact)
    if len(spans) == 1 and alone:
        return _alone(text, target, spans[0], budget_s)
    candidates = _score_spans(text, target, spans, quote=1.0)
    perfect = [c for c in candidates if c.is_perfect]
    if not perfect:
        taken = set(spans)
        spaced = [span for span in respaced_spans(text, exact) if span not in taken]
        if not spans and len(spaced) == 1 and alone:
            return _alone(text, target, spaced[0], budget_s)
        respaced = _score_spans(text, target, spaced, quote=1.0)
        perfect = [c for c in respaced if c.is_perfect]
        candidates += respaced
        found = None if perfect or spans else _choose(respaced, target)
        if found is not None:  # found with only whitespace changed: nothing approximate
            return _anchor_at((found.start, found.end), target)
    if not perfect:
        deadline = time.perf_counter() + budget_s
        candidates += _approximate(text, target, deadline, found_any=bool(candidates))
    chosen = _choose(perfect or candidates, target)
    if chosen is None:
        return ORPHAN
    return _anchor_at((chosen.start, chosen.end), target)


def _alone(text: str, target: Target, span: tuple[int, int], budget_s: float) -> Anchor:
    """The only occurrence of a quote that stands alone, taken whatever its context...

    ...unless its context is not intact and the passage itself is found edited a little
    (MIN_RIVAL_SIMILARITY) elsewhere, its context agreeing better on both sides together
    (an insertion's credit not counted): the occurrence is then a copy (a caption or a
    summary repeating the sentence) and the edited passage is the highlight. Where each
    lies is no evidence: text added above moves both, and the copy may be the nearer.
    """
    here = _score_spans(text, target, [span], quote=1.0)[0]
    if not here.is_perfect:
        deadline = time.perf_counter() + budget_s
        rivals = [
            c
            for c in _approximate(text, target, deadline, found_any=False)
            if (c.end <= span[0] or c.start >= span[1])
            and c.quote >= MIN_RIVAL_SIMILARITY
            and c.pre + c.suf > here.pre + here.suf
            and not c.credited
        ]
        rival = _choose(rivals, target)
        if rival is not None:
            return _anchor_at((rival.start, rival.end), target)
    return _anchor_at(span, target)


def _anchor_at(span: tuple[int, int], target: Target) -> Anchor:
    status: AnchorStatus = "anchored" if span == (target.start, target.end) else "moved"
    return Anchor(status, span[0], span[1])


def stands_alone(quote: str) -> bool:
    """Whether ``quote`` is long enough to be anchored at its only occurrence, context or not.

    Mostly East Asian wide characters (Chinese, Japanese): MIN_ALONE_CJK characters;
    anything else: MIN_ALONE_OTHER. Whitespace is not counted.
    """
    return _long_enough(quote, MIN_ALONE_CJK, MIN_ALONE_OTHER)


def _long_enough(quote: str, cjk: int, other: int) -> bool:
    """At least ``cjk`` characters when mostly East Asian wide ones, else ``other``
    (whitespace not counted)."""
    letters = "".join(quote.split())
    if len(letters) >= other:
        return True
    if len(letters) < cjk:
        return False
    wide = sum(1 for char in letters if east_asian_width(char) in "WF")
    return 2 * wide >= len(letters)


def respaced_spans(text: str, quote: str) -> list[tuple[int, int]]:
    """Where ``quote`` occurs in ``text`` if whitespace is ignored on both sides.

    The quote's other characters must all be there, in order, with nothing but
    whitespace (spaces, tabs, line breaks, a paragraph break) added or removed between
    them: ``诉 以`` is found in ``诉以`` and the other way round. Each span starts at the
    quote's first non-space character and ends after its last.
    """
    letters = "".join(quote.split())
    if not letters:
        return []
    # A run of whitespace, then a character it cannot match: never backtracks.
    pattern = re.compile(r"\s*".join(re.escape(char) for char in letters))
    return [
        (m.start(), m.end())
        for m in itertools.islice(pattern.finditer(text), seeds.MAX_OCCURRENCES)
    ]


def _choose(candidates: list[_Candidate], target: Target) -> _Candidate | None:
    one_side = _long_enough(target.exact, MIN_ONE_SIDE_CJK, MIN_ONE_SIDE_OTHER)
    accepted = [c for c in candidates if c.is_acceptable(one_side=one_side)]
    # Overlapping candidates are one place with different boundaries (verbatim, or an
    # approximate span that swallowed an insertion): keep the most faithful of each.
    accepted.sort(key=lambda c: (-c.quote, -c.score, abs(c.start - target.start)))
    places: list[_Candidate] = []
    for cand in accepted:
        if all(cand.end <= kept.start or cand.start >= kept.end for kept in places):
            places.append(cand)
    if not places:
        return None
    best = max(c.score for c in places)
    # Scores this close do not tell the places apart (a repeated paragraph, an edit
    # that wiped one side): the nearest to the old offset wins, as DESIGN.md says.
    tied = [c for c in places if c.score >= best - CONTEXT_TIE]
    return min(tied, key=lambda c: (abs(c.start - target.start), -c.score))


def _approximate(
    text: str, target: Target, deadline: float, *, found_any: bool
) -> list[_Candidate]:
    """Normalised and edited-quote candidates, near the old offset (whole text if needed)."""
    out: list[_Candidate] = []
    for number, (lo, hi) in enumerate(_regions(text, target)):
        if number > 0 and (found_any or out):
            break  # something was found: no need to search the whole text
        if time.perf_counter() > deadline:
            break
        out += _normalised(text, target, lo, hi)
        if len(target.exact) >= MIN_FUZZY_LENGTH and not any(c.is_perfect for c in out):
            out += _fuzzy(text, target, lo, hi, deadline)
    return out


def _regions(text: str, target: Target) -> list[tuple[int, int]]:
    """Near the old offset first, then the whole text."""
    reach = max(2000, 8 * len(target.exact))
    near = (max(0, target.start - reach), min(len(text), target.end + reach))
    whole = (0, len(text))
    return [near, whole] if near != whole else [whole]


# -- context -------------------------------------------------------------------------


def _side_similarity(expected: str, actual: str, *, before: bool) -> tuple[float, int]:
    """How well the context beside a candidate agrees with the stored context.

    Returns:
        (similarity 0..1, length of the common run next to the quote). The run is cheap
        and exact; difflib's ratio covers context edited a little (a changed comma).
    """
    if not expected:
        # The quote was at the text's edge. Text now before it is no evidence either
        # way (an insertion at the top): just enough to pass, never to decide.
        return (1.0 if not actual else MIN_SIDE), 0
    n = len(expected)
    run = 0
    if before:
        while run < n and run < len(actual) and expected[-1 - run] == actual[-1 - run]:
            run += 1
    else:
        while run < n and run < len(actual) and expected[run] == actual[run]:
            run += 1
    if run == n:
        return 1.0, run
    ratio = seeds.similarity(expected, actual) if actual else 0.0
    return max(run / n, ratio), run


def _sides(text: str, start: int, end: int, target: Target) -> tuple[float, float, bool]:
    """(prefix, suffix) agreement at a span, and whether displaced context was credited."""
    # An empty stored side must meet the text's edge: look one character beyond, so
    # "nothing there" is only true at the very start or end.
    before = text[max(0, start - max(1, len(target.prefix))) : start]
    after = text[end : end + max(1, len(target.suffix))]
    pre, pre_run = _side_similarity(target.prefix, before, before=True)
    suf, suf_run = _side_similarity(target.suffix, after, before=False)
    credited = False
    if pre < 1.0 and target.prefix and _prefix_displaced(text, start, target, pre_run):
        pre, credited = 1.0, True
    if suf < 1.0 and target.suffix and _suffix_displaced(text, start, end, target, suf_run):
        suf, credited = 1.0, True
    return pre, suf, credited


def _prefix_displaced(text: str, start: int, target: Target, run: int) -> bool:
    """The stored prefix is whole, split by text inserted just before the quote.

    Its last ``run`` characters are still next to the quote; the rest must still end
    where it ended before (within DISPLACED_TOLERANCE): an insertion moves the quote,
    not what precedes it. A copy of the passage elsewhere fails that test. A prefix
    shorter than CONTEXT_CHARS was the start of the text, so its rest only counts there.
    """
    prefix = target.prefix
    head = prefix[: len(prefix) - run]
    old_end = target.start - run
    if start - run - old_end > DISPLACED_REACH or start - run < old_end - DISPLACED_TOLERANCE:
        return False
    if len(prefix) < CONTEXT_CHARS:
        return text.startswith(head)
    if len(head) < 8:
        return False
    lo = max(0, old_end - DISPLACED_TOLERANCE - len(head))
    return text.rfind(head, lo, min(start - run, old_end + DISPLACED_TOLERANCE)) >= 0


def _suffix_displaced(text: str, start: int, end: int, target: Target, run: int) -> bool:
    """The stored suffix is whole, split by text inserted just after the quote.

    Then the quote itself has not moved (within DISPLACED_TOLERANCE), and the rest of
    the suffix follows within DISPLACED_REACH.
    """
    if abs(start - target.start) > DISPLACED_TOLERANCE:
        return False
    suffix = target.suffix
    tail = suffix[run:]
    limit = end + run
    if len(suffix) < CONTEXT_CHARS:
        return len(text) - limit - len(tail) <= DISPLACED_REACH and text.endswith(tail)
    if len(tail) < 8:
        return False
    return text.find(tail, limit, limit + DISPLACED_REACH + len(tail)) >= 0


def _score_spans(
    text: str, target: Target, spans: list[tuple[int, int]], *, quote: float | None
) -> list[_Candidate]:
    """Score spans (the nearest few hundred); ``quote=None`` measures the quote too."""
    spans = sorted(set(spans), key=lambda s: abs(s[0] - target.start))[:_MAX_SCORED]
    out = []
    for a, b in spans:
        agreement = seeds.similarity(text[a:b], target.exact) if quote is None else quote
        pre, suf, credited = _sides(text, a, b, target)
        out.append(_Candidate(a, b, agreement, pre, suf, credited))
    return out


def _edges(text: str) -> tuple[int, int]:
    """How many characters before the first and after the last letter or digit."""
    runs = list(_WORD_RUN.finditer(text))
    if not runs:
        return 0, 0
    return runs[0].start(), len(text) - runs[-1].end()


def _normalised(text: str, target: Target, lo: int, hi: int) -> list[_Candidate]:
    letters = "".join(_WORD_RUN.findall(target.exact))
    if len(letters) < 4:
        return []
    # The quote's letters and digits in order, with any run of spaces and punctuation
    # allowed between them. Each gap is followed by a letter it cannot match, so the
    # regex never backtracks: a linear scan in C, fast even over 700 KB.
    pattern = re.compile(r"[\W_]*".join(re.escape(char) for char in letters))
    # The quote's own leading/trailing punctuation and spaces are outside the match:
    # widen each match by as many characters.
    lead, trail = _edges(target.exact)
    spans = []
    for m in itertools.islice(pattern.finditer(text, lo, hi), seeds.MAX_OCCURRENCES):
        start = max(0, m.start() - lead)
        end = min(len(text), m.end() + trail)
        # Spacing around the quote's ends may have changed too: the stored context says
        # where they are, if it is found right there.
        if lead:
            start = min(m.start(), seeds.snap_start(text, target, start, lead + 2))
        if trail:
            end = max(m.end(), seeds.snap_end(text, target, end, trail + 2))
        spans.append((start, end))
    return _score_spans(text, target, spans, quote=None)


# -- a few characters edited inside the quote -----------------------------------------


def _fuzzy(text: str, target: Target, lo: int, hi: int, deadline: float) -> list[_Candidate]:
    out = []
    for diagonal in seeds.candidate_diagonals(text, target.exact, lo, hi):
        if time.perf_counter() > deadline:
            break
        span = seeds.align(text, target, diagonal)
        if span is not None:
            scored = _score_spans(text, target, [span], quote=None)
            out += [c for c in scored if c.quote >= MIN_EDITED_SIMILARITY]
    return out
