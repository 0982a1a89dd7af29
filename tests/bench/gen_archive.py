"""A synthetic archive of N posts in the archive format, for benchmarks.

Deterministic for a given (n, seed): the same files, byte for byte. Posts look like the
real mirrors: front matter (ISO dates with Z, tags as a list, sometimes as a comma
string, categories), the epoch marker, the ``[title](url)`` header over ``------`` and a
one-line HTML body of 2-8 KB, mixed Chinese and English, spread over nested folders.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

SOURCES = ("rfi", "dw", "bbc", "voa", "zaobao", "cdt", "teahouse", "oped")
_HANZI = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能"
    "下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量"
    "都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各"
)
_WORDS = (
    "economy policy trade market reform climate energy health court election river city "
    "school music film archive memory border village factory harbour railway garden"
).split()


def _hanzi(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_HANZI) for _ in range(n))


def _sentence(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return _hanzi(rng, rng.randint(12, 40)) + "。"
    words = [rng.choice(_WORDS) for _ in range(rng.randint(6, 16))]
    return " ".join(words).capitalize() + "."


def _chunks(rng: random.Random) -> list[str]:
    """A pool of HTML chunks that bodies are assembled from (generation stays fast)."""
    pool: list[str] = []
    for _ in range(3000):
        kind = rng.random()
        if kind < 0.08:
            chunk = f"<h2>{_hanzi(rng, rng.randint(4, 12))}</h2>"
        elif kind < 0.14:
            chunk = f'<figure><img src="https://img.example.com/{rng.getrandbits(32):08x}.jpg"/>'
            chunk += f"<figcaption>{_hanzi(rng, 10)}</figcaption></figure>"
        elif kind < 0.18:
            chunk = f"<blockquote><p>{_sentence(rng)}</p></blockquote>"
        else:
            chunk = "<p>" + "".join(_sentence(rng) for _ in range(rng.randint(2, 6))) + "</p>"
        pool.append(chunk)
    return pool


def _body(rng: random.Random, pool: list[str], size: int) -> str:
    parts: list[str] = []
    total = 0
    while total < size:
        chunk = rng.choice(pool)
        parts.append(chunk)
        total += len(chunk.encode("utf-8"))
    return "<div>" + "".join(parts) + "</div>"


def generate(folder: str | Path, n: int, seed: int = 0) -> list[Path]:
    """Write ``n`` posts below ``folder`` (created if missing).

    Args:
        folder: Where to write; files go into ``source/year/`` subfolders.
        n: How many posts.
        seed: Seed of the pseudo-random choices (same seed, same archive).

    Returns:
        The paths written, in creation order.
    """
    rng = random.Random(seed)
    root = Path(folder)
    tags = [f"{_hanzi(rng, rng.randint(2, 4))}" for _ in range(180)] + [
        f"{w}-{i}" for i, w in enumerate(_WORDS)
    ]
    tags = list(dict.fromkeys(tags))[:200]
    authors = list(dict.fromkeys(_hanzi(rng, 3) for _ in range(400)))[:150] + [
        f"{rng.choice(_WORDS).title()} {rng.choice(_WORDS).title()} {i}" for i in range(150)
    ]
    pool = _chunks(rng)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    written: list[Path] = []
    for i in range(n):
        written.append(_write_post(root, rng, i, tags, authors, pool, start))
    return written


def _write_post(
    root: Path,
    rng: random.Random,
    i: int,
    tags: list[str],
    authors: list[str],
    pool: list[str],
    start: datetime,
) -> Path:
    source = SOURCES[i % len(SOURCES)]
    when = start + timedelta(seconds=rng.randint(0, 10 * 365 * 86400))
    title = _hanzi(rng, rng.randint(8, 30))
    if rng.random() < 0.3:
        title += " " + " ".join(rng.choice(_WORDS) for _ in range(3))
    url = f"https://{source}.example.com/{when:%Y/%m}/n{i:07d}.htm"
    chosen = rng.sample(tags, rng.randint(1, 5))
    tag_text = ", ".join(chosen) if rng.random() < 0.1 else "[" + ", ".join(chosen) + "]"
    lines = [
        "---",
        "layout: post",
        f'title: "{title}"',
        f"date: {when:%Y-%m-%dT%H:%M:%S}.000Z",
        f"author: {rng.choice(authors)}",
        f"from: {url}",
        f"tags: {tag_text}",
        "comments: True",
        f"categories: [{source}]",
        "---",
        f"<!--{int(when.timestamp() * 1000)}-->",
        f"[{title}]({url})",
        "------",
        "",
        _body(rng, pool, rng.randint(2000, 8000)),
        "",
    ]
    folder = root / source / f"{when:%Y}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{when:%Y-%m-%d}-{title[:20].replace(' ', '-')}-{i}.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
