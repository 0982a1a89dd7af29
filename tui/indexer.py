"""The indexing process the app runs beside it: started, read report by report, stopped.

``python -m tui.corpus.index.build`` brings the corpus's index up to date with the files
and reports each step on its standard output as one JSON line (an
:class:`~tui.corpus.index.build.Event`); the app follows it in a thread worker.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Callable, Iterator, Sequence

from tui.corpus.index.build import Event
from tui.locations import own_module_command

STOP_S = 2.0
"""How long the indexing processes are given to stop when the app quits (then they are
killed; the index keeps every batch it committed)."""


class IndexerFailed(Exception):
    """The indexing process did not start; ``str()`` is one sentence."""


class Indexer:
    """One run of the indexing process.

    Args:
        roots: The corpus roots to index.
    """

    def __init__(self, roots: Sequence[str]) -> None:
        self.roots = list(roots)
        self.process: subprocess.Popen[str] | None = None
        """The process, once started."""
        self._finished = False
        """Whether the process reported its end (done, or an error of its own)."""

    def start(self) -> None:
        """Start the process, in a process group of its own.

        Its worker processes (rendering, parsing) join that group: stopping it ends the
        group, so no worker outlives it holding the pipe the app reads the reports from
        (the app's exit would wait for that pipe's end).

        Raises:
            IndexerFailed: It could not be started.
        """
        try:
            self.process = subprocess.Popen(
                own_module_command("tui.corpus.index.build", *self.roots),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                process_group=0,
            )
        except OSError as error:
            raise IndexerFailed(f"the indexing process did not start ({error}).") from error

    def events(self, is_cancelled: Callable[[], bool]) -> Iterator[Event]:
        """The steps the process reports, as it reports them, until it ends or
        ``is_cancelled()`` (lines that are not a report are skipped)."""
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            if is_cancelled():
                return
            try:
                fields = json.loads(line)
                fields["renamed"] = tuple(tuple(pair) for pair in fields.get("renamed", ()))
                event = Event(**fields)
            except (ValueError, TypeError, AttributeError):
                continue
            self._finished = self._finished or event.phase in ("done", "error")
            yield event

    def failure(self) -> str | None:
        """Wait for the process to end; why it failed, when it ended without saying so."""
        assert self.process is not None and self.process.stderr is not None
        code = self.process.wait()
        if self._finished or code in (0, -15, -9):
            return None
        tail = self.process.stderr.read()[-300:].strip().splitlines()
        return tail[-1] if tail else f"it ended with status {code}"

    def stop(self) -> None:
        """Stop the process and its workers if they run (the index keeps every batch it
        committed)."""
        process = self.process
        if process is None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            pass
        # Whatever of the group is left (a worker still rendering, a hung process).
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_S)

    def _signal_group(self, signum: int) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)
