"""Interim: character-level traditional -> simplified folding (the render branch owns this)."""

from __future__ import annotations

from functools import cache


@cache
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


@cache
def _char(char: str) -> str:
    if char < "\u2e80":
        return char
    out = _t2s().convert(char)
    return out if len(out) == 1 else char


def fold_script(text: str) -> str:
    """``text`` with each traditional character replaced by its simplified one."""
    return "".join(map(_char, text))
