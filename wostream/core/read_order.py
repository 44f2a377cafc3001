"""Routing sees each partition's events in log order, without holes: the judge of every offset read.

Faust's consumer can hand the route agent an event while events before it in the same partition were never
handed over: records fetched before a seek to the committed offsets are still delivered after it, and its
fetch loop then drops what it reads again below them (seen in the soak after a broker restart, up to 40
events at once). Routing such an event would deliver a ticket's later event before its earlier one;
committing it would lose them. So each partition's next offset is known (its committed offset after each
seek), and an event beyond it is a `Jump`: the log is asked for its first record from there. Nothing up to
the event: a hole the log really has (transaction markers, retention), passed. Otherwise the partition
waits for that record: what arrives beyond it is refused, and each time a new read skips it again the
partition is read again from it (`Refuse.seek`), at most `SEEKS` times; after that it stalls, uncommitted,
and the route watch has the worker restarted.

A partition is judged only between the seek that starts it and the next rebalance: from its revocation until
the seek to its committed offset, every event is refused (Faust may still hand over events read before the
rebalance; routing one of them while the partition waited for a record it skipped, then committing it, lost
the events in between in CI's soak). With nothing committed, a partition starts at offset 0: where the log
really starts is asked like any other jump.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

Partition = tuple[str, int]  # topic, partition
SEEKS = 5  # reads again of one partition for one missing record before it is left to the route watch


@dataclass(frozen=True)
class Route:
    """Route the event (after passing offsets [first, last] the log has no record at, if `hole`)."""

    hole: tuple[int, int] | None = None


@dataclass(frozen=True)
class Jump:
    """Not before the log is asked for its first record at offsets [first, last]."""

    first: int
    last: int


@dataclass(frozen=True)
class Refuse:
    """Do not route the event; read the partition again from `seek` (None: wait). `hole`: offsets before
    the record awaited that the log has no record at."""

    seek: int | None = None
    hole: tuple[int, int] | None = None


Verdict = Route | Jump | Refuse


@dataclass
class _Waiting:
    record: int  # the offset of the record awaited
    highest: int  # the highest offset refused meanwhile
    seeks: int = 1


@dataclass
class ReadOrder:
    expected: dict[Partition, int] = field(default_factory=dict)  # per partition, the next offset to route
    waiting: dict[Partition, _Waiting] = field(default_factory=dict)
    started: dict[Partition, int] = field(default_factory=dict)  # per partition, where its read started
    reads: dict[Partition, int] = field(default_factory=dict)  # per partition, restarts and closes so far

    def restart(self, at: Mapping[Partition, int | None]) -> None:
        """The partitions were sought to these offsets (None: nothing committed, so the log's start)."""
        for partition, offset in at.items():
            self.waiting.pop(partition, None)
            self.expected[partition] = 0 if offset is None or offset < 0 else offset
            self.started[partition] = self.expected[partition]
            self.reads[partition] = self.reads.get(partition, 0) + 1

    def close(self, partitions: Iterable[Partition]) -> None:
        """The partitions were revoked: nothing of them is routed until `restart` says where they start."""
        for partition in partitions:
            self.waiting.pop(partition, None)
            self.expected.pop(partition, None)
            self.started.pop(partition, None)
            self.reads[partition] = self.reads.get(partition, 0) + 1

    def describe(self, partition: Partition) -> str:
        """Where the partition's read stands, in words (for the line that names a stalled partition)."""
        expected = self.expected.get(partition)
        if expected is None:
            return f"revoked or not sought yet (reads {self.reads.get(partition, 0)})"
        said = f"next offset {expected}, read started at {self.started.get(partition)}"
        waiting = self.waiting.get(partition)
        if waiting is not None:
            said += f", waiting for {waiting.record} (read again {waiting.seeks} times)"
        return said

    def judge(self, partition: Partition, offset: int) -> Verdict:
        waiting = self.waiting.get(partition)
        if waiting is not None:
            return self._while_waiting(partition, offset, waiting)
        expected = self.expected.get(partition)
        if expected is None:  # revoked, or not sought yet: read again once it is
            return Refuse()
        if offset > expected:
            return Jump(expected, offset - 1)
        # the next one, or one routed before, read again
        self.expected[partition] = max(offset + 1, expected)
        return Route()

    def settle(self, partition: Partition, offset: int, record: int | None, read: int) -> Verdict:
        """After a `Jump` to `offset`: the log's first record from the expected offset on (None: none
        before `offset`). `read`: the partition's `reads` when it jumped; if it was revoked or sought since
        (the log was being asked meanwhile), the answer is about a read that is over: refused."""
        if self.reads.get(partition, 0) != read:
            return Refuse()
        expected = self.expected.get(partition, offset)
        if record is None or record >= offset:
            self.expected[partition] = offset + 1
            return Route((expected, offset - 1))
        self.waiting[partition] = _Waiting(record, offset)
        self.expected[partition] = record
        return Refuse(record, (expected, record - 1) if record > expected else None)

    def _while_waiting(self, partition: Partition, offset: int, waiting: _Waiting) -> Verdict:
        if offset == waiting.record:
            del self.waiting[partition]
            self.expected[partition] = offset + 1
            return Route()
        if offset < waiting.record:  # routed before, read again: routing it again is harmless
            return Route()
        if offset > waiting.highest:  # the rest of the read before
            waiting.highest = offset
            return Refuse()
        waiting.highest = offset  # a new read that skipped the record again
        if waiting.seeks >= SEEKS:
            return Refuse()
        waiting.seeks += 1
        return Refuse(waiting.record)
