"""The real ``postil`` command in tmux: filter, open, highlight, note, quit, then check the store.

Drives the installed entry point (``.venv/bin/postil``, else ``python -m tui``) in a private
tmux server with a temporary store, XDG folders in tmp and a copy of sample_posts/ plus one
post of our own (so the filter and the sentences are known), then reads the store back
through ``postil notes --json``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, SAMPLE_POSTS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

MARKER_POST = """---
layout: post
title: "End to end river"
date: 2001-01-01T00:00:00.000Z
author: Test Harness
from: https://example.com/e2e/river.htm
tags: [e2e-marker]
---
<p>The river is dark at night. Lights move on the water. Nobody speaks on the bridge.</p>
<p>Later the rain comes. It washes the streets clean.</p>
"""
"""A post only this test has: a unique tag to filter on and three known sentences."""

TIMEOUT = 20.0
"""Seconds to wait for a screen or the store to reach the expected state."""


def postil_command() -> list[str]:
    """The real command: the venv's entry point, else the module."""
    entry = ROOT / ".venv" / "bin" / "postil"
    return [str(entry)] if entry.exists() else [sys.executable, "-m", "tui"]


class Tmux:
    """A private tmux server running one session."""

    def __init__(self, socket: str, env: dict[str, str]) -> None:
        self.socket = socket
        self.env = env

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=10,
            check=False,
        )
        return result.stdout

    def keys(self, *keys: str) -> None:
        """Send tmux key names (``Enter``, ``C-s``, ``Down``, ``v``)."""
        for key in keys:
            self.run("send-keys", "-t", "e2e", key)
            time.sleep(0.15)

    def type(self, text: str) -> None:
        """Type ``text`` literally."""
        self.run("send-keys", "-t", "e2e", "-l", text)
        time.sleep(0.2)

    def burst(self, *keys: str) -> None:
        """Send tmux key names and text in one go, as a fast typist's keys reach the app
        over a slow link: in one read."""
        self.run("send-keys", "-t", "e2e", *keys)
        time.sleep(0.2)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "e2e")

    def wait_for(self, text: str) -> str:
        """Wait until ``text`` is on screen; fail with the screen shown."""
        wait_until(lambda: text in self.screen(), f"{text!r} on screen", self.screen)
        return self.screen()

    def alive(self) -> bool:
        return "e2e" in self.run("list-sessions", "-F", "#{session_name}")


def wait_until(check: Callable[[], Any], what: str, show: Callable[[], str] | None = None) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    detail = f"\n{show()}" if show else ""
    raise AssertionError(f"timed out waiting for {what}{detail}")


@pytest.fixture
def e2e_env(tmp_path: Path) -> dict[str, str]:
    """Environment for postil: store, XDG folders and HOME in tmp."""
    env = dict(os.environ)
    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        env[var] = str(tmp_path / var.lower())
    env["POSTIL_STORE"] = str(tmp_path / "store" / "annotations.json")
    env["HOME"] = str(tmp_path / "home")
    env["TERM"] = "xterm-256color"
    env.pop("POSTIL_CORPUS", None)
    env.pop("TMUX", None)
    return env


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of sample_posts/ plus the marker post."""
    target = tmp_path / "corpus"
    if SAMPLE_POSTS.is_dir():
        shutil.copytree(SAMPLE_POSTS, target)
    target.mkdir(exist_ok=True)
    (target / "2001-01-01-e2e-river.md").write_text(MARKER_POST, encoding="utf-8")
    return target


@contextmanager
def postil_in_tmux(
    env: dict[str, str], name: str, corpus: Path, size: tuple[int, int], *, shell: bool = False
) -> Iterator[Tmux]:
    """A private tmux server (named after ``name``) running ``postil CORPUS`` at
    ``size`` (typed in an interactive shell, with its job control, if ``shell``); killed
    afterwards."""
    server = Tmux(f"postil-{name}-{os.getpid()}", env)
    command = " ".join(f"'{part}'" for part in [*postil_command(), str(corpus)])
    width, height = size
    session = "bash --norc --noprofile -i" if shell else command
    server.run(
        "-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", str(width), "-y", str(height),
        session,
    )  # fmt: skip
    if shell:
        server.type(command)
        server.keys("Enter")
    try:
        yield server
    finally:
        server.run("kill-server")


@pytest.fixture
def tmux(e2e_env: dict[str, str], tmp_path: Path, corpus: Path) -> Iterator[Tmux]:
    """A tmux server running ``postil CORPUS`` at 120x40; killed afterwards."""
    with postil_in_tmux(e2e_env, f"e2e-{tmp_path.name}", corpus, (120, 40)) as server:
        yield server


def notes(env: dict[str, str]) -> list[dict[str, Any]]:
    """The store as ``postil notes --json`` prints it."""
    result = subprocess.run(
        [*postil_command(), "notes", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=True,
    )
    docs: list[dict[str, Any]] = json.loads(result.stdout)
    return docs


def test_filter_open_highlight_note_quit(tmux: Tmux, e2e_env: dict[str, str]) -> None:
    tmux.wait_for("posts ·")
    tmux.keys("/")
    # Type only once the bar has focus (its footer says so): on a busy machine, keys sent
    # before that are read by the list instead.
    tmux.wait_for("Back to list")
    tmux.burst("tag:e2e-markex", "BSpace", "r")  # a typo mended as fast as it was made
    tmux.wait_for("tag:e2e-marker")
    tmux.keys("Enter")
    tmux.wait_for("1 of ")
    tmux.keys("Enter")
    tmux.wait_for("Lights move on the water.")

    tmux.keys("v", "h")
    first = wait_until(lambda: notes(e2e_env), "the highlight in the store", tmux.screen)
    assert [doc["target"]["exact"] for doc in first] == ["The river is dark at night."]
    # A find typed in one go: its letters are the find's, not the reader's keys (`d`
    # asked to delete the current highlight and `y` said yes).
    tmux.burst("/daily", "Enter")
    tmux.wait_for("Not found")
    assert len(notes(e2e_env)) == 1

    tmux.keys("v", "Down", "n")
    tmux.wait_for("> Lights move on the water.")  # the note editor quotes the selection
    tmux.burst("lights", "Home", "wet ")
    tmux.wait_for("wet lights")
    tmux.keys("C-s")
    docs = wait_until(
        lambda: [d for d in notes(e2e_env) if d["note"]], "the note in the store", tmux.screen
    )
    assert docs[0]["target"]["exact"] == "Lights move on the water."
    assert docs[0]["note"] == "wet lights"

    tmux.keys("Escape")
    tmux.wait_for("posts ·")
    tmux.keys("q")
    wait_until(lambda: not tmux.alive(), "postil to quit", tmux.screen)

    final = notes(e2e_env)
    assert len(final) == 2
    assert {doc["post"]["title"] for doc in final} == {"End to end river"}
    assert all(doc["anchor"]["status"] == "anchored" for doc in final)
    by_quote = {doc["target"]["exact"]: doc for doc in final}
    assert by_quote["The river is dark at night."]["note"] == ""
    assert by_quote["Lights move on the water."]["note"] == "wet lights"


LONG_POST = (
    """---
title: "A long walk by the water"
date: 2001-02-02T00:00:00.000Z
author: Test Harness
from: https://example.com/e2e/long-walk.htm
---
"""
    + "".join(f"<p>Paragraph {n} of the walk, with nothing to find in it.</p>\n" for n in range(80))
    + "<p>At the end of the path stood a quince tree called Zephyrine.</p>\n"
)
"""A post whose one rare word is far below its first screen, and only in its text."""


def test_a_body_word_finds_its_post_and_opens_it_at_the_match(
    e2e_env: dict[str, str], tmp_path: Path, corpus: Path
) -> None:
    (corpus / "2001-02-02-long-walk.md").write_text(LONG_POST, encoding="utf-8")
    with postil_in_tmux(e2e_env, f"find-{tmp_path.name}", corpus, (100, 30)) as tmux:
        tmux.wait_for("posts ·")
        # The text index is built by the indexing process: wait until it is complete.
        wait_until(lambda: "indexing" not in tmux.screen(), "the text indexed", tmux.screen)
        tmux.keys("/")
        tmux.wait_for("Back to list")
        tmux.type("zephyrine")
        tmux.keys("Enter")
        screen = tmux.wait_for("1 of ")
        assert "A long walk by the water" in screen
        tmux.keys("Enter")
        screen = tmux.wait_for("match 1 of 1")
        assert "quince tree called Zephyrine" in screen
        assert "Paragraph 0 " not in screen  # opened at the match, not at the top
        tmux.keys("Escape", "Escape")  # the marks, then back to the list
        tmux.wait_for("posts ·")
        # Keys typed with the Enter that opens the post, in one read, are the reader's:
        # they reached the library's filter bar (the reader opens through a message).
        tmux.burst("Enter", "/walk", "Enter")
        tmux.wait_for("match 1 of 80")
        tmux.keys("q")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash for job control")
def test_ctrl_z_suspends_to_the_shell_and_fg_brings_it_back_whole(
    e2e_env: dict[str, str], tmp_path: Path, corpus: Path
) -> None:
    """ctrl+z did nothing; with it bound, ``fg`` brought back a screen drawn only where
    something changed after (the filter bar, the status line and the keys stayed blank)."""
    with postil_in_tmux(e2e_env, f"tstp-{tmp_path.name}", corpus, (100, 30), shell=True) as tmux:
        tmux.wait_for("posts ·")
        tmux.keys("C-z")
        screen = tmux.wait_for("Stopped")
        assert "/ to filter" not in screen  # the shell's screen, not the app's
        tmux.type("fg")
        tmux.keys("Enter")
        screen = tmux.wait_for("/ to filter")
        assert "posts ·" in screen and "Quit" in screen
        tmux.keys("q")
        prompt = lambda: tmux.screen().rstrip().endswith(("$", "#"))  # noqa: E731
        wait_until(prompt, "the shell's prompt", tmux.screen)
