"""The route agent's body: route one raw event, write its copies, acknowledge it once they are on the broker.

Awaiting the broker for each event before reading the next caps a worker at a few hundred events per second
(one acks=all round trip each). So writes are pipelined and acknowledgements are not: each event's copies are
sent at once, and a single task acknowledges events strictly in the order they were read, each only after all
of its copies (or its quarantine record) are confirmed. Faust commits what is acknowledged, so a crash
re-routes from the first unconfirmed event: duplicates, never gaps. The producer is idempotent, so within a
partition a later write cannot land while an earlier one failed: re-sending a failed event keeps the order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer

from wostream.config.settings import Settings
from wostream.core.directory import Directory
from wostream.core.drift import Drift
from wostream.core.models import RouteResult
from wostream.core.routing import route
from wostream.records.headers import push_headers, quarantine_headers
from wostream.worker.stats import Stats

log = logging.getLogger(__name__)


@dataclass
class InFlight:
    event: Any  # the Faust event, acknowledged when its copies are confirmed
    result: RouteResult
    raw: bytes
    key: bytes | None
    source: str
    futures: list[asyncio.Future[Any]]


class Handoff:
    def __init__(
        self,
        settings: Settings,
        directory: Directory,
        stats: Stats,
        drift: Drift,
        ensure_topic: Callable[[str], Awaitable[None]],
    ) -> None:
        self.settings = settings
        self.directory = directory
        self.stats = stats
        self.drift = drift
        self.ensure_topic = ensure_topic
        self.producer: AIOKafkaProducer | None = None
        self._pending: asyncio.Queue[InFlight] = asyncio.Queue(maxsize=settings.route_in_flight)
        self._task: asyncio.Task[None] | None = None

    def start(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self._task = asyncio.create_task(self._acknowledge_in_order(), name="wostream-route-acks")

    async def stop(self) -> None:
        """Unconfirmed events stay unacknowledged: they are routed again after a restart."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def submit(self, event: Any, raw: bytes, key: bytes | None, source: str) -> None:
        """Route and send; returns once the event is queued for acknowledgement (waits when too many are)."""
        result = route(raw, key, self.directory.index, self.directory.idmaps, self.drift)
        try:
            futures = await self._send(result, raw, key, source)
        except Exception as exc:  # could not even queue the writes: confirm synchronously below
            log.error("could not send event from %s: %s", source, exc)
            futures = [_failed(exc)]
        await self._pending.put(InFlight(event, result, raw, key, source, futures))

    async def _acknowledge_in_order(self) -> None:
        while True:
            item = await self._pending.get()
            await self._confirm(item)
            item.event.ack()
            self._count(item)

    async def _confirm(self, item: InFlight) -> None:
        try:
            await asyncio.gather(*item.futures)
            return
        except Exception as exc:
            log.error("writing the copies of event %s failed, sending again: %s", item.source, exc)
        while True:  # broker trouble: the event is not acknowledged until it is handed on
            try:
                await asyncio.gather(*await self._send(item.result, item.raw, item.key, item.source))
                return
            except Exception as exc:
                log.error("could not hand on event from %s, retrying: %s", item.source, exc)
                await asyncio.sleep(1.0)

    async def _send(
        self, result: RouteResult, raw: bytes, key: bytes | None, source: str
    ) -> list[asyncio.Future[Any]]:
        assert self.producer is not None, "handoff not started"
        futures = []
        for d in result.deliveries:
            await self.ensure_topic(d.base_code)
            headers = push_headers(d.data_area, d.change_id, d.event_id)
            topic = self.settings.push_topic(d.base_code)
            sent = await self.producer.send(topic, key=d.key.encode(), value=d.envelope, headers=headers)
            futures.append(sent)
        if result.quarantine:
            headers = quarantine_headers(result.quarantine, source, result.event_id)
            topic = self.settings.quarantine_topic
            futures.append(await self.producer.send(topic, key=key, value=raw, headers=headers))
        return futures

    def _count(self, item: InFlight) -> None:
        if item.result.quarantine:
            reason = "; ".join(item.result.quarantine)
            self.stats.quarantine(item.source, reason)
            log.warning("quarantined event from %s: %s", item.source, reason)
        if item.result.unsupported:
            self.stats.unsupported += 1
        self.stats.routed += len(item.result.deliveries)


def _failed(exc: Exception) -> asyncio.Future[Any]:
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    future.set_exception(exc)
    return future
