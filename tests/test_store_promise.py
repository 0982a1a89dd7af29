"""The store's promise: whenever no postil runs, annotations.json alone holds everything.

Real processes, one after another (the CLI's ``highlight``, the app run headless, a
writer killed with SIGKILL), then the store file is read with plain ``json.load`` and
with TinyDB's default storage, neither of which knows about the journal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tinydb import TinyDB

from tests.conftest import ROOT
from tests.tui.conftest import FIXED_POSTS, write_posts

POSTIL = [sys.executable, "-m", "tui"]

APP_RUN = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tui.app import make_app
    from tui.config import Config

    async def auto_pilot(pilot):
        app = pilot.app
        for _ in range(200):
            await pilot.pause(0.05)
            if app.screen.id != "_default" and not app.workers._workers:
                break
        await pilot.press("enter")  # the newest post, "The river at night"
        for _ in range(100):
            await pilot.pause(0.05)
            if getattr(app.screen, "is_placed", False):
                break
        await pilot.press("v", "down", "h")  # the second sentence
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        app.exit()

    app = make_app([sys.argv[1]], store_path=Path(sys.argv[2]), config=Config())
    app.run(headless=True, size=(100, 30), auto_pilot=auto_pilot)
    """
)

KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from annotations.anchor import make_target
    from annotations.model import PostSnapshot
    from annotations.store import AnnotationStore

    store = AnnotationStore(sys.argv[1])
    text = "A writer that is killed before it exits leaves its record in the journal."
    post = PostSnapshot("feedc0ffee00", "/nowhere.md", "Killed", None, "", None)
    store.create(post, make_target(text, 2, 8), note="left in the journal")
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _notes_in_file(store: Path) -> list[str]:
    """(quote) of every annotation, read by plain json.load and by TinyDB's own storage."""
    with open(store, encoding="utf-8") as handle:
        plain = sorted(doc["target"]["exact"] for doc in json.load(handle)["annotations"].values())
    db = TinyDB(store)  # TinyDB's default JSONStorage: the file alone
    try:
        tiny = sorted(doc["target"]["exact"] for doc in db.table("annotations").all())
    finally:
        db.close()
    assert plain == tiny
    return plain


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of the child processes (the isolated home of tests/conftest.py)."""
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_three_highlight_runs_leave_everything_in_the_file(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """The issue's case: three ``postil highlight`` runs in a row."""
    posts = write_posts(tmp_path / "posts", FIXED_POSTS)
    store = tmp_path / "annotations.json"
    river = str(posts / "2023-10-26-river.md")
    for quote in ("The river is dark", "Lights move", "Nobody speaks"):
        done = _run([*POSTIL, "highlight", river, "--quote", quote, "--store", str(store)], env)
        assert done.returncode == 0, done.stderr
    assert _notes_in_file(store) == ["Lights move", "Nobody speaks", "The river is dark"]
    assert os.path.getsize(f"{store}.journal") == 0


@pytest.mark.slow
def test_cli_app_and_a_killed_writer_in_sequence(tmp_path: Path, env: dict[str, str]) -> None:
    """CLI, app, killed writer, CLI: after each run that ended, the file holds it all."""
    posts = write_posts(tmp_path / "posts", FIXED_POSTS)
    store = tmp_path / "annotations.json"
    river = str(posts / "2023-10-26-river.md")
    cli = [*POSTIL, "highlight", river, "--store", str(store), "--quote"]

    assert _run([*cli, "Later the rain comes."], env).returncode == 0
    assert _notes_in_file(store) == ["Later the rain comes."]

    app = _run([sys.executable, "-c", APP_RUN, str(posts), str(store)], env)
    assert app.returncode == 0, app.stderr
    assert _notes_in_file(store) == [
        "Later the rain comes.",
        "Lights move on the water.",
    ]

    killed = _run([sys.executable, "-c", KILLED_WRITER, str(store)], env)
    assert killed.returncode == -9, killed.stderr
    assert os.path.getsize(f"{store}.journal") > 0  # what the killed one left
    assert len(_notes_in_file(store)) == 2

    # The next writer folds what the killed one left, when it exits.
    assert _run([*cli, "It washes the streets clean."], env).returncode == 0
    assert _notes_in_file(store) == [
        "It washes the streets clean.",
        "Later the rain comes.",
        "Lights move on the water.",
        "writer",
    ]
    assert os.path.getsize(f"{store}.journal") == 0
