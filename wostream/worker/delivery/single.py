"""Delivers one record to its subscriber's live callback: waits while it is offline, pushes, and has the
`Settler` carry out what follows a failure (retry later, wait for the subscriber, or dead-letter)."""

from __future__ import annotations

import time
from typing import Protocol

from wostream.config.settings import Settings
from wostream.core.decisions import Attempted, acknowledged, admit, resume
from wostream.core.directory import Directory
from wostream.core.outcomes import PushError
from wostream.core.schedules import Schedules
from wostream.records.headers import RESYNC, text_headers
from wostream.worker.delivery.lanes import Breaker, Lane, Record, event_id_of, ticket_of, where_of
from wostream.worker.delivery.presence import Presence
from wostream.worker.delivery.settle import Settler


class Pusher(Protocol):
    """Our calls to a subscriber's callback (`ice.calls.Caller`); failures raise `core.outcomes` errors."""

    async def push(self, proxy: str, message: str, context: dict[str, str], timeout_ms: int) -> None: ...

    async def push_batch(
        self, proxy: str, messages: list[str], context: dict[str, str], timeout_ms: int
    ) -> None: ...


class SingleDelivery:
    def __init__(
        self,
        settings: Settings,
        directory: Directory,
        schedules: Schedules,
        presence: Presence,
        settler: Settler,
        pusher: Pusher,
    ) -> None:
        self.settings = settings
        self.directory = directory
        self.schedules = schedules
        self.presence = presence
        self.settler = settler
        self.pusher = pusher
        self.breakers: dict[str, Breaker] = {}

    async def admitted(self, lane: Lane, record: Record) -> bool:
        """False when the record's ticket is parked: it went to the dead topic behind its dead event."""
        parked = self.schedules.parked.get((lane.base_code, ticket_of(record)))
        waiting = admit(ticket_of(record), text_headers(record.headers), parked)
        if waiting is not None:
            await self.settler.dead(lane, record, event_id_of(record), waiting, time.time())
        return waiting is None

    async def deliver(self, lane: Lane, record: Record) -> None:
        """Until acknowledged or dead-lettered; time offline is not an attempt."""
        if not await self.admitted(lane, record):
            return
        memory = self.settler.memory
        done, wait = resume(memory.recall(where_of(record)), record.offset, event_id_of(record), time.time())
        if wait:
            await memory.wait(lane.base_code, wait)
        breaker = self.breakers.setdefault(lane.base_code, Breaker())
        while True:
            await self.presence.wait_online(lane.base_code)
            if not breaker.failing:
                done, finished = await self._attempt(lane, record, done, breaker)
            else:
                async with breaker.probe:  # one probe at a time, its backoff included, while it fails
                    done, finished = await self._attempt(lane, record, done, breaker)
            if finished:
                return

    async def _attempt(
        self, lane: Lane, record: Record, done: Attempted, breaker: Breaker
    ) -> tuple[Attempted, bool]:
        """One push and what follows from it: (history, True when the record is done)."""
        callback = self.directory.callback_for(lane.base_code)
        if callback is None:
            return done, False
        trying = Attempted(done.offset, done.event_id, done.attempts + 1, done.first_at, done.remembered)
        started = time.monotonic()
        error = await self._push(lane, record, trying, callback.proxy)
        breaker.observe(error, ticket_of(record))
        if error is None:
            self.settler.stats.delivered(lane.base_code, time.monotonic() - started)
            if acknowledged(trying).forget:
                await self.settler.memory.remember(where_of(record), None)
            return trying, True
        settled = await self.settler.failure(lane, record, trying, error, callback)
        if settled == "offline":
            return done, False  # not an attempt
        return Attempted(trying.offset, trying.event_id, trying.attempts, trying.first_at, True), (
            settled == "dead"
        )

    async def _push(self, lane: Lane, record: Record, trying: Attempted, proxy: str) -> PushError | None:
        ticket = ticket_of(record)
        context = {"eventId": trying.event_id, "attempt": str(trying.attempts)}
        if text_headers(record.headers).get(RESYNC) == "1":
            context[RESYNC] = "1"  # a resync says so in the context
        message = (record.value or b"").decode("utf-8", "replace")
        lane.pushing.add(ticket)
        try:
            await self.pusher.push(proxy, message, context, self.settings.push_timeout_ms)
        except PushError as exc:
            return exc
        finally:
            lane.pushing.discard(ticket)
        return None
