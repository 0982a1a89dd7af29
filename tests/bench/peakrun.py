"""Run a Python script as this very process, then write this process's peak memory.

Usage: ``python peakrun.py OUT SCRIPT [ARG ...]`` runs SCRIPT (``.venv/bin/postil``, say)
as ``python SCRIPT ARG ...`` would, and at exit writes this process's VmHWM in kB to OUT.
The figure is the script's own: VmHWM belongs to the address space the interpreter got
at exec, unlike ``wait4``'s ``ru_maxrss``, which carries over the parent's high-water
mark (see peak.py). Run by path, not as a module: it imports nothing of the project, so
the measured process's ``sys.path`` is the script's own.
"""

from __future__ import annotations

import atexit
import os
import runpy
import sys


def vmhwm_kb(status: str = "/proc/self/status") -> int | None:
    """The VmHWM line of a ``/proc/PID/status`` file in kB, or None (no such line or file).

    A process that has exited (a zombie) has no VmHWM line; nor has a system without /proc.
    """
    try:
        with open(status, encoding="ascii", errors="replace") as lines:
            for line in lines:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def main(argv: list[str]) -> None:
    """Run ``argv[1]`` with ``argv[2:]`` as its arguments; report to ``argv[0]`` at exit."""
    out, script, *args = argv
    me = os.getpid()

    def report() -> None:
        # A forked child that leaves through sys.exit runs this too: only ours reports.
        kb = vmhwm_kb()
        if os.getpid() == me and kb is not None:
            with open(out, "w", encoding="ascii") as f:
                f.write(f"{kb}\n")

    # Registered first, so it runs after every handler the script registers.
    atexit.register(report)
    sys.argv = [script, *args]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
