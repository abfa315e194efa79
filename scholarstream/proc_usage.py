"""Peak memory and CPU time of a running process, read from Linux's /proc.

`scholarstream run` reads them for its children just before stopping them (a reaped process has
no /proc entry left), so a backfill reports what each role cost. Elsewhere than Linux the
readings are simply absent.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Usage:
    peak_rss_mib: float  # VmHWM: the high-water mark of resident memory
    cpu_seconds: float  # user + system time of all its threads


def vm_hwm_kib(status: str) -> int | None:
    """The `VmHWM:` line of /proc/<pid>/status, in KiB (None when the kernel gives none)."""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            fields = line.split()
            return int(fields[1]) if len(fields) >= 2 and fields[1].isdigit() else None
    return None


def cpu_seconds(stat: str, ticks_per_second: int) -> float:
    """utime + stime of /proc/<pid>/stat (fields 14 and 15), in seconds.

    The command name (field 2) may hold spaces and parentheses, so fields are counted from the
    last ')'.
    """
    after_name = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(after_name[11]), int(after_name[12])  # fields 14, 15; after_name[0] is field 3
    return (utime + stime) / ticks_per_second


def usage_of(pid: int, proc: Path = Path("/proc")) -> Usage | None:
    try:
        status = (proc / str(pid) / "status").read_text()
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    peak = vm_hwm_kib(status)
    if peak is None:
        return None
    return Usage(round(peak / 1024, 1), round(cpu_seconds(stat, os.sysconf("SC_CLK_TCK")), 2))


def own_usage() -> Usage:
    """This process. /proc first: Linux carries ru_maxrss over fork and exec, so a child started by
    a large parent would report the parent's peak; VmHWM belongs to this address space only."""
    measured = usage_of(os.getpid())
    if measured is not None:
        return measured
    own = resource.getrusage(resource.RUSAGE_SELF)
    return Usage(round(own.ru_maxrss / 1024, 1), round(own.ru_utime + own.ru_stime, 2))
