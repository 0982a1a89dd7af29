"""Drive the real ``postil`` through a real OpenSSH client and server on loopback.

A thin layer over ``../shared/tools/ssh-tui-check`` (see its README): a :class:`Sandbox`
is one user's world (a small fixed corpus, private XDG folders and a store, all in
``tmp_path``); :func:`run_check` writes a steps file and plays it against
``postil`` started over ssh inside that sandbox. The remote side gets no environment of
ours, so the command itself sets every variable the app needs.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, SHARED

TOOL = SHARED / "tools" / "ssh-tui-check"
"""The driver: sshd + ssh -tt + tmux, steps in, PASS/FAIL out."""

CHECK_LIMIT = 60.0
"""Seconds one ssh-tui-check run may take before the test gives up on it."""

POSTS: dict[str, str] = {
    "2023-10-26-harbour-lights.md": """---
title: Harbour lights
date: 2023-10-26T20:00:00Z
author: Ada Quill
from: https://example.org/harbour-lights.htm
tags: [sea, night]
categories: [travel]
---
<p>The harbour was quiet at dusk. Boats rocked in the swell. A gull cried once.</p>
<p>Lamps came on along the pier, one after another, until the water shone.</p>
<p>Read the <a href="https://example.org/tides">tide tables</a> before you go.</p>
""",
    "2023-09-12-mountain-bread.md": """---
title: Mountain bread
date: 2023-09-12T08:00:00Z
author: Ben Rye
from: https://example.org/mountain-bread.htm
tags: [food]
categories: [kitchen]
---
<p>The dough rests overnight. In the morning it is shaped by hand.</p>
""",
    "2023-08-01-night-trains.md": """---
title: Night trains
date: 2023-08-01T22:00:00Z
author: Ada Quill
from: https://example.org/night-trains.htm
tags: [night, rail]
categories: [travel]
---
<p>The sleeper leaves at ten. The corridor smells of coffee.</p>
""",
    "2023-07-15-harbour-morning.md": """---
title: 港口的早晨
date: 2023-07-15T06:30:00Z
author: 李白
tags: [城市]
categories: [travel]
---
<p>清晨的港口很安静。渔船慢慢回来了！海鸥在天上飞。</p>
""",
}
"""A fixed corpus: four posts, the first with several sentences and a link, one in CJK."""

POST_COUNT = len(POSTS)
CJK_TITLE = "港口的早晨"

FIRST_SENTENCE = "The harbour was quiet at dusk."
SECOND_SENTENCE = "Boats rocked in the swell."
TARGET_TITLE = "Harbour lights"
OTHER_TITLE = "Mountain bread"


def skip_reason() -> str | None:
    """Why the ssh e2e tests cannot run here, or None when they can."""
    if not TOOL.is_file() or not os.access(TOOL, os.X_OK):
        return f"{TOOL} is absent (the shared ssh-tui-check tool)"
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin:/usr/local/sbin"
    missing = [
        tool for tool in ("tmux", "ssh", "ssh-keygen", "sshd") if not shutil.which(tool, path=path)
    ]
    if missing:
        return (
            f"missing {', '.join(missing)} (apt-get install -y openssh-server openssh-client tmux)"
        )
    return None


def require_ssh() -> None:
    """Skip the calling test with a clear reason when the tools are missing."""
    reason = skip_reason()
    if reason:
        pytest.skip(reason)


@dataclass
class Sandbox:
    """One user's postil world inside ``tmp_path``: corpus, XDG folders, store."""

    root: Path
    """The folder holding everything below."""
    corpus: Path = field(init=False)
    """The fixed corpus (:data:`POSTS`)."""
    store: Path = field(init=False)
    """The annotation store file."""

    def __post_init__(self) -> None:
        self.corpus = self.root / "corpus"
        self.corpus.mkdir(parents=True, exist_ok=True)
        for name, text in POSTS.items():
            (self.corpus / name).write_text(text, encoding="utf-8")
        self.store = self.root / "data" / "postil" / "annotations.json"

    @property
    def data_dir(self) -> Path:
        """The user data folder (store, drafts)."""
        return self.root / "data" / "postil"

    @property
    def drafts_file(self) -> Path:
        """Where the app keeps notes being typed."""
        return self.data_dir / "drafts.json"

    def env(self) -> dict[str, str]:
        """The variables that point postil at this sandbox."""
        return {
            "XDG_DATA_HOME": str(self.root / "data"),
            "XDG_CONFIG_HOME": str(self.root / "config"),
            "XDG_CACHE_HOME": str(self.root / "cache"),
            "XDG_STATE_HOME": str(self.root / "state"),
            "POSTIL_STORE": str(self.store),
        }

    def remote_command(self, *, extra_env: Mapping[str, str] | None = None) -> str:
        """The shell command run on the ssh server: postil on the corpus, in this sandbox."""
        variables = {**self.env(), **(extra_env or {})}
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in variables.items())
        app = shlex.join([sys.executable, "-m", "tui", "open", "--", str(self.corpus)])
        # exec: the app is the session's process, as with a login running postil.
        return f"cd {shlex.quote(str(ROOT))} && exec env {assignments} {app}"

    def postil(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the ``postil`` CLI locally against this sandbox."""
        return subprocess.run(
            [sys.executable, "-m", "tui", *args],
            cwd=ROOT,
            env={**os.environ, **self.env()},
            capture_output=True,
            text=True,
            timeout=60,
        )

    def notes(self) -> list[dict[str, Any]]:
        """``postil notes --json``, parsed; fails the test when the command fails."""
        result = self.postil("notes", "--json")
        assert result.returncode == 0, f"postil notes --json failed: {result.stderr}"
        notes = json.loads(result.stdout)
        assert isinstance(notes, list)
        return notes


@dataclass
class CheckResult:
    """What one ssh-tui-check run printed and how it ended."""

    returncode: int
    output: str

    @property
    def passed(self) -> bool:
        """True when every step held."""
        return self.returncode == 0 and self.output.rstrip().endswith("PASS")


def write_steps(path: Path, steps: Sequence[str]) -> Path:
    """Write a steps file (one step a line) and return its path."""
    path.write_text("\n".join(steps) + "\n", encoding="utf-8")
    return path


def check_command(
    steps_file: Path,
    remote: str,
    *,
    size: str = "100x30",
    term: str = "xterm-256color",
    lang: str = "C.UTF-8",
    env: Mapping[str, str] | None = None,
    timeout: float = 10,
) -> list[str]:
    """The ssh-tui-check command line for one run."""
    command = [str(TOOL), "-s", size, "-t", term, "-l", lang, "-T", str(timeout)]
    for name, value in (env or {}).items():
        command += ["-e", f"{name}={value}"]
    return [*command, str(steps_file), remote]


def run_check(
    steps: Sequence[str],
    remote: str,
    *,
    steps_file: Path,
    size: str = "100x30",
    term: str = "xterm-256color",
    lang: str = "C.UTF-8",
    env: Mapping[str, str] | None = None,
    timeout: float = 10,
) -> CheckResult:
    """Play ``steps`` against ``remote`` over ssh and return the outcome.

    Args:
        steps: Step lines (see the tool's README).
        remote: The remote shell command (:meth:`Sandbox.remote_command`).
        steps_file: Where to write the steps.
        size: The terminal size, ``COLSxROWS``.
        term: The TERM the ssh client announces.
        lang: LANG on the remote side ('' sends none).
        env: Extra remote environment (sent with ``SetEnv``).
        timeout: Default seconds each waiting step may take.

    Returns:
        The exit status and everything the tool printed.
    """
    process = start_check(
        steps,
        remote,
        steps_file=steps_file,
        size=size,
        term=term,
        lang=lang,
        env=env,
        timeout=timeout,
    )
    return finish(process)


def start_check(
    steps: Sequence[str],
    remote: str,
    *,
    steps_file: Path,
    size: str = "100x30",
    term: str = "xterm-256color",
    lang: str = "C.UTF-8",
    env: Mapping[str, str] | None = None,
    timeout: float = 10,
) -> subprocess.Popen[str]:
    """Start a run in the background (concurrent sessions); see :func:`finish`."""
    write_steps(steps_file, steps)
    command = check_command(
        steps_file, remote, size=size, term=term, lang=lang, env=env, timeout=timeout
    )
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=steps_file.parent,
    )


def finish(process: subprocess.Popen[str]) -> CheckResult:
    """Wait for a background run (bounded) and return its outcome."""
    try:
        out, _ = process.communicate(timeout=CHECK_LIMIT)
    except subprocess.TimeoutExpired:
        # SIGTERM lets the tool stop sshd, tmux and the app by pid.
        process.terminate()
        out, _ = process.communicate(timeout=15)
        return CheckResult(124, out + "\n(ssh-tui-check timed out)")
    return CheckResult(process.returncode, out)


def assert_passed(result: CheckResult) -> None:
    """Fail with the tool's transcript (steps, last screen) unless it passed."""
    assert result.passed, "ssh-tui-check failed:\n" + result.output


def screen_check(*args: str) -> str:
    """A ``run`` step checking the current coloured screen with :mod:`tests.e2e.ansi_screen`."""
    command = [sys.executable, "-m", "tests.e2e.ansi_screen", '"$TUI_SCREEN_ANSI"']
    quoted = [shlex.quote(a) for a in args]
    return f"run cd {shlex.quote(str(ROOT))} && " + " ".join(command + quoted)


def wait_for_file_step(path: Path, seconds: float = 20) -> str:
    """A ``run`` step that waits (bounded) until ``path`` exists."""
    tries = int(seconds * 10)
    p = shlex.quote(str(path))
    return f"run for i in $(seq {tries}); do [ -e {p} ] && exit 0; sleep 0.1; done; exit 1"
