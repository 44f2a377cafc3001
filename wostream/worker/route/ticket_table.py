"""Ticket memory in the worker: a Faust table keyed by serviceOrderId, co-partitioned with the raw topic.

Events of one ticket are read in order from one partition (the re-keying agent sees to it for producers that
do not key by ticket), so the table is read and updated in routing's order. Its changelog rebuilds it after a
crash, a rebalance or on another worker; `rocksdb://` keeps it on disk so a restart does not replay it all.
Writes go to the changelog partition of the key (`use_partitioner`), which is the partition of the ticket's
events (same key, same partitioner), so the sweep can delete expired tickets outside stream iteration too.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from typing import Any

from faust.streams import _current_event  # faust-streaming 0.15.3, pinned: the store reads it

from wostream.broker.batches import partition_for
from wostream.broker.producer import Producer
from wostream.core.models import Ticket
from wostream.core.ticket_memory import recall
from wostream.records.tickets import decode_ticket, latest_keys, latest_partition_key, ticket_value

log = logging.getLogger(__name__)

SWEEP_CHUNK = 500  # entries looked at between two yields to the event loop


class TicketTable:
    """The Faust table, in the terms routing uses (`core.models.Ticket` by serviceOrderId)."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def get(self, ticket_id: str) -> Ticket | None:
        return decode_ticket(self.table.get(ticket_id.encode("utf-8")))

    def put(self, ticket_id: str, ticket: Ticket, event: Any) -> None:
        """Store the ticket as of `event` (its last event routed): Faust's RocksDB store files a write under
        the partition of the *current* event, which outside per-event iteration (the route agent takes
        chunks) must be said; the ticket's events and its table entry share a partition."""
        token = _current_event.set(weakref.ref(event))
        try:
            self.table[ticket_id.encode("utf-8")] = ticket_value(ticket)
        finally:
            _current_event.reset(token)

    async def sweep_every(self, interval: float, ttl: float, producer: Producer, latest_topic: str) -> None:
        """For the worker's life (supervised): forget expired tickets every `interval` seconds."""
        while True:
            await asyncio.sleep(interval)
            await self.sweep(time.time(), ttl, producer, latest_topic)

    async def sweep(self, now: float, ttl: float, producer: Producer, latest_topic: str) -> int:
        """Forget tickets that ended more than `ttl` ago (and their latest events); returns how many."""
        expired: list[bytes] = []
        for n, (key, value) in enumerate(list(self.table.items())):
            if n % SWEEP_CHUNK == 0:
                await asyncio.sleep(0)
            ticket = decode_ticket(value)
            if ticket is None or recall(ticket, now, ttl) is None:
                expired.append(key)
        for n, key in enumerate(expired):
            if n % SWEEP_CHUNK == 0:
                await asyncio.sleep(0)
            self.table.pop(key, None)
            ticket_id = key.decode("utf-8", "replace")
            partition = await partition_for(producer, latest_topic, latest_partition_key(ticket_id))
            for latest in latest_keys(ticket_id):
                await producer.send(latest_topic, key=latest, value=None, partition=partition)
        if expired:
            log.info("forgot %d tickets that ended more than %.0f days ago", len(expired), ttl / 86400)
        return len(expired)
