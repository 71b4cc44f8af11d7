"""A process's own peak memory, for every measurement script: one place, one method.

`ru_maxrss` is the wrong number in a child process on Linux: the high-water mark of the
forking parent survives `fork` and `exec`, so a child of a 500 MB benchmark driver reports
at least 500 MB whatever it does itself. `VmHWM` in `/proc/self/status` belongs to the
address space `exec` created, so it is the child's own peak.
"""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_kib() -> int:
    """This process's own high-water resident size in KiB (VmHWM; `ru_maxrss` only where
    /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def peak_rss_mb() -> float:
    return round(peak_rss_kib() / 1024, 1)
