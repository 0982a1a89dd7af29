"""The coloured-screen reader the ssh tests use to check how a highlight is drawn."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.ansi_screen import check, main, parse_screen

SCREEN = (
    "\x1b[97m\x1b[40m  \x1b[1;4m\x1b[30m\x1b[43mThe harbour was quiet."
    "\x1b[0m\x1b[97m\x1b[40m Boats.\n"
    "\x1b[38;5;253m\x1b[48;5;234mplain \x1b[7mreversed\x1b[27m text\x1b[0m\n"
)


def test_attributes_follow_the_sgr_sequences() -> None:
    """Bold, underline, reverse and 16/256-colour backgrounds are read per character."""
    lines = parse_screen(SCREEN)
    assert check(lines, "The harbour was quiet.", attrs=["underline", "bold", "bg"]) is None
    assert (
        check(lines, "Boats.", attrs=["underline"])
        == "'Boats.': 6 of 6 characters are not underline"
    )
    assert check(lines, "reversed", attrs=["reverse", "bg"]) is None
    assert check(lines, "text", attrs=["reverse"]) is not None
    assert check(lines, "The harbour", attrs=[], bg_differs_from="Boats.") is None
    assert check(lines, "missing", attrs=[]) == "'missing' is not on the screen"


def test_command_line_exit_status(tmp_path: Path) -> None:
    """0 when the text is drawn as asked, 1 otherwise."""
    screen = tmp_path / "screen.txt"
    screen.write_text(SCREEN, encoding="utf-8")
    assert main([str(screen), "The harbour was quiet.", "--attr", "underline"]) == 0
    assert main([str(screen), "Boats.", "--attr", "underline"]) == 1
