"""Simplified and traditional Chinese, character for character (OpenCC, no Textual).

Archives mix simplified and traditional Chinese. The reader can show a post in either
script, and search folds the two together. Both use OpenCC's *character* dictionaries
only (STCharacters for simplified -> traditional, TSCharacters for the other way), never
its phrase dictionaries: a phrase conversion may change a text's length (or map one
character differently by context), and every offset into the canonical text (highlights,
the selection, the reading position, search matches) must keep pointing at the same
character. So a conversion is accepted only when it keeps the length; a block whose
conversion would not is shown as written.

OpenCC is imported and its two dictionaries are loaded on first use, not at import, so
``postil ls`` and the app's start pay nothing for it (README's Performance section has
the figures).
"""

from __future__ import annotations

import json
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Literal, Protocol, get_args, runtime_checkable

from tui.render.model import Block

Script = Literal["simplified", "traditional"]
"""A script to show Chinese text in; ``None`` where one is expected means as written."""

SCRIPTS: tuple[Script, ...] = get_args(Script)

_DICTIONARIES: dict[Script, str] = {
    "traditional": "STCharacters.ocd2",
    "simplified": "TSCharacters.ocd2",
}
"""The OpenCC character dictionary that converts into each script."""


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


_converters: dict[Script, _Converter] = {}
_lock = threading.Lock()


def _converter(script: Script) -> _Converter:
    """The OpenCC converter into ``script``, loaded once (thread-safe)."""
    found = _converters.get(script)
    if found is not None:
        return found
    with _lock:
        if script not in _converters:
            _converters[script] = _load(_DICTIONARIES[script])
        return _converters[script]


def _load(dictionary: str) -> _Converter:
    """An OpenCC converter using one character dictionary of the opencc package.

    OpenCC reads a conversion from a JSON config file and looks for its dictionaries
    beside that file; the package ships configs only for the phrase conversions, so a
    one-dictionary config naming the packaged dictionary by its full path is written
    to a temporary folder, read, and removed.
    """
    try:
        import opencc
    except ImportError as error:
        raise ScriptUnavailable(f"OpenCC is not installed ({error})") from error
    path = Path(opencc.__file__).parent / "clib" / "share" / "opencc" / dictionary
    if not path.is_file():
        raise ScriptUnavailable(f"OpenCC's dictionary {dictionary} is missing")
    config = {
        "name": f"postil: {dictionary} only",
        "conversion_chain": [{"dict": {"type": "ocd2", "file": str(path)}}],
    }
    with tempfile.TemporaryDirectory(prefix="postil-opencc-") as folder:
        file = Path(folder) / "characters.json"
        file.write_text(json.dumps(config), encoding="utf-8")
        try:
            converter: _Converter = opencc.OpenCC(str(file))
        except Exception as error:  # the binding raises plain Exception subclasses
            raise ScriptUnavailable(f"OpenCC could not load {dictionary} ({error})") from error
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
    """``text`` in ``script``, character for character; as written when the conversion
    would change its length, when ``script`` is None, or when OpenCC is unavailable."""
    if script is None or text.isascii():
        return text
    try:
        converted = _converter(script).convert(text)
    except ScriptUnavailable:
        return text
    return converted if len(converted) == len(text) else text


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
    """Traditional characters folded to simplified, one for one (for search).

    The result always has the length of ``text``: a character whose conversion is not
    one character stays as written. Text without Chinese is returned as is.
    """
    if text.isascii():
        return text
    try:
        converter = _converter("simplified")
    except ScriptUnavailable:
        return text
    folded = converter.convert(text)
    if len(folded) == len(text):
        return folded
    single = (converter.convert(char) for char in text)
    return "".join(new if len(new) == 1 else old for old, new in zip(text, single, strict=True))
