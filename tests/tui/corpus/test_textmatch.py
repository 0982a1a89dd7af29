"""What a text term matches: folding, tokens, adjacency and gaps, and where it matches."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.corpus.textmatch import ADJACENT, GAP, Chain, chain_of, find_spans, fold, index_terms
from tui.corpus.textmatch import matches as reference


def chain(term: str) -> Chain:
    found = chain_of(term)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("term", "text", "expected"),
    [
        ("中国", "他是中国人", True),  # a Chinese word inside a longer run
        ("中", "中国", True),  # one character is a word too
        ("国", "美国", True),
        ("中国", "中，国", False),  # punctuation between: a gap
        ("国美", "中国，美国", False),
        ("中国", "中国\n\n人", True),
        ("国人", "中国\n\n人", False),  # a paragraph break is a gap
        ("台湾", "臺灣的山", True),  # traditional and simplified fold together
        ("臺灣", "台湾的山", True),
        ("發展", "发展经济", True),
        ("随着", "隨著時間", True),  # the Taiwan standard's 著 for 着
        ("看著", "看着", True),
        ("trade market", "Trade  market", True),  # case and spaces
        ("trade market", "trade, market", False),
        ('"trade, market"', "trade; market", True),  # any gap matches a gap
        ("trade market", "trademarket", False),  # Latin words match whole
        ("econ", "economy", False),
        ("economy", "ＥＣＯＮＯＭＹ", True),  # NFKC: full-width letters
        ("ss", "Straße", False),  # ß folds to ss, but inside a word
        ("ss", "ß", True),
        ("file", "ﬁle", True),  # the ligature folds
        ("covid疫苗", "COVID 疫苗", True),  # Chinese beside Latin: a space is nothing
        ("covid疫苗", "COVID疫苗", True),
        ("snake_case", "snake-case", True),  # the underscore is punctuation
        ("हिन्दी", "यह हिन्दी है", True),  # combining marks belong to their word
        ("हि", "यह हिन्दी है", False),
        ("2023年", "2023年的冬天", True),
        ("2023", "2023年", True),
        # Invisible characters are nothing: an ideographic variation sequence, a variation
        # selector, a bidi mark.
        ("葛城", "葛\U000e0100城の町", True),
        ("中国", "中\ufe00国", True),
        ("café", "Cafe\u0301", True),  # a letter and a combining mark: one letter
        ("cafe", "Cafe\u0301", False),
        ("trade market", "trade\u200e market", True),
    ],
)
def test_term_matches(term: str, text: str, expected: bool) -> None:
    assert reference(chain(term.strip('"')), text) is expected


def test_fold() -> None:
    assert fold("臺灣 ＡＢＣ Straße ﬁ") == "台湾 abc strasse fi"
    assert fold("a\u200bb\u00adc") == "abc"  # zero-width and soft hyphen dropped
    assert fold("a\ufe0fb\U000e0101c\u200ed\u2066e") == "abcde"  # selectors, bidi marks
    assert fold("a\u3000b\xa0c\u2028d") == "a b c\nd"
    assert fold("snake_case") == "snake-case"


def test_a_term_without_letters_has_no_chain() -> None:
    assert chain_of("!!! ，。") is None
    assert chain_of(" 中 ") == Chain(("中",), ())


def test_index_terms_hold_each_token_and_each_pair_with_what_joins_it() -> None:
    tokens, pairs = index_terms("武汉的病毒, COVID-19")
    assert tokens.split() == ["武", "汉", "的", "病", "毒", "covid", "19"]
    assert pairs.split() == [
        f"武{ADJACENT}汉",
        f"汉{ADJACENT}的",
        f"的{ADJACENT}病",
        f"病{ADJACENT}毒",
        f"毒{GAP}covid",
        f"covid{GAP}19",
    ]
    assert chain("的病毒").pairs == (f"的{ADJACENT}病", f"病{ADJACENT}毒")
    assert index_terms("") == ("", "")
    assert index_terms("一") == ("一", "")


def test_find_spans_are_offsets_into_the_text_as_written() -> None:
    text = "臺灣，台湾。Straße ß ﬁle"
    assert find_spans(chain("台湾"), text) == [(0, 2), (3, 5)]
    assert [text[s:e] for s, e in find_spans(chain("ss"), text)] == ["ß"]
    assert [text[s:e] for s, e in find_spans(chain("file"), text)] == ["ﬁle"]
    marked = "葛\U000e0100城"  # the selector is inside the match, as it is drawn
    assert find_spans(chain("葛城"), marked) == [(0, 3)]


def test_the_marks_class_holds_every_combining_mark() -> None:
    """`_marks` skips blocks without marks: what it lists is what a scan of all finds."""
    import re
    import unicodedata

    from tui.corpus.textmatch import _marks

    scanned = [c for c in range(0x300, 0x30000) if unicodedata.category(chr(c))[0] == "M"]
    listed = [c for c in range(0x300, 0x30000) if re.fullmatch(f"[{_marks()}]", chr(c))]
    assert listed == scanned


def test_a_lone_variation_selector_is_no_token() -> None:
    assert index_terms("☃\ufe0f snow") == ("snow", "")


PIECES = st.sampled_from(
    # Variation selectors (\ufe00, an ideographic variation sequence's \U000e0100) and a
    # bidi mark (\u200e) are invisible: between two characters they are nothing.
    [
        "中",
        "国",
        "臺",
        "台",
        "river",
        "ss",
        "ß",
        " ",
        "，",
        "\n\n",
        "-",
        "",
        "\ufe00",
        "\U000e0100",
        "\u200e",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=12).map("".join), st.lists(PIECES, max_size=4).map("".join))
def test_a_chain_matches_where_its_pairs_are_in_a_row(text: str, term: str) -> None:
    """The engine's rule (a one-token term is a token of the text, a longer one its pairs
    in a row) gives the reference's answer."""
    found = chain_of(term)
    if found is None:
        return
    tokens, pairs = index_terms(text)
    if len(found.tokens) == 1:
        by_engine = found.tokens[0] in tokens.split()
    else:
        listed = pairs.split()
        wanted = list(found.pairs)
        by_engine = any(
            listed[i : i + len(wanted)] == wanted for i in range(len(listed) - len(wanted) + 1)
        )
    assert by_engine is reference(found, text)
