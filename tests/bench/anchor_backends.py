"""The similarity libraries bench_anchor compares for anchor.py's approximate passes.

Each backend replaces annotations/seeds.py's ``similarity`` (how alike two strings are, on
difflib's ratio scale: twice the matched characters over both lengths, so the minimums
keep their meaning) and ``matching_blocks`` (the runs that align a quote with a window
of text). diff-match-patch also replaces the search for likely places with its Bitap
``match_main`` near the old offset (on the quote's first, else last, 32 characters: its
pattern limit), as Hypothesis's client did with dom-anchor-text-quote.
"""

from __future__ import annotations

from typing import Any

from annotations import seeds

Blocks = list[tuple[int, int, int]]


def _rapidfuzz() -> dict[str, Any] | None:
    try:
        from rapidfuzz.distance import Indel
    except ImportError:
        return None

    def similarity(a: str, b: str) -> float:
        return float(Indel.normalized_similarity(a, b))

    def blocks(a: str, b: str) -> Blocks:
        return [(m.a, m.b, m.size) for m in Indel.opcodes(a, b).as_matching_blocks()]

    return {"similarity": similarity, "matching_blocks": blocks}


def _diff_match_patch() -> dict[str, Any] | None:
    try:
        from diff_match_patch import diff_match_patch
    except ImportError:
        return None
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0  # no time limit: the same answer on a busy machine

    def blocks(a: str, b: str) -> Blocks:
        out: Blocks = []
        i = j = 0
        for op, chunk in dmp.diff_main(a, b, False):
            if op == 0:
                out.append((i, j, len(chunk)))
            if op <= 0:
                i += len(chunk)
            if op >= 0:
                j += len(chunk)
        out.append((len(a), len(b), 0))
        return out

    def similarity(a: str, b: str) -> float:
        if not a and not b:
            return 1.0
        return 2 * sum(size for _, _, size in blocks(a, b)) / (len(a) + len(b))

    def diagonals(text: str, quote: str, lo: int, hi: int) -> list[int]:
        region = text[lo:hi]
        dmp.Match_Distance = max(1000, len(region))
        middle = len(region) // 2
        head = quote[: dmp.Match_MaxBits]
        found = dmp.match_main(region, head, max(0, middle - len(quote) // 2))
        if found >= 0:
            return [lo + found]
        tail = quote[-dmp.Match_MaxBits :]
        found = dmp.match_main(region, tail, middle + len(quote) // 2 - len(tail))
        return [lo + found - (len(quote) - len(tail))] if found >= 0 else []

    return {"similarity": similarity, "matching_blocks": blocks, "candidate_diagonals": diagonals}


BACKENDS: dict[str, dict[str, Any] | None] = {
    "difflib": {
        "similarity": seeds._difflib_similarity,
        "matching_blocks": seeds._difflib_blocks,
    },
    "rapidfuzz": _rapidfuzz(),
    "diff-match-patch": _diff_match_patch(),
}
"""Name -> the seeds.py attributes to replace (None: the library is not installed)."""
