"""The peak memory of this process, for benchmarks that run each measurement in a child.

``getrusage(RUSAGE_SELF).ru_maxrss`` is not the child's own figure on Linux: the kernel
carries the high-water mark over ``fork`` and ``exec``, so a child started by a big parent
(say, one that has just generated a 50k-post archive) reports at least the parent's size.
``VmHWM`` in ``/proc/self/status`` belongs to the current program's address space only.
"""

from __future__ import annotations

import resource


def peak_rss_mb() -> float:
    """This program's peak resident memory in MB (VmHWM; ru_maxrss where there is no /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
