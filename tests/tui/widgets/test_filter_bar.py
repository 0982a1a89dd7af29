"""FilterBar helpers: completion of ``key:value`` terms, quoting of facet terms, history file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tui.widgets.facet_sidebar import facet_term, quote_value
from tui.widgets.filter_bar import (
    HISTORY_LIMIT,
    QuerySuggester,
    history_path,
    load_history,
    save_history,
)

VALUES = {
    "tag": ["nature", "news", '"open source"', "城市"],
    "author": ['"Grace Hopper"', '"Ada Lovelace"'],
}


def completer(key: str, prefix: str) -> Sequence[str]:
    """A stand-in for ``complete_values`` bound to an index."""
    folded = prefix.casefold()
    return [v for v in VALUES.get(key.casefold(), []) if folded in v.strip('"').casefold()]


def suggester() -> QuerySuggester:
    result = QuerySuggester()
    result.completer = completer
    return result


def test_completes_the_last_term_as_the_corpus_spells_it() -> None:
    s = suggester()
    assert s.complete("tag:na") == "tag:nature"
    assert s.complete("IS:unread tag:Ne") == "IS:unread tag:news"  # the other terms as typed
    assert s.complete("tag:城") == "tag:城市"


def test_values_with_spaces_are_quoted() -> None:
    s = suggester()
    assert s.complete("author:gr") == 'author:"Grace Hopper"'
    assert s.complete('author:"ad') == 'author:"Ada Lovelace"'
    assert s.complete("tag:op") == 'tag:"open source"'


def test_no_suggestion_without_a_value_or_a_match() -> None:
    s = suggester()
    assert s.complete("tag:") is None
    assert s.complete("river") is None
    assert s.complete("tag:zzz") is None
    assert s.complete("tag:nature") is None  # already complete
    assert QuerySuggester().complete("tag:na") is None  # no corpus yet


def test_cjk_and_negated_terms_complete() -> None:
    s = suggester()
    assert s.complete("-tag:城") == "-tag:城市"


def test_facet_terms_quote_when_needed() -> None:
    assert facet_term("tag", "nature") == "tag:nature"
    assert facet_term("tag", "open source") == 'tag:"open source"'
    assert facet_term("author", 'The "Doc"') == 'author:"The Doc"'
    assert facet_term("cat", "a,b") == 'cat:"a,b"'
    assert quote_value("") == '""'


def test_history_round_trip_and_limit(tmp_path: Path) -> None:
    assert load_history() == []
    save_history([f"q{i}" for i in range(HISTORY_LIMIT + 5)])
    history = load_history()
    assert len(history) == HISTORY_LIMIT and history[-1] == f"q{HISTORY_LIMIT + 4}"
    assert (history_path().stat().st_mode & 0o777) == 0o600


def test_broken_history_reads_as_empty() -> None:
    history_path().parent.mkdir(parents=True, exist_ok=True)
    history_path().write_text("{oops", encoding="utf-8")
    assert load_history() == []
    history_path().write_text('["ok", 3, null]', encoding="utf-8")
    assert load_history() == ["ok"]
