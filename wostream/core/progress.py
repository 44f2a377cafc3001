"""Whether a consumed partition has stopped moving: events wait in it (its end is beyond the group's committed
offset) and the committed offset has not changed for a while.

Faust can leave a partition unconsumed for good when the broker goes away while it seeks its newly assigned
partitions to their committed offsets (seen in the soak: a broker restart during a rebalance); nothing in
Faust says so. The route role watches its own partitions with this and names the stall on /health, whose
liveness probe then restarts the worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Partition = tuple[str, int]


@dataclass(frozen=True)
class Stall:
    topic: str
    partition: int
    waiting: int  # events between the committed offset and the end
    seconds: float  # since the committed offset last moved (or the partition was first seen)


@dataclass
class Progress:
    since: dict[Partition, tuple[int, float]] = field(default_factory=dict)  # committed, when it last moved

    def stalled(self, offsets: Mapping[Partition, tuple[int, int]], now: float, limit: float) -> list[Stall]:
        """Fold `offsets` ((committed, end) per partition watched now; -1: nothing committed yet) seen at
        `now`, and return the partitions stalled for at least `limit` seconds. A partition that has caught
        up is never stalled, whatever its age (an empty one with nothing committed has caught up too: the
        soak's restart storm of 2026-12 came from treating -1 < 0 as an event waiting); one no longer
        watched is forgotten."""
        for gone in set(self.since) - set(offsets):
            del self.since[gone]
        found = []
        for where, (committed, end) in sorted(offsets.items()):
            last = self.since.get(where)
            if last is None or last[0] != committed or max(committed, 0) >= end:
                self.since[where] = (committed, now)
                continue
            if now - last[1] >= limit:
                found.append(Stall(where[0], where[1], end - max(committed, 0), now - last[1]))
        return found


def describe(stalls: list[Stall]) -> str:
    """One line for /health and the log."""
    parts = ", ".join(f"{s.topic}[{s.partition}] {s.waiting} waiting for {s.seconds:.0f} s" for s in stalls)
    return f"routing stalled: no progress on {parts} (a restart reassigns them)"
