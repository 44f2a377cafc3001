"""Delivers one record to its subscriber's live callback: waits while it is offline, pushes, and carries
out what `core.decisions` says of each outcome (acknowledge, retry later, wait for the subscriber, or
dead-letter).

Retry schedules are persisted to the retries topic so a restarted worker (any worker) resumes them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaProducer

from wostream.config.settings import Settings
from wostream.core.decisions import Ack, Attempted, Dead, Offline, Retry, admit, next_step, resume
from wostream.core.directory import Directory, RetryState
from wostream.core.models import RetryPolicy
from wostream.core.outcomes import PushError
from wostream.records.headers import EVENT_ID, RESYNC, DeadLetter, text_headers
from wostream.records.state import callback_key, retry_key, retry_value
from wostream.worker.delivery.deadletter import DeadLetters
from wostream.worker.delivery.lanes import Breaker, Lane, Record, ticket_of
from wostream.worker.stats import Stats

log = logging.getLogger(__name__)

Push = Callable[[str, str, dict[str, str], int], Awaitable[None]]


class Courier:
    def __init__(
        self,
        settings: Settings,
        directory: Directory,
        producer: AIOKafkaProducer,
        push: Push,
        stats: Stats,
    ) -> None:
        self.settings = settings
        self.directory = directory
        self.producer = producer
        self.push = push
        self.stats = stats
        self.dead_letters = DeadLetters(settings, directory, producer, stats)
        self.breakers: dict[str, Breaker] = {}
        self.online: dict[str, asyncio.Event] = {}
        self.default_policy = RetryPolicy(settings.retry_attempts, settings.retry_initial, settings.retry_max)

    def subscriber_changed(self, base_code: str) -> None:
        event = self.online.setdefault(base_code, asyncio.Event())
        if self.directory.online(base_code):
            event.set()
        else:
            event.clear()

    async def deliver(self, lane: Lane, record: Record) -> None:
        """Until acknowledged or dead-lettered; time offline is not an attempt."""
        headers = text_headers(record.headers)
        source = f"{record.topic}:{record.partition}:{record.offset}"
        event_id = headers.get(EVENT_ID, source)
        ticket = ticket_of(record)
        waiting = admit(ticket, headers, self.directory.parked.get((lane.base_code, ticket)))
        if waiting is not None:
            await self.dead(lane, record, event_id, waiting, time.time())
            return
        memory = self.directory.retries.get((lane.tp.topic, lane.tp.partition, record.offset))
        done, wait = resume(memory, record.offset, event_id, time.time())
        if wait:
            await self.sleep(lane.base_code, wait)
        breaker = self.breakers.setdefault(lane.base_code, Breaker())
        message = (record.value or b"").decode("utf-8", "replace")
        marks = {RESYNC: "1"} if headers.get(RESYNC) == "1" else {}  # a resync says so in the context
        while True:
            await self.wait_online(lane.base_code)
            if not breaker.failing:
                done, finished = await self._attempt(lane, record, (message, marks), done, breaker)
            else:
                async with breaker.probe:  # one probe at a time, its backoff included, while it fails
                    done, finished = await self._attempt(lane, record, (message, marks), done, breaker)
            if finished:
                return

    async def _attempt(
        self, lane: Lane, record: Record, call: tuple[str, dict[str, str]], done: Attempted, breaker: Breaker
    ) -> tuple[Attempted, bool]:
        """One push and what follows from it: (history, True when the record is done)."""
        callback = self.directory.callback_for(lane.base_code)
        if callback is None:
            return done, False
        trying = Attempted(done.offset, done.event_id, done.attempts + 1, done.first_at, done.remembered)
        started = time.monotonic()
        error = await self._push_call(lane, trying, ticket_of(record), call, callback.proxy)
        breaker.observe(error, ticket_of(record))
        step = next_step(error, trying, self.policy(lane.base_code), time.time())
        if isinstance(step, Ack):
            self.stats.delivered(lane.base_code, time.monotonic() - started)
            if step.forget:
                await self.remember(lane, record, None)
            return trying, True
        if isinstance(step, Offline):
            self.directory.put_callback(lane.base_code, callback.session, None)
            await self.forget_callback(lane.base_code, callback.session)
            return done, False
        if lane.stopping:  # revoked meanwhile: the partition's new owner retries it
            raise asyncio.CancelledError
        self.stats.failed(lane.base_code, str(error) or type(error).__name__)
        if isinstance(step, Dead):
            await self.dead(lane, record, trying.event_id, step, trying.first_at)
            await self.remember(lane, record, None)
            return trying, True
        await self.retry_later(lane, record, trying, step)
        return Attempted(trying.offset, trying.event_id, trying.attempts, trying.first_at, True), False

    async def retry_later(self, lane: Lane, record: Record, trying: Attempted, step: Retry) -> None:
        delay = max(0.0, step.at - time.time())
        policy = self.policy(lane.base_code)
        log.info(
            "push to %s failed (event %s, attempt %d/%d): %s; retrying in %.1f s",
            lane.base_code,
            trying.event_id,
            trying.attempts,
            policy.attempts,
            step.state.last_error,
            delay,
        )
        await self.remember(lane, record, step.state)
        await self.sleep(lane.base_code, delay)

    async def _push_call(
        self, lane: Lane, trying: Attempted, ticket: str, call: tuple[str, dict[str, str]], proxy: str
    ) -> PushError | None:
        message, marks = call
        lane.pushing.add(ticket)
        try:
            context = {"eventId": trying.event_id, "attempt": str(trying.attempts), **marks}
            await self.push(proxy, message, context, self.settings.push_timeout_ms)
        except PushError as exc:
            return exc
        finally:
            lane.pushing.discard(ticket)
        return None

    async def dead(self, lane: Lane, record: Record, event_id: str, step: Dead, first_at: float) -> None:
        source = f"{record.topic}:{record.partition}:{record.offset}"
        dead = DeadLetter(event_id, step.reason, step.attempts, first_at, time.time(), source)
        await self.dead_letters.write(lane.base_code, record, dead, park=step.park)

    async def wait_online(self, base_code: str) -> None:
        event = self.online.setdefault(base_code, asyncio.Event())
        if self.directory.online(base_code):
            event.set()
        await event.wait()

    async def remember(self, lane: Lane, record: Record, state: RetryState | None) -> None:
        """Persist a record's schedule (None clears it) so any worker resumes it after a restart."""
        where = (lane.tp.topic, lane.tp.partition, record.offset)
        self.directory.put_retry(where, state)
        value = None if state is None else retry_value(state)
        try:
            await self.producer.send_and_wait(self.settings.retries_topic, key=retry_key(*where), value=value)
        except Exception as exc:  # losing the memory only means a fresh schedule after a restart
            log.warning("could not persist retry state of %s: %s", lane.tp, exc)

    async def sleep(self, base_code: str, seconds: float) -> None:
        self.stats.retrying(base_code, +1)
        try:
            await asyncio.sleep(seconds)  # cancellable: a revoke never waits for it
        finally:
            self.stats.retrying(base_code, -1)

    def policy(self, base_code: str) -> RetryPolicy:
        sub = self.directory.subscriptions.get(base_code)
        return sub.retry if sub is not None and sub.retry is not None else self.default_policy

    async def forget_callback(self, base_code: str, session: str) -> None:
        """Tell every worker this callback is stale (tombstone), so none keeps pushing into the void."""
        try:
            key = callback_key(base_code, session)
            await self.producer.send_and_wait(self.settings.callbacks_topic, key=key, value=None)
        except Exception as exc:
            log.warning("could not publish stale callback of %s: %s", base_code, exc)
