"""postil over a real ssh connection: annotate, terminals, dropped links, two logins.

Each test starts its own sshd on loopback through ``../shared/tools/ssh-tui-check``,
runs ``python -m tui`` there inside a sandbox under ``tmp_path`` (corpus, store, XDG
folders) and plays keys as a person would, then checks the store with
``postil notes --json``. Skipped, with the reason, when the tool, tmux or OpenSSH is
missing.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.sshtui import (
    CJK_TITLE,
    FIRST_SENTENCE,
    OTHER_TITLE,
    POST_COUNT,
    SECOND_SENTENCE,
    TARGET_TITLE,
    Sandbox,
    assert_passed,
    finish,
    require_ssh,
    run_check,
    screen_check,
    start_check,
    wait_for_file_step,
)

pytestmark = [pytest.mark.e2e]

NOTE_TEXT = "typed over ssh"
SOURCE_URL = "https://example.org/harbour-lights.htm"
FILTERED = f"1 of {POST_COUNT} posts"


@pytest.fixture(autouse=True)
def _needs_ssh() -> None:
    require_ssh()


def open_target_post() -> list[str]:
    """From a fresh start: filter by tag, check the list, open the post."""
    return [
        f"expect {TARGET_TITLE}",
        f"expect {OTHER_TITLE}",
        f"expect {POST_COUNT} posts",
        "send /",
        # The footer changes once the filter bar has the focus: type only then.
        "expect Back to list",
        "type tag:sea",
        "send Enter",
        f"expect {FILTERED}",
        f"expect-not {OTHER_TITLE}",
        "send Enter",
        f"expect {FIRST_SENTENCE}",
    ]


def highlight_and_note(note: str = NOTE_TEXT, save_key: str = "C-s") -> list[str]:
    """In the reader: highlight the first sentence, then note the second one."""
    return [
        "send v",
        "send h",
        # The current highlight's line at the bottom: the highlight is saved.
        "expect highlight · yellow",
        "send v Down",
        "send n",
        "expect ctrl+s",
        f"type {note}",
        f"expect {note}",
        # ctrl+s reaches the app through tmux and ssh: raw mode turns IXON off.
        f"send {save_key}",
        # The editor closes and the reader shows the saved note of the current highlight.
        "expect-not ctrl+s",
        f"expect {note}",
    ]


def assert_two_annotations(sandbox: Sandbox, note: str = NOTE_TEXT) -> None:
    """The store holds the plain highlight and the noted one, both anchored."""
    notes = sandbox.notes()
    by_quote = {n["target"]["exact"]: n for n in notes}
    assert set(by_quote) == {FIRST_SENTENCE, SECOND_SENTENCE}, notes
    assert by_quote[FIRST_SENTENCE]["note"] == ""
    assert by_quote[SECOND_SENTENCE]["note"] == note
    assert all(n["anchor"]["status"] == "anchored" for n in notes)
    assert {n["post"]["title"] for n in notes} == {TARGET_TITLE}


@dataclass(frozen=True)
class Variant:
    """One terminal the annotate flow runs on."""

    size: str
    term: str
    lang: str
    env: dict[str, str]
    attrs: tuple[str, ...]
    """How the highlight must be drawn (see tests.e2e.ansi_screen)."""


VARIANTS: dict[str, Variant] = {
    # DISPLAY is set so that only SSH_CONNECTION keeps `o` from starting a browser.
    "100x30": Variant(
        "100x30", "xterm-256color", "C.UTF-8", {"DISPLAY": ":0"}, ("underline", "bg")
    ),
    # 80x24 and TERM=linux in one run (16 colours; the 80x24 xterm case is the second
    # login of test_two_sessions_annotate_the_same_post).
    "80x24,TERM=linux,LANG=C": Variant("80x24", "linux", "C", {}, ("underline", "bg")),
    "NO_COLOR,TERM=screen": Variant(
        "100x30", "screen", "C.UTF-8", {"NO_COLOR": "1"}, ("underline",)
    ),
}


def annotate_steps(variant: Variant) -> list[str]:
    """Filter, open, highlight and note, check the paint and `o`, go back, quit."""
    attr_args = [arg for attr in variant.attrs for arg in ("--attr", attr)]
    return [
        *open_target_post(),
        *highlight_and_note(),
        # The highlight stays visible: underlined (and tinted when there are colours).
        screen_check(FIRST_SENTENCE, *attr_args),
        # Over ssh, `o` shows and copies the link instead of starting a browser.
        "send o",
        f"expect {SOURCE_URL}",
        f"expect-clipboard {SOURCE_URL}",
        "send Escape",
        f"expect {FILTERED}",
        "send q",
        "wait-exit 0",
    ]


@pytest.fixture(scope="module")
def annotate_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, tuple[subprocess.Popen[str], Sandbox]]]:
    """Start every variant at once (each with its own sshd and sandbox).

    The runs mostly wait on the app and the screen, so side by side they take little
    longer than one; each test below then collects its own.
    """
    require_ssh()
    runs = {}
    for name, variant in VARIANTS.items():
        folder = tmp_path_factory.mktemp("annotate")
        sandbox = Sandbox(folder / "user")
        process = start_check(
            annotate_steps(variant),
            sandbox.remote_command(),
            steps_file=folder / "steps.txt",
            size=variant.size,
            term=variant.term,
            lang=variant.lang,
            env=variant.env,
            timeout=20,
        )
        runs[name] = (process, sandbox)
    yield runs
    for process, _ in runs.values():
        if process.poll() is None:
            finish(process)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_annotate_over_ssh(
    annotate_runs: dict[str, tuple[subprocess.Popen[str], Sandbox]], name: str
) -> None:
    """Filter, open, highlight and note by keyboard, check the paint, quit, find the note."""
    process, sandbox = annotate_runs[name]
    assert_passed(finish(process))
    assert_two_annotations(sandbox)


def test_small_plain_terminal_and_tmux_keys(tmp_path: Path) -> None:
    """60x20, TERM=vt100, no LANG: CJK still drawn; shift+arrows, J/L, alt+s and F2 reach
    the app through tmux and ssh; a resize (SIGWINCH over ssh) brings the sidebar back."""
    sandbox = Sandbox(tmp_path / "user")
    steps = [
        f"expect {CJK_TITLE}",
        *open_target_post(),
        # shift+down / shift+right extend by a sentence / a word; J / L are the same.
        "send v S-Down S-Right",
        "send h",
        "expect highlight · yellow",
        # Another passage (the same one again would only make the first current).
        "send v Down J L",
        "send n",
        "expect ctrl+s",
        "type first",
        "expect first",
        "send M-s",
        "expect-not ctrl+s",
        # `e` edits the *current* highlight, which becomes the new one only once its save
        # returns; the status bar says so. A person waits for it, and so does this test.
        "expect ✎ first",
        "send e",
        "expect ctrl+s",
        "send End Space",
        "type edited",
        "expect first edited",
        "send F2",
        "expect-not ctrl+s",
        "send Escape",
        f"expect {FILTERED}",
        "resize 120x30",
        "expect Authors",
        "send q",
        "wait-exit 0",
    ]
    result = run_check(
        steps,
        sandbox.remote_command(),
        steps_file=tmp_path / "steps.txt",
        size="60x20",
        term="vt100",
        lang="",
    )
    assert_passed(result)
    notes = {n["note"]: n["target"]["exact"] for n in sandbox.notes()}
    assert notes[""] == f"{FIRST_SENTENCE} {SECOND_SENTENCE} A"
    assert "first edited" in notes
    assert len(notes["first edited"].split()) > 1, "J and L grew the selection"


def test_dropped_connection_keeps_the_draft(tmp_path: Path) -> None:
    """A connection dropped while typing leaves the draft, offered by the next session."""
    sandbox = Sandbox(tmp_path / "user")
    typing = [
        *open_target_post(),
        "send v",
        "send n",
        "expect ctrl+s",
        "type half a thought",
        "expect half a thought",
        "disconnect",
        # SIGHUP: the draft is written and the app gone within a second (0.5 s measured
        # here, sshd's own exit included); the timeout leaves room for a loaded machine.
        "timeout 2",
        "expect-remote-gone",
    ]
    first = run_check(typing, sandbox.remote_command(), steps_file=tmp_path / "drop.txt")
    assert_passed(first)
    assert "half a thought" in sandbox.drafts_file.read_text(encoding="utf-8")

    again = [
        f"expect {TARGET_TITLE}",
        # The next start offers the draft back; Enter takes the offer.
        "expect unsaved note",
        "sleep 0.6",  # keys typed sooner are taken as typed for the list (UnaskedDialog)
        "send Enter",
        "expect half a thought",
        "send C-s",
        "expect-not ctrl+s",
        "send Escape",
        f"expect {POST_COUNT} posts",
        "send q",
        "wait-exit 0",
    ]
    second = run_check(again, sandbox.remote_command(), steps_file=tmp_path / "again.txt")
    assert_passed(second)
    notes = sandbox.notes()
    assert [n["note"] for n in notes] == ["half a thought"]
    assert notes[0]["target"]["exact"] == FIRST_SENTENCE


def test_two_sessions_annotate_the_same_post(tmp_path: Path) -> None:
    """Two logins of one user annotate one post; each sees the other's work on reopening."""
    sandbox = Sandbox(tmp_path / "user")
    flags = {name: tmp_path / f"{name}.done" for name in ("a", "b")}

    def session(me: str, other: str, select: list[str], mine: str, theirs: str) -> list[str]:
        return [
            *open_target_post(),
            *select,
            "send h",
            "expect highlight · yellow",
            screen_check(mine, "--attr", "underline"),
            "send Escape",
            f"expect {FILTERED}",
            f"run touch {flags[me]}",
            wait_for_file_step(flags[other]),
            # Reopen: the other session's highlight is read from the store.
            "send Enter",
            f"expect {theirs}",
            "send ]",
            "expect highlight · yellow",
            screen_check(theirs, "--attr", "underline"),
            screen_check(mine, "--attr", "underline"),
            "send Escape",
            f"expect {FILTERED}",
            "send q",
            "wait-exit 0",
        ]

    a = start_check(
        session("a", "b", ["send v"], FIRST_SENTENCE, SECOND_SENTENCE),
        sandbox.remote_command(),
        steps_file=tmp_path / "a.txt",
        timeout=20,
    )
    b = start_check(
        session("b", "a", ["send v Down"], SECOND_SENTENCE, FIRST_SENTENCE),
        sandbox.remote_command(),
        steps_file=tmp_path / "b.txt",
        size="80x24",
        term="xterm",
        timeout=20,
    )
    result_a, result_b = finish(a), finish(b)
    assert_passed(result_a)
    assert_passed(result_b)
    quotes = sorted(n["target"]["exact"] for n in sandbox.notes())
    assert quotes == sorted([FIRST_SENTENCE, SECOND_SENTENCE])


def test_sigterm_saves_the_draft_and_restores_the_terminal(tmp_path: Path) -> None:
    """SIGTERM (a server shutting down) while a note is typed: the draft is on disk, the
    terminal leaves the app's screen, and the session ends within a second or two."""
    sandbox = Sandbox(tmp_path / "user")
    # Only the app's own command line starts with the interpreter; the local ssh
    # client's starts with "ssh", so it is never matched.
    pattern = shlex.quote(f"^{re.escape(sys.executable)} -m tui open -- {sandbox.corpus}$")
    steps = [
        *open_target_post(),
        "send v",
        "send n",
        "expect ctrl+s",
        "type cut short",
        "expect cut short",
        f"run pkill -TERM -f {pattern}",
        "timeout 2",
        "wait-exit",
        # Out of the alternate screen: the app's text is gone from the terminal.
        "expect-not cut short",
        f"expect-not {TARGET_TITLE}",
    ]
    result = run_check(steps, sandbox.remote_command(), steps_file=tmp_path / "steps.txt")
    assert_passed(result)
    assert "cut short" in sandbox.drafts_file.read_text(encoding="utf-8")
