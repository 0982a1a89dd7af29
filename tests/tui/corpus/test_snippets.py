"""The passage around a query's first match: its bounds, in characters or in cells."""

from __future__ import annotations

from rich.cells import cell_len, get_character_cell_size

from tui.corpus.query import parse_query
from tui.corpus.snippets import marked_passage, passage, snippet

CHINESE = "前面的话没有要找的词。" * 10 + "渔船回来了，码头上很热闹。" + "后面的话也很长。" * 10


def test_the_passage_keeps_to_the_paragraph_of_the_first_match() -> None:
    text = "first paragraph here\nsecond one with the ferry in it\nthird"
    start, end = passage(text, [(text.index("ferry"), text.index("ferry") + 5)], 100, 100) or (0, 0)
    assert text[start:end] == "second one with the ferry in it"


def test_the_passage_counts_characters_by_default() -> None:
    at = CHINESE.index("渔船")
    shown, spans = marked_passage(CHINESE, parse_query("渔船"), 40, 40) or ("", [])
    assert shown.startswith("…") and shown.endswith("…")
    assert len(shown) == 1 + 40 + 2 + 40 + 1
    assert [shown[s:e] for s, e in spans] == ["渔船"]
    assert CHINESE[at - 40 : at] in shown


def test_the_passage_can_count_cells() -> None:
    """A CJK character is two cells: 20 cells before the match are 10 characters."""
    shown, spans = marked_passage(
        CHINESE, parse_query("渔船"), 20, 30, char_width=get_character_cell_size
    ) or ("", [])
    ((start, end),) = spans
    assert cell_len(shown[1:start]) == 20
    assert cell_len(shown[end:-1]) == 30
    mixed = "word " * 30 + "渔船" + " 尾巴"
    shown, spans = marked_passage(
        mixed, parse_query("渔船"), 11, 10, char_width=get_character_cell_size
    ) or ("", [])
    assert shown == "… word word 渔船 尾巴"  # 11 cells before, the whole tail (5 cells)


def test_a_snippet_marks_every_match_in_the_passage() -> None:
    text = "The ferry left. Another FERRY came.\nA ferry in another paragraph."
    assert snippet(text, parse_query("ferry")) == "The [[ferry]] left. Another [[FERRY]] came."
    assert snippet(text, parse_query("quince")) is None
