"""Key routing: what a bound key costs from its arrival to its effect, in bursts.

The real app (headless, 120x40) on 300 generated posts; a burst is 200 ``down`` (or
``up``) keys posted at once, as one read over a slow ssh link brings them, and it ends
when the list's cursor has moved 200 rows. Each key runs its binding as it is routed
and holds the keys after it until what the binding set going has settled
(`tui.widgets.ordered_keys`): this measures that path, layout and painting included.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from textual import events

POSTS = 300
BURST = 200
ROUNDS = 6


def _corpus(folder: Path) -> Path:
    folder.mkdir()
    for n in range(POSTS):
        day = f"2020-01-{n % 28 + 1:02d}"
        (folder / f"{day}-post-{n}.md").write_text(
            f"---\ntitle: Post {n}\ndate: {day}\n---\n<p>Text {n}.</p>\n", encoding="utf-8"
        )
    return folder


async def _measure(tmp: Path) -> list[float]:
    from tui.app import make_app

    app = make_app([str(_corpus(tmp / "posts"))], store_path=tmp / "store.json")
    per_key: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        while len(app.library.post_list.posts) < POSTS:
            await pilot.pause(0.05)
        await app.workers.wait_for_complete()
        await pilot.pause(0.5)
        for round_ in range(ROUNDS):
            key, goal = ("down", BURST) if round_ % 2 == 0 else ("up", 0)
            started = time.perf_counter()
            for _ in range(BURST):
                app.post_message(events.Key(key, None))
            while app.library.post_list.cursor != goal:
                await asyncio.sleep(0.0005)
            per_key.append((time.perf_counter() - started) * 1000 / BURST)
    return per_key


def main() -> None:
    """Print the cost of a bound key in a burst (ms a key, per round)."""
    with tempfile.TemporaryDirectory(prefix="postil-bench-keys-") as name:
        tmp = Path(name)
        for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
            os.environ[var] = str(tmp / var.lower())
        per_key = asyncio.run(_measure(tmp))
    rounds = " ".join(f"{ms:.2f}" for ms in per_key)
    print(f"{BURST} keys a burst, {POSTS} posts: {statistics.median(per_key):.2f} ms a key")
    print(f"  rounds (ms a key): {rounds}; load average {os.getloadavg()[0]:.2f}")
