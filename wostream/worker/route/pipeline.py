"""The route flow's pipeline: route raw events, write their records, acknowledge each once they are confirmed.

The agent hands over events in chunks (what Faust had buffered, up to `CHUNK_EVENTS` of the app). A chunk is
routed in read order, its records written as one batch per topic partition (`broker.batches`), and the chunk
handed to `handing.Handing`, which confirms chunks strictly in the order they were read and acknowledges
their events only once every record of their chunk is confirmed (and keeps the order across failed writes).

A write the broker refuses for good (a record too large, an invalid topic) is not retried: the chunk's events
are written again one by one, and the one whose record is refused is quarantined with that reason instead, so
one record can never hold up every event behind it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from wostream.broker.batches import BatchWriter
from wostream.broker.errors import permanent
from wostream.broker.producer import Producer
from wostream.config.settings import Settings
from wostream.core.directory import Directory
from wostream.core.drift import Drift
from wostream.core.models import RouteResult, Ticket
from wostream.core.routing import Memory, internal_error, route
from wostream.records.writes import Write, plan_all, quarantine
from wostream.worker.route.handing import Chunk, Handing
from wostream.worker.route.ticket_table import TicketTable
from wostream.worker.stats import Stats

log = logging.getLogger(__name__)

YIELD_EVERY = 32  # events routed between two yields to the event loop (pushes and Ice calls wait meanwhile)


@dataclass(frozen=True)
class Raw:
    """One raw event as the agent read it."""

    event: Any  # the Faust event, acknowledged when its records are confirmed
    value: bytes
    key: bytes | None
    source: str  # topic:partition:offset
    rekey: (
        bool  # read from the raw topic with ticket memory on: re-sent keyed by its ticket if keyed otherwise
    )


@dataclass
class Routed:
    raw: Raw
    result: RouteResult
    writes: list[Write]


Acknowledge = Callable[[Any], object]  # tells the consumer an event (as the agent read it) is handed on


class Topics(Protocol):
    """Makes sure a topic the pipeline writes to exists (cheap once known)."""

    async def ensure(self, topic: str) -> None: ...


class RoutePipeline:
    def __init__(
        self,
        settings: Settings,
        directory: Directory,
        topics: Topics,
        producer: Producer,
        tickets: TicketTable | None,
        stats: Stats,
        drift: Drift,
    ) -> None:
        self.settings = settings
        self.directory = directory
        self.stats = stats
        self.drift = drift
        self.topics = topics
        self.tickets = tickets
        self.writer = BatchWriter(producer)
        self.handing = Handing(self._send_all, self._one_by_one, self._count, settings.route_in_flight)

    def oldest_wait(self) -> float:
        """Seconds the oldest unacknowledged raw event has waited to be handed on (0 when none waits)."""
        head = self.handing.head
        return 0.0 if head is None else time.monotonic() - head.since

    def describe(self) -> str:
        """The pipeline's state in words, for the line that names a stalled partition."""
        said = f"{self.handing.queued} events routed, unconfirmed, the oldest for {self.oldest_wait():.1f} s"
        return said + ("; new writes held after a failure" if self.handing.held else "")

    async def submit(self, raws: Sequence[Raw], acknowledge: Acknowledge) -> None:
        """Route and write a chunk; returns once it is queued for `acknowledge` (waits while
        `route_in_flight` events are unconfirmed).

        With ticket memory, each event sees its ticket as the events before it left it (in this chunk too);
        the table gets a ticket's state once per chunk, and only when the chunk changed it.
        """
        changed: dict[str, tuple[Ticket, Any]] = {}  # a ticket's state after this chunk, and its last event
        items = []
        for n, raw in enumerate(raws, 1):
            items.append(self._route(raw, changed))
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)
        if self.tickets is not None:
            for ticket_id, (ticket, event) in changed.items():
                self.tickets.put(ticket_id, ticket, event)
        await self.handing.add(Chunk(items, acknowledge))

    def _route(self, raw: Raw, changed: dict[str, tuple[Ticket, Any]]) -> Routed:
        now = time.time()
        memory = None
        if self.tickets is not None:
            table = self.tickets

            def recall(ticket_id: str) -> Ticket | None:
                found = changed[ticket_id][0] if ticket_id in changed else table.get(ticket_id)
                seen.append(found)
                return found

            memory = Memory(recall, now, self.settings.ticket_ttl)
        seen: list[Ticket | None] = []  # what routing recalled: the ticket is stored only if it changed
        result = route(
            raw.value, raw.key, self.directory.index, self.directory.idmaps, self.drift, memory, raw.rekey
        )
        if result.ticket is not None and result.ticket_id is not None and seen and result.ticket != seen[0]:
            changed[result.ticket_id] = (result.ticket, raw.event)
        return Routed(raw, result, plan_all(self.settings, result, raw.value, raw.key, raw.source, now))

    async def acknowledge_in_order(self) -> None:
        """Runs for the worker's life (supervised): `handing.Handing`."""
        await self.handing.run()

    async def _one_by_one(self, chunk: Chunk) -> None:
        """A batch was refused for good: find the event whose record it was, write the others."""
        for item in chunk.items:
            while True:
                try:
                    await asyncio.gather(*await self._send_all(item.writes))
                    break
                except Exception as exc:
                    if permanent(exc):
                        self._give_up(item, exc)
                    else:
                        log.error("could not hand on event from %s, retrying: %s", item.raw.source, exc)
                        await asyncio.sleep(1.0)

    def _give_up(self, item: Routed, exc: BaseException) -> None:
        """Replace what cannot be written with a quarantine record saying so (copies already written stay)."""
        reason = internal_error(exc, "the broker refused a record of this event for good")
        log.error("event from %s quarantined: %s", item.raw.source, reason)
        reasons = [*item.result.quarantine, reason]
        raw = item.raw
        item.writes = [
            quarantine(self.settings, reasons, raw.value, raw.key, raw.source, item.result.event_id)
        ]
        item.result = RouteResult(item.result.event_id, item.result.change_id, quarantine=tuple(reasons))

    async def _send_all(self, writes: list[Write]) -> list[asyncio.Future[Any]]:
        """Queue the writes in batches; a failure to even queue them comes back as a failed future."""
        try:
            for topic in {w.topic for w in writes}:
                await self.topics.ensure(topic)
            return await self.writer.send(writes)
        except Exception as exc:
            return [_failed(exc)]

    def _count(self, item: Routed) -> None:
        reasons = [v.decode("utf-8", "replace") for w in item.writes for k, v in w.headers if k == "reason"]
        if reasons:
            self.stats.quarantine(item.raw.source, reasons[0])
            log.warning("quarantined event from %s: %s", item.raw.source, reasons[0][:1000])
        if item.result.unsupported:
            self.stats.unsupported += 1
        self.stats.routed += sum(1 for w in item.writes if self.settings.base_code_of(w.topic) is not None)


def _failed(exc: Exception) -> asyncio.Future[Any]:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    future.set_exception(exc)
    return future
