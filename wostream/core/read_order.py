"""Routing sees each partition's events in log order, without holes: the judge of every offset read.

Faust's consumer can hand the route agent an event while events before it in the same partition were never
handed over (dropped around a rebalance: seen in the soak after a broker restart, up to 40 events at once).
Routing it would deliver a ticket's later event before its earlier one; committing it would lose them. So
each partition's next offset is known (its committed offset, after each seek to it), and an event beyond it
is a `Jump`: the log is asked whether it really has nothing in between (transaction markers, retention). If
so the hole is passed; if not, the partition is `held`: nothing more of it is routed or committed until the
next rebalance reads it again from the committed offset (the route watch names the stall on /health and the
liveness probe restarts the worker, which brings that rebalance). Reading the partition again in place was
tried and lost events: Faust's fetch loop drops what it re-reads below its own read offset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Partition = tuple[str, int]  # topic, partition


@dataclass(frozen=True)
class Route:
    """Route the event."""


@dataclass(frozen=True)
class Jump:
    """Not before the log is asked: has it any event at offsets [first, last]?"""

    first: int
    last: int


@dataclass(frozen=True)
class Held:
    """Do not route the event: its partition waits to be read again from `since`."""

    since: int


Verdict = Route | Jump | Held


@dataclass
class ReadOrder:
    expected: dict[Partition, int] = field(default_factory=dict)  # per partition, the next offset to route
    held: dict[Partition, int] = field(default_factory=dict)  # partitions waiting to be read again, from

    def restart(self, at: Mapping[Partition, int | None]) -> None:
        """The partitions were sought to these offsets (None: nothing committed, the first event read
        starts them)."""
        for partition, offset in at.items():
            self.held.pop(partition, None)
            if offset is None or offset < 0:
                self.expected.pop(partition, None)
            else:
                self.expected[partition] = offset

    def judge(self, partition: Partition, offset: int) -> Verdict:
        if partition in self.held:
            return Held(self.held[partition])
        expected = self.expected.get(partition)
        if expected is not None and offset > expected:
            return Jump(expected, offset - 1)
        # the first event of a partition with nothing committed; the next one; or one routed before, again
        self.expected[partition] = max(offset + 1, expected or 0)
        return Route()

    def settle(self, partition: Partition, offset: int, hole: bool) -> Verdict:
        """After a `Jump` to `offset`: the log has nothing in between (`hole`), or Faust skipped events."""
        expected = self.expected.get(partition, offset)
        if hole:
            self.expected[partition] = offset + 1
            return Route()
        self.held[partition] = expected
        return Held(expected)
