"""What the load test concludes from what readers received: pure functions, no server.

A reader's poller is handed each new entry of its stream in the ``html`` of an updates
answer. Over a run, the entries it was handed must be exactly the entries published in the
stream after its page was loaded, each once, in the stream's order (oldest first by publish
time, then id: ``EntryQuerySet.oldest_first`` and the paging cursor).
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Delivery:
    """How one reader's received entries compare with what was published for it."""

    expected: int
    delivered: int
    lost: tuple[int, ...]
    duplicated: tuple[int, ...]
    out_of_order: tuple[int, ...]
    unexpected: tuple[int, ...]

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.out_of_order or self.unexpected)


def check_delivery(expected: Sequence[int], delivered: Sequence[int]) -> Delivery:
    """Compare the entry ids a reader received, in order, with those it should have.

    - lost: expected, never delivered;
    - duplicated: delivered more than once (each extra copy counted once per id);
    - unexpected: delivered but not expected (an entry from before the page, or not published);
    - out_of_order: the fewest expected entries that must move for the first copies to be in
      the expected order (the complement of their longest increasing run).
    """
    rank = {entry_id: position for position, entry_id in enumerate(expected)}
    counts = Counter(delivered)
    seen: set[int] = set()
    firsts = []
    for entry_id in delivered:
        if entry_id not in seen:
            seen.add(entry_id)
            firsts.append(entry_id)
    in_expected = [entry_id for entry_id in firsts if entry_id in rank]
    kept = set(_longest_increasing(in_expected, key=rank.__getitem__))
    return Delivery(
        expected=len(expected),
        delivered=len(delivered),
        lost=tuple(entry_id for entry_id in expected if entry_id not in counts),
        duplicated=tuple(entry_id for entry_id, n in counts.items() if n > 1),
        out_of_order=tuple(entry_id for entry_id in in_expected if entry_id not in kept),
        unexpected=tuple(entry_id for entry_id in firsts if entry_id not in rank),
    )


def _longest_increasing(items: Sequence[int], *, key) -> list[int]:
    """One longest subsequence of ``items`` whose keys strictly increase (patience sort)."""
    tails: list[int] = []  # key of the smallest tail of an increasing run of each length
    tail_index: list[int] = []
    parent: list[int] = [-1] * len(items)
    for index, item in enumerate(items):
        value = key(item)
        length = bisect.bisect_left(tails, value)
        if length == len(tails):
            tails.append(value)
            tail_index.append(index)
        else:
            tails[length] = value
            tail_index[length] = index
        parent[index] = tail_index[length - 1] if length else -1
    run = []
    index = tail_index[-1] if tail_index else -1
    while index != -1:
        run.append(items[index])
        index = parent[index]
    return run[::-1]


def percentile(values: Iterable[float], pct: float) -> float:
    """The nearest-rank percentile: the smallest value with ``pct`` % of values at or below it.

    NaN for no values; ``pct`` 100 is the maximum.
    """
    ordered = sorted(values)
    if not ordered:
        return math.nan
    if not 0 < pct <= 100:
        raise ValueError(f"A percentile is in (0, 100], not {pct}.")
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]
