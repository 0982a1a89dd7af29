"""Simplified and traditional Chinese, in the same number of characters (OpenCC, no Textual).

Archives mix simplified and traditional Chinese. The reader can show a post in either
script, and search folds the two together. Every offset into the canonical text
(highlights, the selection, the reading position, search matches) must keep pointing at
the same place, so a text is shown converted only when the conversion keeps its length.

Shown text goes through OpenCC's phrase conversions (``s2t``, ``t2s``: its phrase
dictionaries, then its character ones), which pick the character a word needs (头发 ->
頭髮, 分钟 -> 分鐘, where the character dictionary alone gives 頭發, 分鍾); when that
changes a text's length, the character dictionary alone is tried, and when that does
too, the text is shown as written. Search folds with character dictionaries only, one
for one, so a folded text always keeps its length: the Taiwan and Hong Kong standards'
variants to OpenCC's traditional characters (TWVariantsRev, HKVariantsRev: the Taiwan
standard's 隨著 becomes 隨着), then traditional to simplified (TSCharacters).

OpenCC is imported and its dictionaries are loaded on first use, not at import, so
``postil ls`` and the app's start pay nothing for it (README's Performance section has
the figures).
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, get_args, runtime_checkable

from tui.render.model import Block

Script = Literal["simplified", "traditional"]
"""A script to show Chinese text in; ``None`` where one is expected means as written."""

SCRIPTS: tuple[Script, ...] = get_args(Script)

_DICTIONARIES: dict[Script, str] = {
    "traditional": "STCharacters.ocd2",
    "simplified": "TSCharacters.ocd2",
}
"""The OpenCC character dictionary that converts into each script."""

_FOLD_CHAIN: tuple[str, ...] = ("TWVariantsRev.ocd2", "HKVariantsRev.ocd2", "TSCharacters.ocd2")
"""The character dictionaries search folds with, in turn (see the module's docstring)."""

_KEPT_IN_FOLD: frozenset[str] = frozenset("么")
"""Characters the fold leaves as written: TWVariantsRev takes every 么 for 幺 (OpenCC marks
that one ambiguous), and simplified text writes 么 in 什么 and 怎么."""

_PHRASE_CONFIGS: dict[Script, str] = {"traditional": "s2t", "simplified": "t2s"}
"""The OpenCC conversion (phrases, then characters) that shows text in each script."""


SCRIPT_NAMES: dict[Script | None, str] = {
    None: "as written",
    "simplified": "simplified characters",
    "traditional": "traditional characters",
}
"""How each choice is named to the user."""


@runtime_checkable
class ScriptSetting(Protocol):
    """Something that remembers the script to show Chinese in (the app does)."""

    script: Script | None


def next_script(script: Script | None) -> Script | None:
    """The choice after ``script``: as written, simplified, traditional, as written..."""
    order: list[Script | None] = [None, *SCRIPTS]
    return order[(order.index(script) + 1) % len(order)]


class ScriptUnavailable(Exception):
    """OpenCC or its dictionaries could not be loaded (the text is shown as written)."""


class _Converter(Protocol):
    def convert(self, text: str) -> str: ...


_converters: dict[tuple[Script, bool], _Converter] = {}
_locks = {(script, phrases): threading.Lock() for script in SCRIPTS for phrases in (False, True)}
"""One lock a converter: a thread loading one never holds up a thread that needs another."""
_folds: dict[str, _Converter] = {}
"""Search's fold converter (`_FOLD_CHAIN`), once loaded, under ``"fold"``."""
_fold_lock = threading.Lock()

K = TypeVar("K")


def _loaded_once(
    cache: dict[K, _Converter], key: K, lock: threading.Lock, load: Callable[[], _Converter]
) -> _Converter:
    """``cache[key]``, made with ``load()`` the first time (thread-safe)."""
    found = cache.get(key)
    if found is not None:
        return found
    with lock:
        if key not in cache:
            cache[key] = load()
        return cache[key]


def _converter(script: Script, *, phrases: bool = False) -> _Converter:
    """The OpenCC converter into ``script`` (``phrases``: the phrase conversion, else the
    character dictionary alone), loaded once."""
    return _loaded_once(
        _converters,
        (script, phrases),
        _locks[script, phrases],
        lambda: _load_phrases(script) if phrases else _load(_DICTIONARIES[script]),
    )


def _fold_converter() -> _Converter:
    """The converter search folds with (`_FOLD_CHAIN`), loaded once."""
    return _loaded_once(_folds, "fold", _fold_lock, lambda: _load(*_FOLD_CHAIN))


def _opencc() -> Any:
    """The opencc module (imported on first use), or ScriptUnavailable without it."""
    try:
        import opencc
    except ImportError as error:
        raise ScriptUnavailable(f"OpenCC is not installed ({error})") from error
    return opencc


def _load_phrases(script: Script) -> _Converter:
    """OpenCC's own phrase conversion into ``script`` (a config the package ships)."""
    opencc = _opencc()
    try:
        converter: _Converter = opencc.OpenCC(_PHRASE_CONFIGS[script])
    except Exception as error:  # the binding raises plain Exception subclasses
        name = _PHRASE_CONFIGS[script]
        raise ScriptUnavailable(f"OpenCC could not load its {name} conversion ({error})") from error
    return converter


def _load(*dictionaries: str) -> _Converter:
    """An OpenCC converter using character dictionaries of the opencc package in turn.

    OpenCC reads a conversion from a JSON config file and looks for its dictionaries
    beside that file; the package ships configs only for the phrase conversions, so a
    config naming the packaged dictionaries by their full paths is written to a
    temporary folder, read, and removed.
    """
    opencc = _opencc()
    shared = Path(opencc.__file__).parent / "clib" / "share" / "opencc"
    for dictionary in dictionaries:
        if not (shared / dictionary).is_file():
            raise ScriptUnavailable(f"OpenCC's dictionary {dictionary} is missing")
    config = {
        "name": f"postil: {', '.join(dictionaries)}",
        "conversion_chain": [
            {"dict": {"type": "ocd2", "file": str(shared / dictionary)}}
            for dictionary in dictionaries
        ],
    }
    with tempfile.TemporaryDirectory(prefix="postil-opencc-") as folder:
        file = Path(folder) / "characters.json"
        file.write_text(json.dumps(config), encoding="utf-8")
        try:
            converter: _Converter = opencc.OpenCC(str(file))
        except Exception as error:  # the binding raises plain Exception subclasses
            names = ", ".join(dictionaries)
            raise ScriptUnavailable(f"OpenCC could not load {names} ({error})") from error
    return converter


def available() -> str | None:
    """Why script conversion cannot work here (one sentence), or None when it can."""
    try:
        for script in SCRIPTS:
            _converter(script)
    except ScriptUnavailable as error:
        return f"Chinese script conversion is unavailable: {error}."
    return None


def convert(text: str, script: Script | None) -> str:
    """``text`` in ``script`` in as many characters: by phrases, else character by
    character; as written when both would change its length, when ``script`` is None,
    or when OpenCC is unavailable."""
    if script is None or text.isascii():
        return text
    for phrases in (True, False):
        try:
            converted = _converter(script, phrases=phrases).convert(text)
        except ScriptUnavailable:
            continue
        if len(converted) == len(text):
            return converted
    return text


def preload() -> None:
    """Load every conversion now (in a thread: the phrase dictionary into traditional
    takes ~50 ms to load, a pause the first conversion would otherwise make on the
    event loop); what cannot be loaded is left to `convert`'s fallbacks."""
    for script in SCRIPTS:
        for phrases in (False, True):
            try:
                _converter(script, phrases=phrases)
            except ScriptUnavailable:
                pass


def convert_block(block: Block, script: Script | None) -> Block:
    """A block shown in ``script``: its text (and table cells) converted, or the block as
    written when any part's conversion would change a length."""
    if script is None or block.text.isascii():
        return block
    text = convert(block.text, script)
    if text == block.text:
        return block
    rows = tuple(tuple(convert(cell, script) for cell in row) for row in block.rows)
    if any(
        len(cell) != len(original)
        for row, old in zip(rows, block.rows, strict=True)
        for cell, original in zip(row, old, strict=True)
    ):
        return block
    return replace(block, text=text, rows=rows)


def fold_script(text: str) -> str:
    """Traditional characters (and the Taiwan and Hong Kong standards' variants) folded
    to simplified, one for one (for search; see the module's docstring).

    The result always has the length of ``text``: a character whose conversion is not
    one character stays as written, as do `_KEPT_IN_FOLD`. Text without Chinese is
    returned as is.
    """
    if text.isascii():
        return text
    try:
        converter = _fold_converter()
    except ScriptUnavailable:
        return text
    folded = converter.convert(text)
    if len(folded) == len(text) and _KEPT_IN_FOLD.isdisjoint(text):
        return folded
    single = (char if char in _KEPT_IN_FOLD else converter.convert(char) for char in text)
    return "".join(new if len(new) == 1 else old for old, new in zip(text, single, strict=True))
