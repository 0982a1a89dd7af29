"""Edit-robustness of re-anchoring: highlights survive realistic edits, or orphan, never wrong.

For each text (the canonical texts of sample_posts/ and, when present,
../shared/realworld/), make N random highlights, apply one realistic edit per case,
re-anchor, and compare with the ground truth computed from the edit itself:

- insert:     a new paragraph or sentence somewhere before the quote
- respace:    spaces added/removed around punctuation near and inside the quote
- punct:      punctuation swapped (，<->, 。<->. “<->") near and inside the quote
- split:      a paragraph break inserted inside the quote
- chars:      a few characters substituted/inserted/deleted inside the quote
- insert+chars: both of the above
- before:     the sentence before the quote reworded (a correction: a clause added,
              words changed, or another sentence), plus a new first paragraph
- after:      the sentence after the quote reworded
- both:       both reworded
- merge:      two paragraphs run together (the break nearest the quote removed)
- twice:      the article present twice on the page (either copy is right)
- refetch:    the post file fetched again with other markup: other tags and attributes,
              wrapper elements, a related-articles block or an advertisement inserted,
              the title link line changed, half of them prettified (rendered through
              tui.render; the truth maps blocks whose text is unchanged but for spaces)
- delete:     the sentence(s) holding the quote deleted (right answer: orphan)

Counts: exact (found at the expected offsets), moved-correct (within the tolerance of
each expected end, for edits inside the quote), lost (orphan although the passage is
still there), orphan-correct (deleted), WRONG (anchored somewhere the passage is not),
copy (a deleted passage found where its quote survives verbatim elsewhere in the post:
the same words, not judged), ambiguous (not judged, see ``_repeated``). Sweeps show why
anchor.py's minimum scores and lengths are where they are, and a comparison runs the
approximate passes with difflib, rapidfuzz and diff-match-patch.
"""

from __future__ import annotations

import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from annotations import anchor, seeds
from annotations.anchor import make_target, reanchor
from annotations.model import Target
from tests.bench import anchor_edits as edits

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_posts"
REALWORLD = ROOT.parent / "shared" / "realworld"
HIGHLIGHTS_PER_TEXT = 12

Op = tuple[int, int, str]
"""(position, characters deleted, text inserted) in the original text."""


@dataclass
class Case:
    """One highlight under one edit, with the expected answer."""

    kind: str
    text: str
    start: int
    end: int
    ops: list[Op]
    expect_orphan: bool = False
    tolerance: int = 0
    edited: str | None = None
    """The edited text when it is not ``ops`` applied to ``text`` (twice, refetch)."""
    wants: list[tuple[int, int]] | None = None
    """The right spans in ``edited`` (else ``ops`` map the highlight's ends)."""


def load_texts() -> list[str]:
    """Canonical texts of the sample posts and real-world posts (if available)."""
    texts: list[str] = []
    try:
        from tui.corpus.files import read_body
        from tui.render import build_document
    except ImportError:  # pragma: no cover - render helper not there yet
        return generated_texts()
    for path in post_files():
        try:
            text = build_document(read_body(path)).text
        except Exception:  # noqa: BLE001 - a bad file is the loader's business, not ours
            continue
        if len(text) >= 400:
            texts.append(text)
    return texts or generated_texts()


def post_files() -> Iterator[Path]:
    """The post files of the sample and, when present, real-world archives."""
    for folder in (SAMPLES, REALWORLD):
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.suffix.lower() in (".md", ".markdown", ".html", ".htm"):
                    yield path


def generated_texts() -> list[str]:
    """A fallback corpus of Chinese and English paragraphs."""
    rng = random.Random(7)
    zh = (
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
        "同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自"
        "二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日"
        "那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变"
        "条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
        "次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指"
        "几九区强放决西被干做必战先回则任取据处理府研质"
    )
    en = (
        "the committee met to discuss a budget and after long debate it approved the plan "
        "with two amendments while critics said the numbers did not add up for schools"
    ).split()
    texts = []
    for _ in range(20):
        paras = []
        for _ in range(rng.randint(5, 15)):
            if rng.random() < 0.6:
                sents = [
                    "".join(rng.choice(zh) for _ in range(rng.randint(8, 40))) + "。"
                    for _ in range(rng.randint(1, 5))
                ]
                paras.append("，".join(sents))
            else:
                words = [rng.choice(en) for _ in range(rng.randint(10, 60))]
                paras.append(" ".join(words).capitalize() + ".")
        texts.append("\n\n".join(paras))
    return texts


# -- edits ---------------------------------------------------------------------------


def apply(text: str, ops: list[Op]) -> str:
    """Apply non-overlapping ops (any order) to the original text."""
    out, at = [], 0
    for pos, size, insert in sorted(ops):
        out.append(text[at:pos])
        out.append(insert)
        at = pos + size
    out.append(text[at:])
    return "".join(out)


def map_offset(x: int, ops: list[Op], *, is_start: bool) -> int:
    """Where original offset ``x`` lands after the ops (insertions at a start go before)."""
    shift = 0
    for pos, size, insert in ops:
        before = pos + size <= x and (pos < x or (is_start and pos == x))
        if before:
            shift += len(insert) - size
    return x + shift


_PUNCT_SWAPS = {"，": ",", ",": "，", "。": ".", ".": "。", "“": '"', "”": '"', "：": ":"}
_PUNCT_SWAPS.update({"；": ";", "！": "!", "？": "?"})


def edit_cases(text: str, start: int, end: int, rng: random.Random) -> Iterator[Case]:
    """Every edit kind for one highlight."""
    quote = text[start:end]
    filler = rng.choice(
        [
            "编者按：本文有所修改，以下为更新后的版本。\n\n",
            "Update: this article was corrected on Monday. ",
            "（更新）",
            "\n\nA new paragraph was added here by the editors of the site.",
        ]
    )
    at = rng.randint(0, start)
    yield Case("insert", text, start, end, [(at, 0, filler)])
    yield Case("respace", text, start, end, _respace_ops(text, start, end, rng), tolerance=3)
    punct = _punct_ops(text, start, end, rng)
    if punct:
        yield Case("punct", text, start, end, punct)
    split = _split_op(text, start, end, rng)
    if split:
        yield Case("split", text, start, end, [split])
    if len(quote) >= 20:
        chars = _char_ops(text, start, end, rng)
        yield Case("chars", text, start, end, chars, tolerance=2)
        yield Case("insert+chars", text, start, end, [(at, 0, filler), *chars], tolerance=2)
    lo, hi = _sentence_bounds(text, start, end)
    yield Case("delete", text, start, end, [(lo, hi - lo, "")], expect_orphan=True)
    yield from _correction_cases(text, start, end, rng)


def _correction_cases(text: str, start: int, end: int, rng: random.Random) -> Iterator[Case]:
    """The edits news sites make around a passage (see ``anchor_edits``)."""
    first = rng.choice(
        [
            "Correction: an earlier version of this article misstated a vote count.\n\n",
            "更正：本文早前版本中的一处数字有误，现已更正。\n\n",
        ]
    )
    for kind, sides in (("before", "b"), ("after", "a"), ("both", "ba")):
        ops = edits.reworded_ops(text, start, end, rng, sides)
        if ops is not None:
            if kind == "before":
                ops.append((0, 0, first))
            yield Case(kind, text, start, end, ops)
    merge = edits.merge_op(text, start, end)
    if merge is not None:
        yield Case("merge", text, start, end, [merge], tolerance=1)
    twice = text + "\n\n" + text
    shift = len(text) + 2
    yield Case(
        "twice",
        text,
        start,
        end,
        [],
        edited=twice,
        wants=[(start, end), (start + shift, end + shift)],
    )


def _respace_ops(text: str, start: int, end: int, rng: random.Random) -> list[Op]:
    ops: list[Op] = []
    lo, hi = max(0, start - 60), min(len(text), end + 60)
    for i in range(lo, hi):
        if rng.random() < 0.08:
            if text[i] == " ":
                ops.append((i, 1, ""))
            elif text[i] in ",.;:!?，。" and i + 1 < len(text) and text[i + 1] != " ":
                ops.append((i + 1, 0, " "))
    return ops


def _punct_ops(text: str, start: int, end: int, rng: random.Random) -> list[Op]:
    lo, hi = max(0, start - 40), min(len(text), end + 40)
    spots = [i for i in range(lo, hi) if text[i] in _PUNCT_SWAPS]
    picked = rng.sample(spots, min(len(spots), 3))
    # Keep the same length so boundaries stay comparable (a swap is one character).
    return [(i, 1, _PUNCT_SWAPS[text[i]]) for i in picked]


def _split_op(text: str, start: int, end: int, rng: random.Random) -> Op | None:
    ends = "。！？.!?；;，,"
    inner = [i for i in range(start + 2, end - 2) if text[i - 1] in ends or text[i] == " "]
    if not inner:
        return None
    i = rng.choice(inner)
    if text[i] == " ":
        return (i, 1, "\n\n")
    return (i, 0, "\n\n")


def _char_ops(text: str, start: int, end: int, rng: random.Random) -> list[Op]:
    n = min(3, max(1, (end - start) // 25))
    positions = sorted(rng.sample(range(start + 1, end - 1), n))
    ops: list[Op] = []
    for i in positions:
        kind = rng.choice(["sub", "ins", "del"])
        char = rng.choice("的了是在有这xyzqk")
        ops.append((i, 0 if kind == "ins" else 1, "" if kind == "del" else char))
    return ops


_WORD = re.compile(r"[^\W_]")

_SENTENCE_END = re.compile(r"[。！？.!?]|\n\n")


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    lo = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    found = _SENTENCE_END.search(text, end)
    return lo, found.end() if found else len(text)


def highlights(text: str, rng: random.Random, n: int) -> Iterator[tuple[int, int]]:
    """Random highlight spans of realistic lengths, trimmed of whitespace."""
    made = 0
    tries = 0
    while made < n and tries < n * 20:
        tries += 1
        size = rng.choice([rng.randint(4, 15), rng.randint(15, 80), rng.randint(15, 80)])
        if rng.random() < 0.15:
            size = rng.randint(80, 300)
        if len(text) <= size + 2:
            continue
        start = rng.randint(0, len(text) - size)
        end = start + size
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        quote = text[start:end]
        # People highlight words and sentences, not runs of rules or table borders.
        letters = len(_WORD.findall(quote))
        if end - start >= 4 and _WORD.match(quote) and letters >= 0.5 * len(quote):
            made += 1
            yield start, end


# -- evaluation ----------------------------------------------------------------------


def judge(case: Case) -> str:
    """One of exact, moved-correct, orphan-correct, lost, imprecise, WRONG, copy, ambiguous."""
    edited = case.edited if case.edited is not None else apply(case.text, case.ops)
    target = make_target(case.text, case.start, case.end)
    found = reanchor(edited, target)
    if _repeated(case.text, target):
        return "ambiguous"
    if case.expect_orphan:
        if found.status == "orphan":
            return "orphan-correct"
        if found.start is not None and edited[found.start : found.end] == target.exact:
            return "copy"  # the same words survive elsewhere in the post
        return "WRONG"
    wants = case.wants or [
        (
            map_offset(case.start, case.ops, is_start=True),
            map_offset(case.end, case.ops, is_start=False),
        )
    ]
    if found.status == "orphan" or found.start is None or found.end is None:
        return "lost"
    if (found.start, found.end) in wants:
        return "exact"
    best = "WRONG"
    for want in wants:
        if (
            abs(found.start - want[0]) <= case.tolerance
            and abs(found.end - want[1]) <= case.tolerance
        ):
            return "moved-correct"
        overlap = min(found.end, want[1]) - max(found.start, want[0])
        union = max(found.end, want[1]) - min(found.start, want[0])
        if overlap > 0 and overlap / union >= 0.5:
            best = "imprecise"
    return best


def _repeated(text: str, target: Target) -> bool:
    """The quote recurs with the same prefix or the same suffix (a repeated passage).

    Such a highlight is told apart from its twin by one side of context only; once an
    edit touches that side (or deletes the passage), no anchoring can know which copy
    was meant, so these cases are reported but not judged.
    """
    before = target.prefix + target.exact
    after = target.exact + target.suffix
    return text.count(before) > 1 or text.count(after) > 1


def build_cases(texts: list[str], seed: int = 20231026) -> list[Case]:
    """All cases for the corpus, deterministic for a seed."""
    rng = random.Random(seed)
    cases: list[Case] = []
    for text in texts:
        for start, end in highlights(text, rng, HIGHLIGHTS_PER_TEXT):
            cases.extend(edit_cases(text, start, end, rng))
    return cases


def _squeezed(text: str) -> str:
    return "".join(text.split())


def refetch_cases(seed: int = 20231026) -> tuple[list[Case], int]:
    """Highlights in each HTML post, judged in a re-fetch of its file (see anchor_edits);
    and how many could not be judged (their block's text changed)."""
    from tui.corpus.files import read_body
    from tui.render import build_document

    rng = random.Random(seed)
    cases: list[Case] = []
    unmapped = 0
    for path in post_files():
        try:
            body = read_body(path)
            old = build_document(body)
            text = old.text
            new = build_document(edits.refetch(body, rng))
            new_text = new.text
        except Exception:  # noqa: BLE001 - a bad file is the loader's business, not ours
            continue
        if len(text) < 400 or not re.search(r"<(?:p|div)[\s>]", body):
            continue
        mapper = edits.Mapper(
            [(b.start, b.text) for b in old.blocks if b.text],
            [(b.start, b.text) for b in new.blocks if b.text],
        )
        for start, end in highlights(text, rng, HIGHLIGHTS_PER_TEXT):
            a, b = mapper.map(start, is_end=False), mapper.map(end, is_end=True)
            # The inserted block may fall inside a highlight that spans two
            # paragraphs: then the passage is not the same text, and not judged.
            if a is None or b is None or _squeezed(new_text[a:b]) != _squeezed(text[start:end]):
                unmapped += 1
                continue
            cases.append(Case("refetch", text, start, end, [], edited=new_text, wants=[(a, b)]))
    return cases, unmapped


def run(cases: list[Case]) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """Overall and per-kind verdict counts."""
    total: Counter[str] = Counter()
    by_kind: Counter[tuple[str, str]] = Counter()
    for case in cases:
        verdict = judge(case)
        total[verdict] += 1
        by_kind[(case.kind, verdict)] += 1
    return total, by_kind


def _misses(counts: Counter[str]) -> str:
    return (
        f"lost {counts['lost']}  imprecise {counts['imprecise']}  WRONG {counts['WRONG']}"
        f"  copy {counts['copy']}"
    )


def share(total: Counter[str]) -> float:
    """Cases answered right, in percent of those judged."""
    judged = sum(total.values()) - total["ambiguous"] - total["copy"]
    return 100 * right(total) / judged if judged else 0.0


def right(total: Counter[str]) -> int:
    """Cases answered right: found where expected, or orphaned when deleted."""
    return total["exact"] + total["moved-correct"] + total["orphan-correct"]


def with_thresholds(values: dict[str, float], fn: Callable[[], object]) -> object:
    """Run ``fn`` with module attributes temporarily replaced: anchor.py's thresholds,
    or seeds.py's string comparisons."""
    modules = {name: anchor if hasattr(anchor, name) else seeds for name in values}
    saved = {name: getattr(modules[name], name) for name in values}
    try:
        for name, value in values.items():
            setattr(modules[name], name, value)
        return fn()
    finally:
        for name, value in saved.items():
            setattr(modules[name], name, value)


def timing(texts: list[str]) -> None:
    """Re-anchoring time on a ~700 KB text: verbatim hit, moved, orphan (worst case)."""
    # Distinct texts only: a repeated text would make a deleted passage findable.
    unique = list(dict.fromkeys(texts))
    big = ""
    for text in sorted(unique, key=len, reverse=True):
        if len(big.encode()) >= 700_000:
            break
        big += "\n\n" + text
    mid = len(big) // 2
    start = big.index(" ", mid) + 1 if " " in big[mid : mid + 200] else mid
    target = make_target(big, start, start + 60)
    shifted = "新的开头。\n\n" + big
    gone = big[: start - 50] + big[start + 200 :]
    edited = big[: start + 10] + "改" + big[start + 11 :]
    for label, text in (
        ("unchanged", big),
        ("insert before", shifted),
        ("char edit inside", edited),
        ("passage deleted", gone),
    ):
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            found = reanchor(text, target)
            times.append(time.perf_counter() - t0)
        times.sort()
        print(
            f"  {label:<18} {found.status:<8} median {times[2] * 1000:7.2f} ms"
            f"  max {times[-1] * 1000:7.2f} ms  ({len(text.encode()) // 1000} KB)"
        )


KINDS = (
    "insert",
    "respace",
    "punct",
    "split",
    "chars",
    "insert+chars",
    "before",
    "after",
    "both",
    "merge",
    "twice",
    "refetch",
    "delete",
)
RIGHT = ("exact", "moved-correct", "orphan-correct")


def report(total: Counter[str], by_kind: Counter[tuple[str, str]]) -> None:
    """The overall verdicts and the table per edit kind."""
    n = sum(total.values()) - total["ambiguous"] - total["copy"]
    print(
        f"ambiguous (quote repeated with one side of its context, not judged): {total['ambiguous']}"
    )
    print(
        f"copy (a deleted quote found verbatim elsewhere in the post, not judged): {total['copy']}"
    )
    print(f"right {right(total)}/{n} = {100 * right(total) / n:.2f}%  WRONG {total['WRONG']}")
    for verdict in ("exact", "moved-correct", "orphan-correct", "lost", "imprecise", "WRONG"):
        print(f"  {verdict:<15} {total[verdict]}")
    print("by edit kind (right / judged, %, lost, imprecise, WRONG, copy):")
    for kind in KINDS:
        counts = Counter({v: c for (k, v), c in by_kind.items() if k == kind})
        judged = sum(counts.values()) - counts["ambiguous"] - counts["copy"]
        print(f"  {kind:<13} {right(counts)}/{judged} {share(counts):6.2f}%  {_misses(counts)}")


def sweep_alone(cases: list[Case]) -> None:
    """Right, lost and copies for other minimum lengths of a quote that stands alone."""
    _sweep_lengths(
        cases,
        "MIN_ALONE",
        "minimum length of a quote anchored at its only occurrence (CJK, other):",
        ((4, 8), (6, 16), (8, 20), (10, 24), (12, 32), (16, 40)),
    )


def sweep_one_side(cases: list[Case]) -> None:
    """Right, lost and copies for other minimum lengths of a verbatim quote taken with
    one side of its context intact."""
    _sweep_lengths(
        cases,
        "MIN_ONE_SIDE",
        "minimum length of a verbatim quote taken with one side of its context (CJK, other):",
        ((2, 4), (3, 6), (4, 8), (5, 12), (6, 16)),
    )


def _sweep_lengths(
    cases: list[Case], prefix: str, title: str, lengths: tuple[tuple[int, int], ...]
) -> None:
    """Run the cases with anchor's ``{prefix}_CJK`` and ``{prefix}_OTHER`` set to each
    pair of ``lengths`` (and to "never"), printing right overall and after a rewording."""
    if not hasattr(anchor, f"{prefix}_CJK"):
        return
    print(title)
    for cjk, other in (*lengths, (10**6, 10**6)):
        swept = with_thresholds(
            {f"{prefix}_CJK": cjk, f"{prefix}_OTHER": other}, lambda: run(cases)
        )
        assert isinstance(swept, tuple)
        total, by_kind = swept
        reworded: Counter[str] = Counter()
        for (kind, verdict), count in by_kind.items():
            if kind in ("before", "after", "both"):
                reworded[verdict] += count
        label = "never" if cjk > 1000 else f"{cjk}, {other}"
        print(
            f"  ({label}): right {share(total):.2f}%  reworded neighbours"
            f" {share(reworded):.2f}%  {_misses(total)}"
        )


def compare_backends(cases: list[Case]) -> None:
    """Accuracy and time of the approximate passes with each similarity library."""
    from tests.bench import anchor_backends

    print("similarity library (right, lost, imprecise, WRONG, mean time per case):")
    for name, patch in anchor_backends.BACKENDS.items():
        if patch is None:
            print(f"  {name:<17} not installed")
            continue
        started = time.perf_counter()
        swept = with_thresholds(patch, lambda: run(cases))
        elapsed = time.perf_counter() - started
        assert isinstance(swept, tuple)
        total = swept[0]
        print(
            f"  {name:<17} right {share(total):.2f}%  {_misses(total)}"
            f"  {elapsed / len(cases) * 1000:.3f} ms"
        )


def main() -> None:
    """Run the benchmark and print the figures."""
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    texts = load_texts()
    cases = build_cases(texts)
    fetched, unmapped = refetch_cases()
    cases += fetched
    print(f"texts: {len(texts)}  highlights: {HIGHLIGHTS_PER_TEXT} each  cases: {len(cases)}")
    print(
        f"refetch: {len(fetched)} cases; {unmapped} highlights not judged"
        " (their text changed: a block was inserted inside)"
    )
    started = time.perf_counter()
    total, by_kind = run(cases)
    elapsed = time.perf_counter() - started
    report(total, by_kind)
    print(f"mean re-anchor time: {elapsed / len(cases) * 1000:.2f} ms per case")
    sweep_alone(cases)
    sweep_one_side(cases)
    compare_backends(cases)
    print("threshold sweep (MIN_SIDE, MIN_QUOTE_SIMILARITY, MIN_SCORE):")
    for values in (
        {"MIN_SIDE": 0.5, "MIN_QUOTE_SIMILARITY": 0.75, "MIN_SCORE": 0.75},
        {"MIN_SIDE": 0.7, "MIN_QUOTE_SIMILARITY": 0.75, "MIN_SCORE": 0.75},
        {"MIN_SIDE": 0.75, "MIN_QUOTE_SIMILARITY": 0.75, "MIN_SCORE": 0.75},
        {"MIN_SIDE": 0.8, "MIN_QUOTE_SIMILARITY": 0.75, "MIN_SCORE": 0.75},
        {"MIN_SIDE": 0.85, "MIN_QUOTE_SIMILARITY": 0.75, "MIN_SCORE": 0.75},
    ):
        swept = with_thresholds(values, lambda: run(cases)[0])
        assert isinstance(swept, Counter)
        label = ", ".join(f"{v:g}" for v in values.values())
        print(f"  ({label}): right {share(swept):.2f}%  {_misses(swept)}")
    print("timing on a ~700 KB text:")
    timing(texts)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
