"""Routing sees each partition's events in log order, without holes: the judge of every offset read.

Faust's consumer can hand the route agent an event while events before it in the same partition were never
handed over (dropped around a rebalance, seen in the soak after a broker restart). Routing such an event
would deliver a ticket's later event before its earlier one, which arrives only after the partition is read
again. So each partition's next offset is known (the committed offset after each seek to it), an event
beyond it is refused, and the partition is read again from the offset expected. Events still queued from
the read before are refused too, until the read again starts: its first offset is at most the highest one
refused. If that first offset is beyond the one expected, the log itself has a hole there (a transaction
marker, compaction, retention) and it is accepted as such.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Partition = tuple[str, int]  # topic, partition


@dataclass(frozen=True)
class Route:
    """Route the event."""

    hole: tuple[int, int] | None = None  # offsets [first, last] the log has no event at, if it skipped any


@dataclass(frozen=True)
class ReadAgain:
    """Do not route the event; read the partition again from `offset` (None: already asked, keep waiting)."""

    offset: int | None


Verdict = Route | ReadAgain


@dataclass
class _Waiting:
    expected: int
    highest: int  # the highest offset refused since the read again was asked for


@dataclass
class ReadOrder:
    expected: dict[Partition, int] = field(default_factory=dict)  # per partition, the next offset to route
    waiting: dict[Partition, _Waiting] = field(default_factory=dict)

    def restart(self, at: Mapping[Partition, int | None]) -> None:
        """The partitions were sought to these offsets (None: nothing committed, the first event read
        starts them)."""
        for partition, offset in at.items():
            self.waiting.pop(partition, None)
            if offset is None or offset < 0:
                self.expected.pop(partition, None)
            else:
                self.expected[partition] = offset

    def judge(self, partition: Partition, offset: int) -> Verdict:
        expected = self.expected.get(partition)
        waiting = self.waiting.get(partition)
        if waiting is not None:
            if offset > waiting.highest:  # still from the read before
                waiting.highest = offset
                return ReadAgain(None)
            if offset < waiting.expected:  # one routed before, read again: routing it again is harmless
                return Route()
            del self.waiting[partition]  # the read again has started
            self.expected[partition] = offset + 1
            return Route((waiting.expected, offset - 1) if offset > waiting.expected else None)
        if expected is None or offset <= expected:
            # the first event of a partition with nothing committed; the next one; or one routed before
            self.expected[partition] = max(offset + 1, expected or 0)
            return Route()
        self.waiting[partition] = _Waiting(expected, offset)
        return ReadAgain(expected)
