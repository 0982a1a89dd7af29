"""``make bench``: runs every ``tests/bench/bench_*.py`` module's ``main()`` in turn.

Benchmarks report figures; they assert nothing about time. ``python -m tests.bench NAME``
runs only the modules whose name contains NAME.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    """Run the selected benchmark modules and return an exit status."""
    here = Path(__file__).resolve().parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    wanted = [n for n in names if not argv or any(a in n for a in argv)]
    if not wanted:
        print(f"no benchmark matches {' '.join(argv)!r}; have: {', '.join(names)}")
        return 2
    for name in wanted:
        print(f"\n=== {name}", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"tests.bench.{name}")
        module.main()
        print(f"--- {name} done in {time.perf_counter() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
