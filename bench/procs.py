"""Processes as Linux's /proc shows them: for the measurements (CPU, memory of an engine and
its children) and for the tests that check a stack leaves nothing running."""

from __future__ import annotations

import os
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat from its state on (field n at index n - 3); None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # After "(comm)", which may hold spaces and parentheses.
    return text[text.rindex(")") + 2 :].split()


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it, parents first."""
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (fields := stat_fields(int(name))) is not None:
            parents[int(name)] = int(fields[1])
    found, frontier = [root], {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier}
        found += sorted(frontier)
    return [pid for pid in found if pid in parents]


def running(pid: int) -> bool:
    """Alive, and not a zombie waiting for its parent."""
    fields = stat_fields(pid)
    return fields is not None and fields[0] != "Z"
