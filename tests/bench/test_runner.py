"""The whole-process runner: the child's own peak, processes it leaves, failures, timeouts."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bench.runner import run, set_subreaper

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="VmHWM and child subreapers are Linux's"
)


def _script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "child.py"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return str(path)


@pytest.fixture
def subreaper() -> Iterator[None]:
    """This process adopts orphans for the test only: other tests' would become zombies."""
    assert set_subreaper(True)
    try:
        yield
    finally:
        set_subreaper(False)


def test_the_peak_is_the_childs_own_not_its_big_parents(tmp_path: Path) -> None:
    ballast = b"x" * (300 << 20)  # the parent's high-water mark goes above 300 MB
    child = _script(
        tmp_path,
        """
        data = b"y" * (40 << 20)
        print(len(data))
        """,
    )
    result = run([child], os.environ, python_script=True, capture=True)
    assert result.ok and result.stdout.strip() == str(40 << 20)
    assert result.peak_exact
    assert result.peak_mb is not None and 40 <= result.peak_mb < 150
    del ballast


def test_a_process_left_behind_is_waited_for_and_its_cpu_counted(
    tmp_path: Path, subreaper: None
) -> None:
    done = tmp_path / "done"
    child = _script(
        tmp_path,
        f"""
        import os, time
        if os.fork() == 0:
            if os.fork() == 0:  # the grandchild, orphaned at once, as a detached writer is
                os.setsid()
                end = time.process_time() + 0.3
                while time.process_time() < end:
                    pass
                open({str(done)!r}, "w").close()
            os._exit(0)
        os.wait()
        """,
    )
    result = run([child], os.environ, python_script=True)
    assert result.ok
    assert done.exists()
    assert result.background_cpu_s >= 0.25


def test_children_this_process_had_before_are_not_waited_for(
    tmp_path: Path, subreaper: None
) -> None:
    server = subprocess.Popen(["sleep", "60"])  # a test's server, a resource tracker
    try:
        started = time.monotonic()
        result = run([_script(tmp_path, "print('hi')")], os.environ, python_script=True)
        assert result.ok and time.monotonic() - started < 20
        assert server.poll() is None
    finally:
        server.kill()
        server.wait()


def test_a_failure_is_reported_with_its_stderr(tmp_path: Path) -> None:
    child = _script(
        tmp_path,
        """
        import sys
        print("postil: no such folder: /nowhere", file=sys.stderr)
        sys.exit(2)
        """,
    )
    result = run([child], os.environ, python_script=True)
    assert not result.ok and result.returncode == 2
    assert "exit 2" in result.failure() and "no such folder: /nowhere" in result.failure()


def test_a_child_past_its_timeout_is_killed() -> None:
    started = time.monotonic()
    result = run(["sleep", "30"], os.environ, timeout_s=0.5)
    assert result.returncode is None and not result.ok
    assert "killed at the timeout" in result.failure()
    assert time.monotonic() - started < 10
