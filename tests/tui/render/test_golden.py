"""Golden tests: the block list and ``show --plain`` output of every render fixture."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.tui.render.golden import FIXTURES, check_golden, dump_blocks, fixture_names
from tui.cli import main
from tui.corpus.files import read_body
from tui.render import build_document


@pytest.mark.parametrize("name", fixture_names())
def test_blocks_golden(name: str) -> None:
    doc = build_document(read_body(FIXTURES / f"{name}.md"))
    check_golden(f"{name}.blocks.jsonl", dump_blocks(doc))


@pytest.mark.parametrize("name", fixture_names())
def test_show_plain_golden(name: str) -> None:
    path = FIXTURES / f"{name}.md"
    result = CliRunner().invoke(main, ["show", "--plain", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == build_document(read_body(path)).text + "\n"
    check_golden(f"{name}.plain.txt", result.output)


@pytest.mark.parametrize("name", fixture_names())
def test_show_styled_golden(name: str) -> None:
    """The formatted (piped, so unstyled) output at width 60, header and link list included."""
    path = FIXTURES / f"{name}.md"
    result = CliRunner().invoke(main, ["show", "--width", "60", str(path)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    check_golden(f"{name}.w60.txt", result.output)
