"""Bringing an index wholly up to date: the files, the fields, then the text.

`build` is what ``postil index`` runs, and what the app runs in a child process
(``python -m tui.corpus.index.build PATH ...``, which reports as JSON lines on stdout):
the app stays responsive and small while a first build renders tens of thousands of posts,
and a killed or closed app leaves an index the next run goes on with.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from tui.corpus.errors import CorpusError
from tui.corpus.index import SYNC_WAIT_NOTICE, CorpusIndex
from tui.corpus.index.engine import EngineBusy

Phase = Literal["files", "synced", "fields_progress", "fields", "text", "done", "error", "notice"]


@dataclass(frozen=True, slots=True)
class Event:
    """A step of a build, as `build` reports it."""

    phase: Phase
    done: int = 0
    total: int = 0
    changed: bool = False
    """For ``synced``: whether any file was added, changed or removed."""
    renamed: tuple[tuple[str, str], ...] = ()
    """For ``synced``: (old id, new id) of the posts whose id a rename changed."""
    message: str = ""
    """For ``error`` and ``notice``: one sentence."""


Report = Callable[[Event], None]

WAIT_S = 0.5
"""How often a build that waits for another process's text indexing looks at it."""

TEXT_WAIT_NOTICE = (
    "postil: another postil process is indexing the posts' text; following it until it ends."
)
"""What a build says when another process indexes the text (its progress is shown)."""


def build(index: CorpusIndex, report: Report, *, workers: int | None = None) -> bool:
    """Sync the files, index the fields, then the text; True when all is indexed.

    When another process is indexing the text, its progress is reported until it ends,
    then what is left (if anything) is indexed here.

    Raises:
        CorpusError: A corpus folder is gone, or the index cannot be written.
    """
    sync = index.sync(
        progress=lambda done, total: report(Event("files", done, total)),
        waiting=lambda: report(Event("notice", message=SYNC_WAIT_NOTICE)),
    )
    report(Event("synced", changed=sync.touched, renamed=tuple(sync.renamed)))
    _notices(index, report)
    _with_writer(
        lambda: index.feed_fields(
            progress=lambda done, total: report(Event("fields_progress", done, total))
        )
    )
    total, fields, _ = index.stage_counts()
    report(Event("fields", fields, total))

    def text_progress(done: int, total: int) -> None:
        report(Event("text", done, total))

    told = False
    while True:
        with index.text_indexer() as mine:
            if mine:
                _with_writer(lambda: index.feed_text(progress=text_progress, workers=workers))
                break
        if not told:
            report(Event("notice", message=TEXT_WAIT_NOTICE))
            told = True
        total, _, with_text = index.stage_counts()
        report(Event("text", with_text, total))
        time.sleep(WAIT_S)
    total, _, with_text = index.stage_counts()
    report(Event("done", with_text, total))
    return with_text == total


def _with_writer(step: Callable[[], object]) -> None:
    """Run a step that writes the engine, waiting while another process holds it."""
    while True:
        try:
            step()
            return
        except EngineBusy:
            time.sleep(WAIT_S)


def _notices(index: CorpusIndex, report: Report) -> None:
    for notice in index.notices:
        report(Event("notice", message=notice))
    index.notices.clear()


def main(argv: Sequence[str]) -> int:
    """The app's indexing process: build the index of the folders in ``argv``, reporting
    each `Event` as one JSON line on stdout."""

    def report(event: Event) -> None:
        print(json.dumps(asdict(event), ensure_ascii=False), flush=True)

    try:
        index = CorpusIndex(list(argv))
        build(index, report)
    except CorpusError as exc:
        report(Event("error", message=str(exc)))
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
