"""The route agent's body: route one raw event, write its records, acknowledge it once they are on the broker.

Awaiting the broker for each event before reading the next caps a worker at a few hundred events per second
(one acks=all round trip each). So writes are pipelined and acknowledgements are not: each event's records are
sent at once, and a single task acknowledges events strictly in the order they were read, each only after all
of its records are confirmed. Faust commits what is acknowledged, so a crash re-routes from the first
unconfirmed event: duplicates, never gaps. The producer is idempotent, so within a partition a later write
cannot land while an earlier one failed: re-sending a failed event keeps the order.

A write the broker refuses for good (a record too large, an invalid topic) is not retried: the event is
quarantined with that reason instead, so one record can never hold up every event behind it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer

from wostream.broker.errors import permanent
from wostream.config.settings import Settings
from wostream.core.directory import Directory
from wostream.core.drift import Drift
from wostream.core.models import RouteResult
from wostream.core.routing import Memory, internal_error, route
from wostream.records.writes import Write, plan_all, quarantine
from wostream.worker.stats import Stats
from wostream.worker.tickets import TicketTable

log = logging.getLogger(__name__)

YIELD_EVERY = 100  # writes queued between two yields to the event loop


@dataclass
class InFlight:
    event: Any  # the Faust event, acknowledged when its records are confirmed
    result: RouteResult
    writes: list[Write]
    raw: bytes
    key: bytes | None
    source: str
    futures: list[asyncio.Future[Any]]
    since: float  # monotonic time it was read


class Handoff:
    def __init__(
        self,
        settings: Settings,
        directory: Directory,
        stats: Stats,
        drift: Drift,
        ensure_topic: Callable[[str], Awaitable[None]],
        tickets: TicketTable | None = None,
    ) -> None:
        self.settings = settings
        self.directory = directory
        self.stats = stats
        self.drift = drift
        self.ensure_topic = ensure_topic
        self.tickets = tickets
        self.producer: AIOKafkaProducer | None = None
        self._pending: asyncio.Queue[InFlight] = asyncio.Queue(maxsize=settings.route_in_flight)
        self._head: InFlight | None = None  # the event being confirmed: the oldest not yet handed on

    def start(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer

    def oldest_wait(self) -> float:
        """Seconds the oldest unacknowledged raw event has waited to be handed on (0 when none waits)."""
        head = self._head
        return 0.0 if head is None else time.monotonic() - head.since

    async def submit(
        self, event: Any, raw: bytes, key: bytes | None, source: str, rekey: bool = False
    ) -> None:
        """Route and send; returns once the event is queued for acknowledgement (waits when too many are).

        With ticket memory, the ticket's new state is stored at once: the next event of the ticket (read from
        the same partition, after this one) must see it, whether or not this one's writes are confirmed yet.
        """
        now = time.time()
        memory = None if self.tickets is None else Memory(self.tickets.get, now, self.settings.ticket_ttl)
        result = route(raw, key, self.directory.index, self.directory.idmaps, self.drift, memory, rekey)
        if self.tickets is not None and result.ticket is not None and result.ticket_id is not None:
            self.tickets.put(result.ticket_id, result.ticket)
        writes = plan_all(self.settings, result, raw, key, source, now)
        try:
            futures = await self._send(writes)
        except Exception as exc:  # could not even queue the writes: confirm them below
            futures = [_failed(exc)]
        await self._pending.put(InFlight(event, result, writes, raw, key, source, futures, time.monotonic()))

    async def acknowledge_in_order(self) -> None:
        """Runs for the worker's life (supervised): confirms and acknowledges events in the order read."""
        while True:
            # after a crash, the event that was being confirmed comes first: it was taken off the queue
            item = self._head if self._head is not None else await self._pending.get()
            self._head = item
            await self._confirm(item)
            self._head = None
            item.event.ack()
            self._count(item)

    async def _confirm(self, item: InFlight) -> None:
        futures = item.futures
        while True:  # the event is not acknowledged until it is handed on
            try:
                await asyncio.gather(*futures)
                return
            except Exception as exc:
                if permanent(exc):
                    self._give_up(item, exc)
                else:
                    log.error("could not hand on event from %s, retrying: %s", item.source, exc)
                    await asyncio.sleep(1.0)
            try:
                futures = await self._send(item.writes)
            except Exception as exc:
                futures = [_failed(exc)]

    def _give_up(self, item: InFlight, exc: BaseException) -> None:
        """Replace what cannot be written with a quarantine record saying so (copies already written stay)."""
        reason = internal_error(exc, "the broker refused a record of this event for good")
        log.error("event from %s quarantined: %s", item.source, reason)
        reasons = [*item.result.quarantine, reason]
        item.writes = [
            quarantine(self.settings, reasons, item.raw, item.key, item.source, item.result.event_id)
        ]
        item.result = RouteResult(item.result.event_id, item.result.change_id, quarantine=tuple(reasons))

    async def _send(self, writes: list[Write]) -> list[asyncio.Future[Any]]:
        assert self.producer is not None, "handoff not started"
        futures = []
        for n, w in enumerate(writes, 1):
            await self.ensure_topic(w.topic)
            futures.append(await self.producer.send(w.topic, key=w.key, value=w.value, headers=w.headers))
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # an event for a thousand subscribers must not hold the loop for all
        return futures

    def _count(self, item: InFlight) -> None:
        reasons = [v.decode("utf-8", "replace") for w in item.writes for k, v in w.headers if k == "reason"]
        if reasons:
            self.stats.quarantine(item.source, reasons[0])
            log.warning("quarantined event from %s: %s", item.source, reasons[0][:1000])
        if item.result.unsupported:
            self.stats.unsupported += 1
        self.stats.routed += sum(1 for w in item.writes if self.settings.base_code_of(w.topic) is not None)


def _failed(exc: Exception) -> asyncio.Future[Any]:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    future.set_exception(exc)
    return future
