"""The worker's one producer, renewed when aiokafka's idempotent producer cannot go on.

aiokafka 0.14 expires the batches of a partition whose leader stayed unknown for `request_timeout_ms`, even
for an idempotent producer; their sequence numbers are gone with them, and from then on every send to that
partition fails with `OutOfOrderSequenceNumber` until the producer is made anew (a new producer id). A long
broker outage must not stop routing for good: the first such failure renews the producer under a lock, and
the callers' own retries send again; the route pipeline keeps the order across it by holding what it read
later until the failed writes are confirmed (`worker/route/handing.py`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import OutOfOrderSequenceNumber

log = logging.getLogger(__name__)


class Producer:
    def __init__(self, make: Callable[[], AIOKafkaProducer]) -> None:
        self._make = make
        self._inner = make()
        self._lock = asyncio.Lock()
        self.renewals = 0
        self._renewing: asyncio.Future[None] | None = None

    async def start(self) -> None:
        await self._inner.start()

    async def stop(self) -> None:
        await self._inner.stop()

    async def renew(self, failed: AIOKafkaProducer) -> None:
        """Replace `failed` (the producer a send failed on) unless another caller already did."""
        async with self._lock:
            if self._inner is not failed:
                return
            log.warning("the producer lost its sequence (a long broker outage): starting a new one")
            fresh = self._make()
            await fresh.start()
            self._inner = fresh
            self.renewals += 1
        await failed.stop()

    async def _guarded(self, call: Callable[[AIOKafkaProducer], Any]) -> Any:
        inner = self._inner
        try:
            return await call(inner)
        except OutOfOrderSequenceNumber:
            await self.renew(inner)
            raise

    async def send_and_wait(self, topic: str, value: bytes | None = None, **kwargs: Any) -> Any:
        return await self._guarded(lambda p: p.send_and_wait(topic, value, **kwargs))

    async def flush(self) -> None:
        await self._inner.flush()

    async def send(self, topic: str, value: bytes | None = None, **kwargs: Any) -> asyncio.Future[Any]:
        """Queued; its future fails like the batch it went in (`watch` renews the producer then)."""
        future: asyncio.Future[Any] = await self._guarded(lambda p: p.send(topic, value, **kwargs))
        return self.watch(future)

    def create_batch(self) -> Any:
        return self._inner.create_batch()

    async def send_batch(self, batch: Any, topic: str, partition: int) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = await self._guarded(
            lambda p: p.send_batch(batch, topic, partition=partition)
        )
        return self.watch(future)

    def watch(self, future: asyncio.Future[Any]) -> asyncio.Future[Any]:
        inner = self._inner

        def done(f: asyncio.Future[Any]) -> None:
            if not f.cancelled() and isinstance(f.exception(), OutOfOrderSequenceNumber):
                self._renewing = asyncio.ensure_future(self.renew(inner))

        future.add_done_callback(done)
        return future

    async def partitions_for(self, topic: str) -> set[int]:
        found: set[int] = await self._inner.partitions_for(topic)
        return found

    async def set_topics(self, topics: list[str]) -> None:
        """Load the metadata of these topics in one request (see `route.push_topics`)."""
        await self._inner.client.set_topics(topics)
