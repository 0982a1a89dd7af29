"""Render benchmark: body -> blocks -> first screen, html2text's share, ``show --plain``.

Figures (milliseconds, median of several runs) for the median-sized sample post and for
a 700 KB synthetic post. Targets: median post under 10 ms to its first screen (50 lines
at width 100), the 700 KB post under 200 ms. Nothing is asserted.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import SAMPLE_POSTS
from tui.cli import main as cli_main
from tui.corpus.files import read_body
from tui.render import build_document
from tui.render import html as html_stage
from tui.render.layout import Layout

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "render"
SCREEN_LINES = 50
WIDTH = 100


def _median_post() -> Path:
    posts = sorted(SAMPLE_POSTS.rglob("*.md"), key=lambda p: p.stat().st_size)
    if not posts:
        posts = sorted(FIXTURES.glob("*.md"), key=lambda p: p.stat().st_size)
    return posts[len(posts) // 2]


_EN = (
    "The archive kept every article as one long line of HTML, and readers wanted it in the "
    "terminal without losing the links, the quotes or the tables."
).split()
_ZH = list("人工智能过去几年来迅猛发展震撼了很多行业使许多白领行业的从业者受到了威胁我相信那些职位")


def synthetic_body(size: int, seed: int = 7) -> str:
    """A one-line ``<div>`` body of about ``size`` characters of varied HTML."""
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    while total < size:
        kind = rng.randrange(10)
        words = " ".join(rng.choice(_EN) for _ in range(rng.randint(20, 80)))
        zh = "".join(rng.choice(_ZH) for _ in range(rng.randint(40, 160))) + "。"
        if kind == 0:
            piece = f"<h2>{words[:60]}</h2>"
        elif kind == 1:
            piece = "<ul>" + "".join(f"<li>{words[:40]} {i}</li>" for i in range(4)) + "</ul>"
        elif kind == 2:
            piece = f"<blockquote><p>{zh}</p></blockquote>"
        elif kind == 3:
            piece = f'<figure><img src="https://img.example/{total}.jpg"><figcaption>{zh[:20]}</figcaption></figure>'
        elif kind == 4:
            cells = "".join(f"<tr><td>{w}</td><td>{total}</td></tr>" for w in _EN[:5])
            piece = f"<table><tr><th>Word</th><th>Count</th></tr>{cells}</table>"
        elif kind in (5, 6):
            piece = f"<p>{zh}<b>{zh[:10]}</b>{zh}</p>"
        else:
            link = f'<a href="https://example.org/{total}">{words[:30]}</a>'
            piece = f"<p>{words} <em>{words[:25]}</em> {link} {words}.</p>"
        parts.append(piece)
        total += len(piece)
    return "<div>" + "".join(parts) + "</div>"


def _time(fn: Callable[[], object], runs: int) -> str:
    """Best and median wall time of ``fn``, in milliseconds, as text.

    The best run and the CPU time are the figures to compare: on a shared machine the
    wall-clock median also measures other processes.
    """
    times = []
    cpu = []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return (
        f"best {min(times):.2f} ms, median {statistics.median(times):.2f} ms "
        f"(CPU median {statistics.median(cpu):.2f} ms)"
    )


def _first_screen(body: str) -> None:
    doc = build_document(body)
    Layout(doc, WIDTH).ensure(SCREEN_LINES)


def _html2text_share(body: str, runs: int) -> tuple[float, float]:
    """(first-screen ms, ms of it in html2text) of the best run, html2text timed by wrapping."""
    original = html_stage.to_markdown
    spent: list[float] = []

    def timed(html: str) -> str:
        started = time.perf_counter()
        try:
            return original(html)
        finally:
            spent.append((time.perf_counter() - started) * 1000)

    html_stage.to_markdown = timed
    try:
        totals = []
        shares = []
        for _ in range(runs):
            spent.clear()
            started = time.perf_counter()
            _first_screen(body)
            totals.append((time.perf_counter() - started) * 1000)
            shares.append(sum(spent))
    finally:
        html_stage.to_markdown = original
    best = totals.index(min(totals))
    return totals[best], shares[best]


def _show_plain(path: Path) -> None:
    result = CliRunner().invoke(cli_main, ["show", "--plain", str(path)])
    assert result.exit_code == 0, result.output


def _report(label: str, body: str, path: Path, runs: int) -> None:
    first = _time(lambda: _first_screen(body), runs)
    total, h2t = _html2text_share(body, runs)
    full_doc = _time(lambda: build_document(body).text, max(runs // 3, 1))
    doc = build_document(body)
    _ = doc.text  # build everything before timing the layout
    full_layout = _time(lambda: Layout(doc, WIDTH).complete(), max(runs // 3, 1))
    show = _time(lambda: _show_plain(path), max(runs // 3, 1))
    print(f"{label}: {len(body) / 1024:.1f} KB body, {len(doc.blocks)} blocks")
    print(f"  body -> blocks -> first screen ({SCREEN_LINES} lines at {WIDTH}): {first}")
    print(f"  html2text in the best run: {h2t:.2f} ms of {total:.2f} ms ({100 * h2t / total:.0f}%)")
    print(f"  whole document (all blocks + canonical text): {full_doc}")
    print(f"  whole layout at {WIDTH} (document already built): {full_layout}")
    print(f"  postil show --plain (in-process, file read included): {show}")


def main() -> None:
    """Print the render figures."""
    median = _median_post()
    _report(f"median post {median.name}", read_body(median), median, 30)
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.md"
        body = synthetic_body(700 * 1024)
        big.write_text('---\ntitle: "Synthetic 700 KB"\n---\n' + body, encoding="utf-8")
        _report("synthetic 700 KB post", body, big, 6)


if __name__ == "__main__":
    main()
