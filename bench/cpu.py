"""Server CPU from /proc: utime + stime of a process and all its descendants (gunicorn's workers too).

Read from outside, so it counts the same way for Core DICT and for the bare baselines, whatever they
run on. PostgreSQL's and Redis's own CPU is not in it: they are shared servers, not ours.
"""

import os
from collections.abc import Iterable
from pathlib import Path

PROC = Path("/proc")
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, utime + stime in ticks) of a live process, or None if it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command name may hold spaces and parentheses
    return int(fields[1]), int(fields[11]) + int(fields[12])


def tree_cpu_ms(roots: Iterable[int]) -> float:
    """CPU milliseconds used so far by ``roots`` and every live descendant of theirs."""
    parents: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents.setdefault(stat[0], []).append(int(entry.name))
            ticks[int(entry.name)] = stat[1]
    total, pending, seen = 0, list(roots), set()
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += ticks.get(pid, 0)
        pending += parents.get(pid, [])
    return total * TICK_MS
