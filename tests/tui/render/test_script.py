"""Simplified and traditional Chinese in as many characters (tui/render/script.py)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from tui.render import build_document, script
from tui.render.layout import Layout
from tui.render.model import Block
from tui.render.script import (
    available,
    convert,
    convert_block,
    fold_script,
    next_script,
)


def test_opencc_is_available_here() -> None:
    assert available() is None


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        ("台湾的发展，后来的头发。", "traditional", "臺灣的發展，後來的頭髮。"),
        ("四十分钟的路，尽管千里。", "traditional", "四十分鐘的路，儘管千里。"),
        ("臺灣的發展，後來的頭髮。", "simplified", "台湾的发展，后来的头发。"),
        ("English stays, 中文 too", "traditional", "English stays, 中文 too"),
        ("台湾", None, "台湾"),
        ("", "traditional", ""),
    ],
)
def test_convert_by_phrases(text: str, target: str | None, expected: str) -> None:
    """By phrases: 头发 becomes 頭髮 and 分钟 分鐘 (character by character they were 頭發
    and 分鍾, and 千里 became 千裏)."""
    assert convert(text, target) == expected  # type: ignore[arg-type]


_CHINESE = st.text(
    alphabet=st.sampled_from(list("台湾臺灣发發后後里裏面麵干幹乾头頭髮着著了么麼。，！a1 ")),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(text=_CHINESE)
def test_conversions_and_the_fold_keep_every_character_in_place(text: str) -> None:
    for target in ("simplified", "traditional"):
        assert len(convert(text, target)) == len(text)
    folded = fold_script(text)
    assert len(folded) == len(text)
    assert fold_script(convert(text, "traditional")) == fold_script(folded)


def test_fold_brings_both_scripts_together() -> None:
    assert fold_script("臺灣") == fold_script("台湾") == "台湾"
    assert fold_script("發展 发展") == "发展 发展"
    assert fold_script("plain ascii") == "plain ascii"


def test_fold_takes_the_taiwan_and_hong_kong_variants_too() -> None:
    """The Taiwan standard writes 着 as 著, Hong Kong's 卫 as 衞: each folds as the
    character it stands for; 么 stays 么 (not the rare 幺 it may stand for)."""
    assert fold_script("隨著時間") == fold_script("随着时间") == "随着时间"
    assert fold_script("著名") == fold_script("着名")  # one character for search
    assert fold_script("衞生 敍述") == fold_script("卫生 叙述") == "卫生 叙述"
    assert fold_script("什麼 什么") == "什么 什么"
    assert fold_script("幺") == "幺"


class _Lengthening:
    """A converter whose output has another length (as a phrase dictionary may)."""

    def convert(self, text: str) -> str:
        return text.replace("台", "台台")


def test_a_conversion_that_changes_the_length_is_not_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    converters: dict[tuple[str, bool], object] = script._converters  # type: ignore[assignment]
    # The phrase conversion lengthens: the character one is used.
    monkeypatch.setitem(converters, ("traditional", True), _Lengthening())
    assert convert("台湾", "traditional") == "臺灣"
    # Both do: as written.
    monkeypatch.setitem(converters, ("traditional", False), _Lengthening())
    monkeypatch.setitem(converters, ("simplified", False), _Lengthening())
    assert convert("台湾", "traditional") == "台湾"
    block = Block("table", "台 | 湾", rows=(("台", "湾"),))
    assert convert_block(block, "traditional") is block
    # The fold falls back to one character at a time, keeping those that stay one.
    monkeypatch.setitem(script._folds, "fold", _Lengthening())
    assert fold_script("台湾") == "台湾"


class _Unavailable:
    def convert(self, text: str) -> str:
        raise script.ScriptUnavailable("no phrase dictionary here")


def test_without_the_phrase_conversion_characters_are_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    converters: dict[tuple[str, bool], object] = script._converters  # type: ignore[assignment]
    monkeypatch.setitem(converters, ("traditional", True), _Unavailable())
    assert convert("台湾的头发", "traditional") == "臺灣的頭發"


def test_preload_loads_every_conversion() -> None:
    script.preload()
    assert set(script._converters) == {
        (target, phrases) for target in ("simplified", "traditional") for phrases in (False, True)
    }


def test_a_block_converts_its_text_and_its_cells() -> None:
    block = Block("table", "台湾 | 发展\n后 | x", rows=(("台湾", "发展"), ("后", "x")))
    shown = convert_block(block, "traditional")
    assert shown == replace(block, text="臺灣 | 發展\n後 | x", rows=(("臺灣", "發展"), ("後", "x")))
    assert convert_block(block, None) is block


def test_layout_in_another_script_keeps_the_offsets() -> None:
    doc = build_document(
        '<p>台湾的<b>发展</b><a href="https://x.org">后来</a>。</p><p>第二段：头发。</p>'
    )
    plain = Layout(doc, 12)
    plain.complete()
    shown = Layout(doc, 12, script="traditional")
    shown.complete()
    converted = convert(doc.text, "traditional")
    assert plain.line_count == shown.line_count
    for i in range(shown.line_count):
        line = shown.line(i)
        assert line.offsets == plain.line(i).offsets
        for char, offset in zip(line.text.plain, line.offsets, strict=True):
            if offset >= 0:
                assert converted[offset] == char
    links = [shown.line(i).text.plain for i in range(shown.line_count)]
    assert "[1] 後來 —" in links  # the link list's label too


def test_next_script_cycles_through_the_three_choices() -> None:
    assert next_script(None) == "simplified"
    assert next_script("simplified") == "traditional"
    assert next_script("traditional") is None


def test_opencc_is_imported_only_when_a_conversion_is_asked_for() -> None:
    code = (
        "import sys, tui.render.script, tui.render.layout;"
        "assert 'opencc' not in sys.modules;"
        "from tui.render.script import fold_script; fold_script('臺灣');"
        "assert 'opencc' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
