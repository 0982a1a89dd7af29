"""Issue 12's CLI targets as a user meets them: whole ``postil`` processes on big archives.

For each size (``POSTIL_BENCH_INDEX_SIZES``: 50000 by default, ``50000,500000`` for both)
a synthetic archive is generated once and kept for later runs (archive_cache.py says
where). Every figure is a child process started from here (runner.py): wall time from
start to exit, its CPU (and that of any process it left behind), and its own peak memory
(VmHWM); the min and median of ``POSTIL_BENCH_INDEX_RUNS`` runs (3; a measure whose run
takes over a minute is not repeated). The children's XDG folders point at a private
temporary home, so the developer's own index and store are never touched.

Baselines, in the same run: a raw read of every post file; the naive loop,
``frontmatter.load`` on each file (only up to 50k posts: 6-16 s there); ``grep -rlF WORD``
for each text query's word (its output kept: GNU grep stops at the first match when it
writes to /dev/null). Measures:

- ``postil ls``: its first run on an empty cache; cold (cache folder removed before each
  run; up to 50k) against the naive loop; warm against the raw read;
- ``postil ls -q``: a metadata query (a tag and a year) and text queries with
  ``--limit 50``: a 1-, 2- and 4-character Chinese word and an English word and phrase,
  taken from the archive's first posts (so they occur at every size), against grep;
- ``postil index``: a build on an empty cache, the size on disk of what it wrote against
  the archive's, a run with nothing changed, and a run after 10 posts were edited;
  all skipped when this postil has no ``index`` command;
- ``postil ls`` after 10 posts were edited (brought up to date by ``ls`` itself).

Edited posts are restored afterwards. Each size ends with a table: figure, baseline,
ratio (min over min; medians in brackets), issue 12's target and ✓/✗; and the load
average, since the machine is shared. Nothing is asserted.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.cells import cell_len

from tests.bench.archive_cache import (
    CachedArchive,
    cache_root,
    disk_usage,
    edit_posts,
    ensure_archive,
    post_files,
    restore_posts,
)
from tests.bench.runner import Run, run, set_subreaper

ROOT = Path(__file__).resolve().parents[2]
SIZES: tuple[int, ...] = (50_000,)
SEED = 0
RUNS = 3
LONG_S = 60.0
"""A measure whose run takes longer than this is not repeated."""
NAIVE_MAX = 50_000
COLD_MAX = 50_000
CHANGED = 10
LIMIT = "50"
META_QUERY = "tag:economy-0 date:2020"
POSTIL = Path(sys.executable).with_name("postil")
READ_ALL = Path(__file__).with_name("read_all.py")
DISK_PER_POST = 7_500
"""Bytes on disk a generated post takes (3.6 GB for 500k), to check the room first."""

# Issue 12's targets, by archive size; a size not listed has none.
WARM_MAX = {50_000: 0.5, 500_000: 0.15}
COLD_MIN = {50_000: 5.0}
QUERY_PEAK_MB = {500_000: 150.0}
INDEX_MAX_S = {50_000: 60.0}
INDEX_SIZE_MAX = {50_000: 1.0}
REINDEX_MAX_S = {500_000: 2.0}


@dataclass
class Measure:
    """The successful runs of one command."""

    label: str
    runs: list[Run]

    @property
    def ok(self) -> bool:
        """Whether at least one run succeeded."""
        return bool(self.runs)

    @property
    def best(self) -> float:
        """The shortest wall time."""
        return min(r.wall_s for r in self.runs)

    @property
    def median(self) -> float:
        """The median wall time."""
        return statistics.median(r.wall_s for r in self.runs)

    @property
    def lines(self) -> int:
        """How many lines the last run printed (when its output was kept)."""
        return len(self.runs[-1].stdout.splitlines())

    def peak(self) -> tuple[float | None, bool]:
        """The highest peak memory of the runs in MB, and whether every figure was exact."""
        peaks = [r.peak_mb for r in self.runs if r.peak_mb is not None]
        return (max(peaks) if peaks else None), all(r.peak_exact for r in self.runs)


@dataclass
class Row:
    """One line of a size's table."""

    label: str
    measure: Measure | None = None
    detail: str = ""
    """Shown after the label (rows printed, why skipped)."""
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    verdict: bool | None = None


def _secs(s: float) -> str:
    return f"{s:.3f} s" if s < 1 else f"{s:.2f} s" if s < 10 else f"{s:.1f} s"


def _mb(b: float) -> str:
    return f"{b / 2**20:,.0f} MB"


def _ratio(a: Measure, b: Measure, *, inverse: bool = False, unit: str = "x") -> tuple[float, str]:
    """``a`` over ``b`` (or ``b`` over ``a``) by best times, and as text with the medians'."""
    best, med = a.best / b.best, a.median / b.median
    if inverse:
        best, med = 1 / best, 1 / med
    text = f"{best:.2f}{unit}" + (f" ({med:.2f}x)" if len(a.runs) > 1 or len(b.runs) > 1 else "")
    return best, text


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def private_env(home: Path) -> dict[str, str]:
    """This process's environment with every XDG folder in ``home`` and no POSTIL_* setting."""
    env = dict(os.environ)
    for var in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        env[var] = str(home / var.lower())
    # A developer's PYTHONDONTWRITEBYTECODE would make every run compile postil again.
    for var in ("POSTIL_CORPUS", "POSTIL_STORE", "PYTHONDONTWRITEBYTECODE"):
        env.pop(var, None)
    return env


def index_command(env: dict[str, str]) -> tuple[bool, str]:
    """Whether this postil has an ``index`` command, and what its usage line says.

    Asked with ``postil index --help``: before issue 12, ``postil index PATH`` would open
    the app on the folders ``index`` and PATH (the group sends unknown names to the app),
    and ``--help`` then prints the usage of ``postil open``.
    """
    probe = run(
        [str(POSTIL), "index", "--help"], env, python_script=True, capture=True, timeout_s=120
    )
    usage = next((ln for ln in probe.stdout.splitlines() if ln.startswith("Usage:")), "")
    if probe.ok and re.match(r"Usage: \S+ index\b", usage):
        return True, usage
    return False, f"`postil index --help` printed {usage!r}" if usage else probe.failure()


_NUMBER = re.compile(r"-(\d+)\.md$")
_PARAGRAPH = re.compile(r"<p>([^<]*)</p>")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{12,}")
_ENGLISH = re.compile(r"[A-Z][a-z]+(?: [a-z]+){5,}\.")


def pick_words(files: Sequence[Path]) -> dict[str, str]:
    """Text query words that occur in the archive, the same at every size.

    They come from the body paragraphs of the first 20 posts generated (their file names
    end in ``-<number>.md``), which are the same posts whatever the archive's size: the
    most frequent Chinese character, a 2- and a 4-character run of one sentence, and the
    second and third words of an English sentence.
    """
    first = sorted(
        (int(m.group(1)), path)
        for path in files
        if (m := _NUMBER.search(path.name)) and int(m.group(1)) < 20
    )
    paragraphs = [
        para
        for _, path in first
        for para in _PARAGRAPH.findall(path.read_text(encoding="utf-8").split("\n------\n", 1)[-1])
    ]
    han = [r for para in paragraphs for r in _HAN_RUN.findall(para)]
    english = [s.rstrip(".").split() for para in paragraphs for s in _ENGLISH.findall(para)]
    words: dict[str, str] = {}
    if len(han) >= 2:
        words["1-char Chinese"] = Counter("".join(han)).most_common(1)[0][0]
        words["2-char Chinese"] = han[0][5:7]
        words["4-char Chinese"] = han[1][:4]
    if english:
        words["English word"] = english[0][1]
        words["English phrase"] = " ".join(english[0][1:3])
    return words


@dataclass
class SizeBench:
    """Every measure at one archive size, against one private home."""

    archive: CachedArchive
    home: Path
    runs: int
    has_index: bool
    rows: list[Row] = field(default_factory=list)
    measures: dict[str, Measure] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.n = self.archive.n
        self.folder = str(self.archive.posts)
        self.env = private_env(self.home)
        self.cache = Path(self.env["XDG_CACHE_HOME"])
        self.files = post_files(self.archive.posts)
        self.words = pick_words(self.files)

    # -- running ---------------------------------------------------------------------------

    def measure(
        self,
        label: str,
        argv: Sequence[str],
        *,
        before: Callable[[int], object] | None = None,
        runs: int | None = None,
        capture: bool = False,
        env: dict[str, str] | None = None,
    ) -> Measure:
        """Run ``argv`` up to ``runs`` times (``before(i)`` ahead of each) and print how it went.

        Python scripts (postil, read_all.py) run under peakrun.py; anything else as is.
        A failed run prints its exit status and stderr's tail, and ends the measure.
        """
        python = argv[0] == str(POSTIL) or argv[0].endswith(".py")
        shown = [sys.executable, *argv] if argv[0].endswith(".py") else list(argv)
        print(f"  {label}: {shlex.join(shown)}", flush=True)
        done: list[Run] = []
        for i in range(runs or self.runs):
            if before is not None:
                before(i)
            result = run(argv, env or self.env, python_script=python, capture=capture)
            if not result.ok:
                print(f"    run {i + 1} failed: {result.failure()}", flush=True)
                break
            done.append(result)
            if result.wall_s > LONG_S and i + 1 < (runs or self.runs):
                print(f"    took {_secs(result.wall_s)}: not repeated", flush=True)
                break
        measure = Measure(label, done)
        if done:
            walls = ", ".join(_secs(r.wall_s) for r in done)
            peak, exact = measure.peak()
            peak_text = "?" if peak is None else f"{'' if exact else '~'}{peak:.0f} MB"
            print(f"    {walls}; peak {peak_text}", flush=True)
        self.measures[label] = measure
        return measure

    def clear_cache(self, _: int = 0) -> None:
        """Remove every file postil keeps in the cache folder (its index included)."""
        shutil.rmtree(self.cache, ignore_errors=True)

    def add(self, row: Row) -> None:
        """Add a row to the table."""
        self.rows.append(row)

    # -- the measures ----------------------------------------------------------------------

    def baselines(self) -> None:
        """The raw read, the naive loop and grep for each word."""
        run([str(READ_ALL), "raw", self.folder], self.env, python_script=True)  # page cache
        raw = self.measure("raw read of every post file", [str(READ_ALL), "raw", self.folder])
        self.add(Row("raw read of every post file", raw, baseline="(baseline)"))
        if self.n <= NAIVE_MAX:
            naive = self.measure(
                "naive loop: frontmatter.load", [str(READ_ALL), "frontmatter", self.folder]
            )
            self.add(Row("naive loop: frontmatter.load", naive, baseline="(baseline)"))
        else:
            print(f"  naive loop: skipped above {NAIVE_MAX:,} posts (the cold ls target is at 50k)")
            self.add(Row("naive loop: frontmatter.load", detail=f"skipped above {NAIVE_MAX:,}"))
        grep_env = {**self.env, "LC_ALL": "C.UTF-8"}
        for label, word in self.words.items():
            self.measure(
                f"grep {label}",
                ["grep", "-rlF", "--", word, self.folder],
                capture=True,
                env=grep_env,
            )

    def listing(self) -> None:
        """``postil ls``: first run, cold, warm."""
        argv = [str(POSTIL), "ls", self.folder]
        first = self.measure("ls, first run", argv, before=self.clear_cache, runs=1)
        self.add(self._against_naive(Row("ls, first run (empty cache)", first), first, None))
        if self.n <= COLD_MAX:
            cold = self.measure("ls cold", argv, before=self.clear_cache)
            row = Row("ls cold (cache removed)", cold)
            self.add(self._against_naive(row, cold, COLD_MIN.get(self.n)))
        warm = self.measure("ls warm", argv)
        self.add(self._against_raw(Row("ls warm", warm), warm, WARM_MAX.get(self.n)))

    def _against_naive(self, row: Row, measure: Measure, least: float | None) -> Row:
        """``row`` with the naive loop as baseline (if run), ``least`` as the target speed-up."""
        naive = self.measures.get("naive loop: frontmatter.load")
        if measure.ok and naive is not None and naive.ok:
            best, row.ratio = _ratio(measure, naive, inverse=True, unit="x faster")
            row.baseline = f"naive {_secs(naive.best)}"
            if least is not None:
                row.target, row.verdict = f"≥ {least:.0f}x faster", best >= least
        return row

    def _against_raw(self, row: Row, measure: Measure, most: float | None) -> Row:
        """``row`` with the raw read as baseline, and ``most`` as the target ratio."""
        raw = self.measures["raw read of every post file"]
        if measure.ok and raw.ok:
            best, row.ratio = _ratio(measure, raw)
            row.baseline = f"raw read {_secs(raw.best)}"
            if most is not None:
                row.target, row.verdict = f"≤ {most}x", best <= most
        return row

    def indexing(self) -> None:
        """``postil index``: on an empty cache, its size, and with nothing changed."""
        if not self.has_index:
            for label in ("index, empty cache", "index size on disk", "index, nothing changed"):
                self.add(Row(label, detail="not available"))
            return
        argv = [str(POSTIL), "index", self.folder]
        build = self.measure("index, empty cache", argv, before=self.clear_cache)
        row = Row("index, empty cache", build)
        if build.ok and self.n in INDEX_MAX_S:
            row.target = f"≤ {INDEX_MAX_S[self.n]:.0f} s"
            row.verdict = build.best <= INDEX_MAX_S[self.n]
        self.add(row)
        if build.ok:
            size, disk = disk_usage(self.cache)
            ratio = disk / self.archive.disk_bytes
            row = Row(
                "index size on disk",
                detail=f"{_mb(disk)}, {_mb(size)} of data",
                baseline=f"archive {_mb(self.archive.disk_bytes)}",
                ratio=f"{ratio:.2f}x",
            )
            if self.n in INDEX_SIZE_MAX:
                row.target = f"≤ {INDEX_SIZE_MAX[self.n]:.0f}x"
                row.verdict = ratio <= INDEX_SIZE_MAX[self.n]
            self.add(row)
        self.add(Row("index, nothing changed", self.measure("index, nothing changed", argv)))

    def queries(self) -> None:
        """``postil ls -q``: a metadata query and the text queries, warm."""
        meta = self.measure(
            "ls -q metadata", [str(POSTIL), "ls", "-q", META_QUERY, self.folder], capture=True
        )
        row = self._against_raw(Row(f"ls -q {META_QUERY!r}", meta), meta, None)
        self.add(self._peak_target(row, meta))
        for label, word in self.words.items():
            query = f'"{word}"' if " " in word else word
            argv = [str(POSTIL), "ls", "-q", query, "--limit", LIMIT, self.folder]
            found = self.measure(f"ls -q {label}", argv, capture=True)
            row = Row(f"ls -q {query} --limit {LIMIT}", found, detail=label)
            grep = self.measures[f"grep {label}"]
            if found.ok and grep.ok:
                row.baseline = f"grep {_secs(grep.best)}, {grep.lines:,} files"
                row.ratio = _ratio(found, grep)[1]
            self.add(self._peak_target(row, found))

    def _peak_target(self, row: Row, measure: Measure) -> Row:
        """``row`` with the ``ls -q`` peak memory target of this size, if any."""
        most = QUERY_PEAK_MB.get(self.n)
        if measure.ok:
            rows = f"{measure.lines:,} row{'' if measure.lines == 1 else 's'}"
            row.detail = f"{row.detail}, {rows}" if row.detail else rows
            peak, _ = measure.peak()
            if most is not None and peak is not None:
                row.target, row.verdict = f"peak ≤ {most:.0f} MB", peak <= most
        return row

    def changes(self) -> None:
        """``postil index`` and ``postil ls`` after 10 posts changed; the posts restored."""
        step = max(len(self.files) // CHANGED, 1)
        chosen = self.files[::step][:CHANGED]
        try:
            if self.has_index:
                argv = [str(POSTIL), "index", self.folder]
                again = self.measure(
                    "index, 10 posts changed",
                    argv,
                    before=lambda i: edit_posts(self.archive, chosen, f"index-{i}"),
                )
                row = Row(f"index, {len(chosen)} posts changed", again)
                if again.ok and self.n in REINDEX_MAX_S:
                    row.target = f"≤ {REINDEX_MAX_S[self.n]:.0f} s"
                    row.verdict = again.best <= REINDEX_MAX_S[self.n]
                self.add(row)
            else:
                self.add(Row(f"index, {CHANGED} posts changed", detail="not available"))
            argv = [str(POSTIL), "ls", self.folder]
            listed = self.measure(
                "ls, 10 posts changed",
                argv,
                before=lambda i: edit_posts(self.archive, chosen, f"ls-{i}"),
            )
            self.add(
                self._against_raw(Row(f"ls, {len(chosen)} posts changed", listed), listed, None)
            )
        finally:
            restore_posts(self.archive)


# -- output --------------------------------------------------------------------------------

_HEAD = ("measure", "runs", "wall min / median", "cpu", "peak", "baseline", "ratio", "target", "")


def _cells(row: Row) -> list[str]:
    label = f"{row.label} ({row.detail})" if row.detail else row.label
    m = row.measure
    verdict = {True: "✓", False: "✗", None: ""}[row.verdict]
    if m is None:
        return [label, "", "", "", "", row.baseline, row.ratio, row.target, verdict]
    if not m.ok:
        return [label, "0", "failed", "", "", row.baseline, "", row.target, "✗"]
    wall = _secs(m.best) + (f" / {_secs(m.median)}" if len(m.runs) > 1 else "")
    cpu = min(r.cpu_s for r in m.runs)
    bg = min(r.background_cpu_s for r in m.runs)
    cpu_text = f"{cpu:.2f} s" + (f" +{bg:.2f} bg" if bg >= 0.01 else "")
    peak, exact = m.peak()
    peak_text = "" if peak is None else f"{'' if exact else '~'}{peak:.0f} MB"
    cells = [label, str(len(m.runs)), wall, cpu_text, peak_text]
    return [*cells, row.baseline, row.ratio, row.target, verdict]


def print_table(rows: list[Row]) -> None:
    """Print the rows aligned by terminal cells (labels hold Chinese words)."""
    table = [list(_HEAD), *(_cells(r) for r in rows)]
    widths = [max(cell_len(line[c]) for line in table) for c in range(len(_HEAD))]
    for line in table:
        cells = [cell + " " * (w - cell_len(cell)) for cell, w in zip(line, widths, strict=True)]
        print("  " + "  ".join(cells).rstrip())


def print_growth(results: dict[int, list[Row]]) -> None:
    """Each measure's peak memory at every size, to see it grow with the archive."""
    sizes = sorted(results)
    print("\npeak memory as the archive grows: " + " → ".join(f"{n:,}" for n in sizes))
    for row in results[sizes[0]]:
        peaks = []
        for n in sizes:
            match = next((r for r in results[n] if r.label == row.label), None)
            peak = match.measure.peak()[0] if match and match.measure and match.measure.ok else None
            peaks.append("–" if peak is None else f"{peak:.0f} MB")
        if any(p != "–" for p in peaks):
            print(f"  {row.label}: {' → '.join(peaks)}")


# -- driver --------------------------------------------------------------------------------


def _open_archive(n: int) -> CachedArchive | None:
    """The cached archive of ``n`` posts (generated if needed), or None without room."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"archive-{n}-{SEED}"
    if not folder.exists() and shutil.disk_usage(root).free < n * DISK_PER_POST * 1.2:
        free = shutil.disk_usage(root).free
        print(f"  skipped: {n:,} posts need ~{_mb(n * DISK_PER_POST)}, {root} has {_mb(free)} free")
        return None
    print(f"  archive: {folder} (generated once and kept; generating takes minutes at 500k)")
    archive = ensure_archive(n, SEED)
    how = "reused" if archive.generated_s is None else f"generated in {archive.generated_s:.0f} s"
    print(
        f"  {archive.files:,} posts, {_mb(archive.size_bytes)} ({_mb(archive.disk_bytes)} on"
        f" disk), {how}; delete with: rm -rf {shlex.quote(str(folder))}",
        flush=True,
    )
    return archive


def bench_size(n: int, runs: int, has_index: bool, home: Path) -> list[Row] | None:
    """Every measure on the archive of ``n`` posts; the table's rows (None: skipped)."""
    print(f"\nN={n:,}: load average {_load()} at start", flush=True)
    archive = _open_archive(n)
    if archive is None:
        return None
    bench = SizeBench(archive, home, runs, has_index)
    print("  words: " + ", ".join(f"{k} {v!r}" for k, v in bench.words.items()))
    bench.baselines()
    bench.listing()
    bench.indexing()
    bench.queries()
    bench.changes()
    print(f"\nN={n:,}: load average {_load()} at the end; ratios are best over best (medians)")
    print_table(bench.rows)
    return bench.rows


def _env_ints(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = os.environ.get(name, "").replace("_", "")
    return tuple(int(x) for x in raw.split(",") if x.strip()) if raw.strip() else default


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return out.stdout.strip()


def main() -> None:
    """Run every size and print a table for each."""
    sizes = _env_ints("POSTIL_BENCH_INDEX_SIZES", SIZES)
    runs = max(_env_ints("POSTIL_BENCH_INDEX_RUNS", (RUNS,))[0], 1)
    print(
        f"postil: {POSTIL} ({_commit()}); sizes {', '.join(f'{n:,}' for n in sizes)}; {runs} runs"
    )
    print(f"archives are kept in {cache_root()} (delete with: rm -rf {cache_root()})")
    reaper = set_subreaper(True)
    if not reaper:
        print("  (no child subreaper here: processes a run leaves behind are not waited for)")
    results: dict[int, list[Row]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="postil-bench-home-") as home:
            has_index, usage = index_command(private_env(Path(home) / "probe"))
            print(f"postil index: {'available' if has_index else 'not available'} ({usage})")
            for n in sizes:
                rows = bench_size(n, runs, has_index, Path(home) / f"home-{n}")
                if rows is not None:
                    results[n] = rows
    finally:
        if reaper:
            set_subreaper(False)
    if len(results) > 1:
        print_growth(results)
    print(f"\nload average {_load()} at the end")


if __name__ == "__main__":
    main()
