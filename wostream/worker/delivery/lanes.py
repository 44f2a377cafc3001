"""One push partition's bookkeeping: per-ticket chains and the offset that is safe to commit. No I/O.

Records of one partition are dispatched in offset order into one chain per ticket (serviceOrderId); each
chain pushes its records one at a time, so a ticket's order holds while up to `max_tickets` tickets of the
partition are in flight at once: a ticket that is being retried holds only its own chain. The commit position
is the lowest offset dispatched but not finished, so nothing unfinished is ever committed past.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import TypeAlias

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from wostream.core.outcomes import Failed, PushError, Refused
from wostream.core.schedules import RetryWhere
from wostream.records.headers import EVENT_ID, RESYNC, text_headers

Record: TypeAlias = ConsumerRecord[bytes, bytes]
REFUSING_TICKETS = 3  # refusals of this many different tickets in a row: the subscriber is failing


def ticket_of(record: Record) -> str:
    return (record.key or b"").decode("utf-8", "replace")


def source_of(record: Record) -> str:
    return f"{record.topic}:{record.partition}:{record.offset}"


def event_id_of(record: Record) -> str:
    """The event's stable id (its header), or where it sits when a record somehow lacks one."""
    return text_headers(record.headers).get(EVENT_ID, source_of(record))


def where_of(record: Record) -> RetryWhere:
    return (record.topic, record.partition, record.offset)


@dataclass
class Lane:
    tp: TopicPartition
    base_code: str
    queue: deque[Record] = field(default_factory=deque)  # fetched, not yet dispatched
    chains: dict[str, deque[Record]] = field(default_factory=dict)  # per ticket; the head is in flight
    outstanding: dict[int, None] = field(default_factory=dict)  # dispatched, unfinished offsets, in order
    next_offset: int | None = None  # one past the last dispatched offset
    committed: int | None = None
    paused: bool = False
    stopping: bool = False
    pushing: set[str] = field(default_factory=set)  # tickets with a push on the wire
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None  # the dispatcher
    tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)  # one per active chain

    @property
    def load(self) -> int:
        """Records held in memory for this partition (fetched and not yet finished)."""
        return len(self.queue) + len(self.outstanding)

    @property
    def done(self) -> int | None:
        """The offset to commit: everything below it is acknowledged or dead-lettered."""
        if self.outstanding:
            return next(iter(self.outstanding))
        return self.next_offset

    def take(self, max_tickets: int) -> tuple[str, bool] | None:
        """Dispatch the next record to its ticket's chain; (ticket, chain is new), or None if it must wait."""
        if not self.queue:
            return None
        record = self.queue[0]
        ticket = ticket_of(record)
        chain = self.chains.get(ticket)
        if chain is None and len(self.chains) >= max_tickets:
            return None
        self.queue.popleft()
        self.outstanding[record.offset] = None
        self.next_offset = record.offset + 1
        if chain is None:
            self.chains[ticket] = deque([record])
            return ticket, True
        chain.append(record)
        return ticket, False

    def take_batch(self, max_records: int, max_bytes: int) -> list[Record]:
        """Dispatch the next consecutive records as one batch (none while chains run: they came first): at
        most `max_records` and `max_bytes` of values (the first always fits), all resync or all not."""
        if self.chains or not self.queue:
            return []
        batch: list[Record] = []
        size = 0
        resync = _resync(self.queue[0])
        while self.queue and len(batch) < max_records:
            record = self.queue[0]
            size += len(record.value or b"")
            if batch and (size > max_bytes or _resync(record) != resync):
                break
            batch.append(self.queue.popleft())
            self.outstanding[record.offset] = None
            self.next_offset = record.offset + 1
        return batch

    def finish_batch(self, batch: list[Record]) -> None:
        """Every record of the batch is acknowledged or dead-lettered."""
        for record in batch:
            del self.outstanding[record.offset]

    def finish(self, ticket: str) -> bool:
        """The chain's head is acknowledged or dead-lettered; True when the chain is now empty (and gone)."""
        chain = self.chains[ticket]
        record = chain.popleft()
        del self.outstanding[record.offset]
        if chain:
            return False
        del self.chains[ticket]
        return True


def _resync(record: Record) -> bool:
    return (RESYNC, b"1") in (record.headers or ())


@dataclass
class Breaker:
    """Per subscriber: while it fails, one probe at a time (its backoff included), not one per ticket.

    A frozen, unreachable or wholly refusing subscriber would otherwise get a push per ticket in flight, each
    retried on its own schedule, and the worker would spend its time on calls that cannot succeed, slowing
    every other subscriber. Timeouts and lost connections trip it at once; refusals only when they span
    several tickets (one poison ticket is the subscriber's answer about that ticket, not a sign it is down).
    Any acknowledgement closes it.
    """

    failing: bool = False
    refused_tickets: set[str] = field(default_factory=set)
    probe: asyncio.Lock = field(default_factory=asyncio.Lock)

    def observe(self, error: PushError | None, ticket: str) -> None:
        if error is None:
            self.failing = False
            self.refused_tickets.clear()
        elif isinstance(error, Refused):
            self.refused_tickets.add(ticket)
            self.failing = self.failing or len(self.refused_tickets) >= REFUSING_TICKETS
        elif isinstance(error, Failed):
            self.failing = True
