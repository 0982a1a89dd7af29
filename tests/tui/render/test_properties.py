"""Canonical-text invariants, checked on generated bodies (HTML, Markdown, raw bytes)."""

from __future__ import annotations

import io
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from tests.tui.render.strategies import BODIES, MARKDOWN_BODIES
from tui.render import Document, build_document
from tui.render.console import render_console
from tui.render.layout import Layout

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_layout(doc: Document, width: int) -> None:
    """Every displayed character with an offset shows that canonical character, offsets
    rise, no line is wider than ``width``, and each block's offsets cover all of its
    text except whitespace at wrap points (tables: except the " | " joins too)."""
    layout = Layout(doc, width)
    layout.complete()
    text = doc.text
    seen: dict[int, list[int]] = {}
    last = -1
    for i in range(layout.line_count):
        line = layout.line(i)
        assert cell_len(line.text.plain) <= width, (width, line.text.plain)
        assert len(line.offsets) == len(line.text.plain)
        for char, offset in zip(line.text.plain, line.offsets, strict=True):
            if offset < 0:
                continue
            assert text[offset] == char
            if doc.blocks[line.block].kind != "table":  # table cells wrap side by side
                assert offset > last
                last = offset
            seen.setdefault(line.block, []).append(offset)
    for index, block in enumerate(doc.blocks):
        shown = set(seen.get(index, []))
        for k in range(block.start, block.end):
            if k in shown:
                continue
            assert text[k].isspace() or (block.kind == "table" and text[k] == "|"), (
                block.kind,
                repr(text[k]),
            )


@SETTINGS
@given(body=st.one_of(BODIES, MARKDOWN_BODIES), width=st.integers(20, 200))
def test_layout_covers_canonical_text_at_any_width(body: str, width: int) -> None:
    doc = build_document(body)
    _check_layout(doc, width)
    assert build_document(body).text == doc.text  # deterministic


@SETTINGS
@given(body=BODIES)
def test_same_text_at_every_width(body: str) -> None:
    doc = build_document(body)
    text = doc.text
    for width in (20, 37, 80, 133, 200):
        _check_layout(doc, width)
        assert doc.text == text


@SETTINGS
@given(body=st.one_of(BODIES, MARKDOWN_BODIES), data=st.data())
def test_offsets_map_to_blocks_and_back(body: str, data: st.DataObject) -> None:
    doc = build_document(body)
    text = doc.text
    for block in doc.blocks:
        assert text[block.start : block.end] == block.text
    if not text:
        return
    offset = data.draw(st.integers(0, len(text) - 1))
    index, inside = doc.locate(offset)
    block = doc.blocks[index]
    assert doc.block_at(offset) == index
    if block.start <= offset < block.end:
        assert inside == offset - block.start
        assert doc.offset_of(index, inside) == offset
    else:  # in the blank line after the block
        assert text[offset] == "\n" and offset >= block.end


@SETTINGS
@given(raw=st.binary(max_size=400))
def test_no_control_character_survives_any_bytes(raw: bytes) -> None:
    for body in (
        raw.decode("latin-1"),
        raw.decode("utf-8", "replace"),
        "<p>" + raw.decode("latin-1"),
    ):
        doc = build_document(body)
        assert not CONTROL.search(doc.text)
        for line in Layout(doc, 40).lines():
            assert not CONTROL.search(line.text.plain)


@SETTINGS
@given(body=BODIES)
def test_no_control_character_in_generated_bodies(body: str) -> None:
    doc = build_document(body + "&#27;[31m&#x9b;&#7;")
    assert not CONTROL.search(doc.text)
    console = Console(width=60, file=_Sink(), force_terminal=False)
    render_console(doc, console, 60)


class _Sink(io.StringIO):
    """A file that keeps what was written (``data`` as a list for old callers)."""

    @property
    def data(self) -> list[str]:
        return [self.getvalue()]


def test_brackets_come_out_literally_plain_and_styled() -> None:
    doc = build_document("<p>[red]alarm[/red] and [bold link=x]b[/]</p>")
    assert doc.text == "[red]alarm[/red] and [bold link=x]b[/]"
    sink = _Sink()
    console = Console(width=80, file=sink, force_terminal=True, color_system="truecolor")
    render_console(doc, console, 80)
    out = "".join(sink.data)
    assert "[red]alarm[/red]" in out and "[bold link=x]b[/]" in out
    assert "\x1b[31m" not in out  # nothing turned red
