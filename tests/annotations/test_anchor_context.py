"""Anchoring after corrections next to a quote, and after whitespace-only changes (issue 18)."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from annotations.anchor import (
    MIN_ALONE_CJK,
    MIN_ALONE_OTHER,
    make_target,
    reanchor,
    respaced_spans,
    stands_alone,
)

QUOTE = "A fishing cooperative then offered to pay for the copper."
BEFORE = "The minutes show three votes against it."
ARTICLE = (
    "The council met on Monday about the bell of the old church.\n\n"
    f"The vote was close. {BEFORE} {QUOTE} The bell will be recast in the spring.\n\n"
    "Work starts in April."
)

CORRECTION = (
    "Correction, Tuesday: an earlier version of this article misstated how the members"
    " of the council voted on the bell.\n\n"
)

ZH_QUOTE = "渔业合作社随后表示愿意承担铜料的费用。"
ZH_ARTICLE = (
    "周一，议会讨论了老教堂的铜钟。\n\n"
    f"表决结果很接近。会议纪要显示有三票反对。{ZH_QUOTE}铜钟将在春天重铸。\n\n"
    "工程四月开工。"
)


def _target(text: str, quote: str) -> tuple[int, int, object]:
    start = text.index(quote)
    return start, start + len(quote), make_target(text, start, start + len(quote))


def _found_text(text: str, quote: str, edited: str) -> str | None:
    start = text.index(quote)
    found = reanchor(edited, make_target(text, start, start + len(quote)))
    if found.start is None or found.end is None:
        return None
    return edited[found.start : found.end]


def test_the_issue_example_is_found_after_its_neighbour_was_corrected() -> None:
    """A new first paragraph, and the sentence before the quote reworded."""
    edited = CORRECTION + ARTICLE.replace(
        BEFORE, "The minutes show three votes against it, and one abstention."
    )
    assert _found_text(ARTICLE, QUOTE, edited) == QUOTE


def test_neighbours_reworded_on_either_or_both_sides() -> None:
    after = "The bell will be recast in the spring."
    for edited in (
        ARTICLE.replace(after, "Recasting the bell is planned for May, officials said."),
        ARTICLE.replace(BEFORE, "Two members voted no.").replace(after, "No date is set."),
    ):
        assert _found_text(ARTICLE, QUOTE, edited) == QUOTE
    zh_edited = ZH_ARTICLE.replace("会议纪要显示有三票反对。", "纪要显示三票反对、一票弃权。")
    zh_edited = zh_edited.replace("铜钟将在春天重铸。", "重铸时间尚未确定。")
    assert _found_text(ZH_ARTICLE, ZH_QUOTE, zh_edited) == ZH_QUOTE


def test_a_short_quote_still_needs_its_context() -> None:
    """A word or a name recurs by chance: with both sides changed it is an orphan."""
    quote = "the copper"
    assert not stands_alone(quote)
    text = "They paid for the copper at last. Nothing else was bought that year at all."
    edited = "Prices went up again. Who pays for the copper now? Nobody has said so yet."
    assert _found_text(text, quote, edited) is None


def test_thresholds_count_characters_by_script() -> None:
    assert stands_alone("汉" * MIN_ALONE_CJK)
    assert not stands_alone("汉" * (MIN_ALONE_CJK - 1))
    assert not stands_alone("a" * (MIN_ALONE_OTHER - 1))
    assert stands_alone("a" * MIN_ALONE_OTHER)
    assert not stands_alone(" ".join("汉" * (MIN_ALONE_CJK - 1)))  # spaces do not count


# -- whitespace only (issue 18: a line break between two Chinese characters) ------------

SPACED = "原告起诉 以后，法院\n  受理了此案。被告 表示不服，将 上诉 至高级法院。此后双方和解。"
JOINED = "原告起诉以后，法院受理了此案。被告表示不服，将上诉至高级法院。此后双方和解。"


def test_respaced_spans_ignore_whitespace_both_ways() -> None:
    assert respaced_spans(JOINED, "诉 以后") == [(3, 6)]
    assert respaced_spans(SPACED, "诉以后，法院受理") == [(3, 15)]
    assert respaced_spans(JOINED, "诉以前") == []


def test_old_text_with_stray_spaces_new_text_without() -> None:
    for quote in ("被告 表示不服，将 上诉", "诉 以后", "法院\n  受理了此案。"):
        found = _found_text(SPACED, quote, JOINED)
        assert found is not None and "".join(found.split()) == "".join(quote.split())
        assert found == "".join(quote.split())  # the same passage, edge to edge


def test_old_text_without_spaces_new_text_with_them() -> None:
    for quote in ("被告表示不服，将上诉", "诉以后", "法院受理了此案。"):
        found = _found_text(JOINED, quote, SPACED)
        assert found is not None and "".join(found.split()) == quote
        start = SPACED.index(quote[0])
        assert SPACED[start:].startswith(found)


def test_whitespace_step_prefers_the_context_among_several() -> None:
    old = "甲方 同意。乙方说：甲方 同意。丙方沉默。"
    start = old.rindex("甲方 同意。")
    target = make_target(old, start, start + len("甲方 同意。"))
    new = "".join(old.split())
    found = reanchor(new, target)
    assert (found.start, found.end) == (
        new.rindex("甲方同意。"),
        len("甲方同意。乙方说：甲方同意。"),
    )


# -- the property -------------------------------------------------------------------------

_words = st.text(alphabet="abcdefghij klmno,.", min_size=0, max_size=80)
_zh = st.text(alphabet="的一是在不了有和人这中大为上个国我以要他时来", min_size=0, max_size=60)


@settings(max_examples=300, deadline=None)
@given(
    quote=st.one_of(
        st.text(alphabet="pqrstuvwxyz ", min_size=MIN_ALONE_OTHER, max_size=90),
        st.text(alphabet="甲乙丙丁戊己庚辛壬癸", min_size=MIN_ALONE_CJK, max_size=40),
    ),
    before=st.one_of(_words, _zh),
    after=st.one_of(_words, _zh),
    new_before=st.one_of(_words, _zh),
    new_after=st.one_of(_words, _zh),
)
def test_a_unique_exact_quote_always_anchors(
    quote: str, before: str, after: str, new_before: str, new_after: str
) -> None:
    """Whatever surrounded it before and surrounds it now, a quote that stands alone and
    occurs exactly once in the new text is found there, edge to edge."""
    assume(stands_alone(quote))
    text = before + quote + after
    target = make_target(text, len(before), len(before) + len(quote))
    new = new_before + quote + new_after
    assume(new.count(quote) == 1)
    found = reanchor(new, target)
    assert (found.start, found.end) == (len(new_before), len(new_before) + len(quote))
