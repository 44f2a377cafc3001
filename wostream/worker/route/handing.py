"""Hands routed chunks on in the order they were read: their records written, confirmed, their events
acknowledged.

A single task confirms chunks strictly in read order and acknowledges a chunk's events only once every record
of it is confirmed; Faust commits what is acknowledged, so a crash routes again from the first unconfirmed
chunk: duplicates (bounded by `route_in_flight` events), never gaps. A chunk whose writes failed is written
again when its turn comes.

Order across a failure needs one more rule. Within a partition the idempotent producer lets no write land
after an earlier one that failed, but the producer is renewed after a long broker outage (`broker.producer`),
and a chunk written on the new producer while an older one waits to be written again would land first: a
ticket's later event before its earlier one. So from the moment any write fails, new chunks are held
unwritten; once every chunk written before them is confirmed (written again where it failed), the held ones
are written in read order and the hold ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from wostream.broker.errors import permanent
from wostream.records.writes import Write

log = logging.getLogger(__name__)

RETRY_PAUSE = 1.0  # seconds before a chunk whose writes failed is written again

Futures = list[asyncio.Future[Any]]
Send = Callable[[list[Write]], Awaitable[Futures]]  # queues writes; a failure comes back as a failed future


@dataclass
class Chunk:
    items: list[Any]  # the pipeline's routed events, each with `writes`
    acknowledge: Callable[[Any], object]  # tells the consumer an item's event is handed on
    futures: Futures = field(default_factory=list)
    written: bool = False  # False: held (or not yet written)
    since: float = field(default_factory=time.monotonic)  # when it was read

    @property
    def writes(self) -> list[Write]:
        return [w for item in self.items for w in item.writes]


class Handing:
    def __init__(
        self,
        send: Send,
        refused_for_good: Callable[[Chunk], Awaitable[None]],
        handed_on: Callable[[Any], None],
        limit: int,
    ) -> None:
        self._send = send
        self._refused_for_good = refused_for_good  # the chunk's events written one by one instead
        self._handed_on = handed_on  # per item, once acknowledged
        self._limit = limit  # events queued at most
        self._pending: deque[Chunk] = deque()
        self._arrived = asyncio.Event()
        self._room = asyncio.Event()
        self.queued = 0  # events in `_pending` and `head`
        self.head: Chunk | None = None  # the chunk being confirmed: the oldest not yet handed on
        self.held = False  # a write failed: new chunks wait unwritten (module docstring)
        self._failures = 0  # writes failed so far

    async def add(self, chunk: Chunk) -> None:
        """Queue a routed chunk, written at once unless held; waits first while `limit` events are queued."""
        while self.queued >= self._limit:
            self._room.clear()
            await self._room.wait()
        if not self.held:
            await self._write(chunk)
        self.queued += len(chunk.items)
        self._pending.append(chunk)
        self._arrived.set()

    async def run(self) -> None:
        """For the worker's life (supervised): confirms chunks, acknowledges events in the order read."""
        while True:
            # after a crash, the chunk that was being confirmed comes first: it was taken off the queue
            chunk = self.head if self.head is not None else await self._next()
            self.head = chunk
            await self._confirm(chunk)
            self.head = None
            for item in chunk.items:
                chunk.acknowledge(item.raw.event)
                self._handed_on(item)
            self.queued -= len(chunk.items)
            self._room.set()
            if self.held:
                await self._release()

    async def _next(self) -> Chunk:
        while not self._pending:
            self._arrived.clear()
            await self._arrived.wait()
        return self._pending.popleft()

    async def _write(self, chunk: Chunk) -> None:
        chunk.written = True
        chunk.futures = await self._send(chunk.writes)
        for future in chunk.futures:
            if future.done():  # failed to even queue: held before anything else is written
                self._failed(future)
            else:
                future.add_done_callback(self._failed)

    def _failed(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is not None:
            self.held = True
            self._failures += 1

    async def _release(self) -> None:
        """Once no chunk written before the hold is left unconfirmed, write the held ones in read order."""
        if self._pending and self._pending[0].written:
            return  # written before the failure: confirmed (or written again) first, as the head
        failures = self._failures
        while held := [c for c in self._pending if not c.written]:
            for chunk in held:  # chunks added meanwhile are held too: the loop takes them next
                if self._failures != failures:
                    return  # failed again meanwhile: still held, released once the failed one is confirmed
                await self._write(chunk)
        self.held = False

    async def _confirm(self, chunk: Chunk) -> None:
        if not chunk.written:
            await self._write(chunk)
        while True:  # no event is acknowledged until it is handed on
            try:
                await asyncio.gather(*chunk.futures)
                return
            except Exception as exc:
                if permanent(exc):
                    await self._refused_for_good(chunk)
                    return
                log.error(
                    "could not hand on %d events from %s on, retrying: %s",
                    len(chunk.items),
                    chunk.items[0].raw.source,
                    exc,
                )
                await asyncio.sleep(RETRY_PAUSE)
            await self._write(chunk)
