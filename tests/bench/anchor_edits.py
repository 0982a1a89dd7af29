"""The edits real news sites make, for bench_anchor: corrections next to a quote, merged
paragraphs, an article duplicated on the page, and a re-fetch with other markup.

Each generator gives the edited text and the spans where the highlight must be found
(several for a duplicated article: either copy is the same passage).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from unicodedata import east_asian_width

_SENTENCE_END = re.compile(r"[。！？.!?]+[”’\"']?|\n\n")
_BREAK = re.compile("\n\n")

_ZH_CLAUSES = ("，另有一人弃权", "，据知情人士透露", "，但具体细节尚未公布", "，官方随后予以证实")
_EN_CLAUSES = (
    ", and one abstention",
    ", according to people familiar with the matter",
    ", though details were not released",
    ", officials confirmed later",
)
_ZH_SENTENCES = ("这一说法随后被更正。", "记者多次联系有关部门，未获回应。", "此前的报道有误。")
_EN_SENTENCES = (
    "That figure was later corrected.",
    "A spokesman did not respond to several requests for comment.",
    "An earlier version of this sentence misstated the date.",
)


def is_wide(text: str) -> bool:
    """Mostly East Asian wide characters."""
    letters = "".join(text.split())
    return bool(letters) and 2 * sum(east_asian_width(c) in "WF" for c in letters) >= len(letters)


def sentence_before(text: str, start: int) -> tuple[int, int] | None:
    """The last whole sentence that ends at or before ``start`` (its trailing space excluded)."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, start) if text[m.start()] != "\n"]
    if not ends:
        return None
    end = ends[-1]
    begin = max((m.end() for m in _SENTENCE_END.finditer(text, 0, end - 1)), default=0)
    while begin < end and text[begin].isspace():
        begin += 1
    return (begin, end) if end - begin >= 4 else None


def sentence_after(text: str, end: int) -> tuple[int, int] | None:
    """The first whole sentence that starts at or after ``end``."""
    begin = end
    first = _SENTENCE_END.search(text, end)
    if first is None:
        return None
    if first.start() > end and not text[end : first.start()].isspace():
        begin = first.end()  # the quote ended inside a sentence: the next one
    while begin < len(text) and text[begin].isspace():
        begin += 1
    stop = _SENTENCE_END.search(text, begin)
    if stop is None or text[stop.start()] == "\n":
        return None
    return (begin, stop.end()) if stop.end() - begin >= 4 else None


def reword(sentence: str, rng: random.Random) -> str:
    """A correction of ``sentence``: a clause added, words changed, or a new sentence."""
    wide = is_wide(sentence)
    choice = rng.random()
    if choice < 0.4:
        match = re.search(r"[。！？.!?]+[”’\"']?$", sentence)
        cut = match.start() if match else len(sentence)
        clause = rng.choice(_ZH_CLAUSES if wide else _EN_CLAUSES)
        return sentence[:cut] + clause + sentence[cut:]
    if choice < 0.75:
        if wide:
            chars = list(sentence)
            for i in rng.sample(range(len(chars) - 1), max(1, len(chars) // 4)):
                chars[i] = rng.choice("据称有关方面表示认为目前")
            return "".join(chars)
        words = sentence.split(" ")
        for i in rng.sample(range(len(words)), max(1, len(words) // 3)):
            words[i] = rng.choice(("reportedly", "officials", "the", "several", "new"))
        return " ".join(words)
    return rng.choice(_ZH_SENTENCES if wide else _EN_SENTENCES)


@dataclass
class Edited:
    """A text after an edit, and where the highlight must be found in it."""

    text: str
    wants: list[tuple[int, int]]
    tolerance: int = 0


Op = tuple[int, int, str]


def reworded_ops(
    text: str, start: int, end: int, rng: random.Random, sides: str
) -> list[Op] | None:
    """Ops rewording the sentence before (``sides`` "b"), after ("a") or both ("ba")."""
    ops: list[Op] = []
    if "b" in sides:
        span = sentence_before(text, start)
        if span is None:
            return None
        ops.append((span[0], span[1] - span[0], reword(text[span[0] : span[1]], rng)))
    if "a" in sides:
        span = sentence_after(text, end)
        if span is None:
            return None
        ops.append((span[0], span[1] - span[0], reword(text[span[0] : span[1]], rng)))
    return ops


def merge_op(text: str, start: int, end: int) -> Op | None:
    """The paragraph break nearest the quote (inside it or within 300 characters) removed,
    as a browser shows two paragraphs run together: a space, or nothing between CJK."""
    breaks = [m.start() for m in _BREAK.finditer(text, max(0, start - 300), end + 300)]
    if not breaks:
        return None
    at = min(breaks, key=lambda b: 0 if start <= b < end else min(abs(b - start), abs(b - end)))
    joint = text[at - 1 : at] + text[at + 2 : at + 3]
    return (at, 2, "" if len(joint) == 2 and is_wide(joint) else " ")


# -- a re-fetch with other markup -------------------------------------------------------

_RELATED = (
    '<aside class="related"><h3>Related articles</h3><ul>'
    '<li><a href="https://example.com/a1">Council to vote on harbour fees</a></li>'
    '<li><a href="https://example.com/a2">相关阅读：港口收费调整</a></li></ul></aside>'
)
_ADVERT = '<div class="ad-slot" data-ad="mid"><span>Advertisement</span></div>'
_HEADER = re.compile(r"^(\s*(?:<!--\d+-->\s*)?)\[([^\]\n]*)\]\(([^)\s]*)\)", re.MULTILINE)


def refetch(body: str, rng: random.Random) -> str:
    """The same article as another fetch of the page might give it: other tags and
    attributes, wrapper elements, a related-articles block or an advertisement between
    paragraphs, the title link line changed, and the HTML re-indented."""
    header = _HEADER.match(body)
    head, html = ("", body) if header is None else (body[: header.end()], body[header.end() :])
    if header is not None:
        head = _HEADER.sub(
            lambda m: f"{m.group(1)}[{m.group(2)} (updated)]({m.group(3)}?utm_source=feed)",
            head,
        )
    html = re.sub(r"<p(?=[\s>])", '<p class="story-text" data-v="2"', html)
    html = re.sub(r"<(/?)b>", r"<\1strong>", html)
    html = re.sub(r"<(/?)i>", r"<\1em>", html)
    html = re.sub(r"<(/?)div(?=[\s>])", r"<\1section", html)
    paragraph_ends = [m.end() for m in re.finditer(r"</p>", html)]
    if paragraph_ends:
        at = rng.choice(paragraph_ends)
        html = html[:at] + rng.choice((_RELATED, _ADVERT)) + html[at:]
    if rng.random() < 0.5:  # prettified: one tag per line
        html = re.sub(r">\s*<", ">\n    <", html)
    return f'{head}<article class="story"><div class="story-body">{html}</div></article>\n'


def _squeezed_index(text: str, offset: int) -> int:
    """How many non-space characters come before ``offset``."""
    return len("".join(text[:offset].split()))


def _nth_letter(text: str, count: int) -> int:
    """The offset of the ``count``-th (from 0) non-space character of ``text``."""
    seen = 0
    for i, char in enumerate(text):
        if not char.isspace():
            if seen == count:
                return i
            seen += 1
    return len(text)


class Mapper:
    """Old offset -> new offset through blocks whose text is the same but for whitespace."""

    def __init__(self, old: list[tuple[int, str]], new: list[tuple[int, str]]) -> None:
        self.old, self.new = old, new
        keys_old = ["".join(t.split()) for _, t in old]
        keys_new = ["".join(t.split()) for _, t in new]
        self.pairs: dict[int, int] = {}
        matcher = SequenceMatcher(None, keys_old, keys_new, autojunk=False)
        for a, b, size in matcher.get_matching_blocks():
            for k in range(size):
                self.pairs[a + k] = b + k

    def map(self, offset: int, *, is_end: bool) -> int | None:
        """The new offset of an old one, or None if its block changed or is not there."""
        for index, (start, text) in enumerate(self.old):
            inside = start <= offset < start + len(text) or (is_end and offset == start + len(text))
            if not inside:
                continue
            target = self.pairs.get(index)
            if target is None:
                return None
            new_start, new_text = self.new[target]
            count = _squeezed_index(text, offset - start)
            if is_end:  # just past the last non-space character before the end
                return new_start + (_nth_letter(new_text, count - 1) + 1 if count else 0)
            return new_start + _nth_letter(new_text, count)
        return None
