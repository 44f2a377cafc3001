"""Delivers consecutive records of one partition to a `BatchSubscriber`, one `pushBatch` at a time.

The same promises as one push per record (per-ticket order, at least once, the same retry schedule and dead
letters), carried out for a run of records: a batch is retried as a whole from its first unacknowledged
record, with the same event ids; a `BatchRefused` acknowledges the messages it says were applied; when the
first record's retries are exhausted, it alone goes to the dead topic (its ticket parked behind it, as ever)
and the rest goes on in a new batch. A subscriber that goes offline, or comes back with a plain `Subscriber`,
gets what is left one record at a time.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

from wostream.core.decisions import Attempted, Dead, Offline, Retry, admit, next_step, resume
from wostream.core.directory import Callback
from wostream.core.outcomes import PushError, Refused
from wostream.records.headers import EVENT_ID, RESYNC, text_headers
from wostream.worker.delivery.courier import Courier
from wostream.worker.delivery.lanes import Lane, Record, ticket_of

PushBatch = Callable[[str, list[str], dict[str, str], int], Awaitable[None]]


def event_id_of(record: Record) -> str:
    return text_headers(record.headers).get(EVENT_ID, f"{record.topic}:{record.partition}:{record.offset}")


class BatchCourier:
    def __init__(self, courier: Courier, push_batch: PushBatch) -> None:
        self.courier = courier
        self.push_batch = push_batch

    async def deliver(self, lane: Lane, batch: list[Record]) -> None:
        """Until every record of `batch` is acknowledged or dead-lettered."""
        todo = await self._admitted(lane, batch)
        while todo:
            callback = self.courier.directory.callback_for(lane.base_code)
            if callback is not None and not callback.batch:
                for record in todo:  # a plain Subscriber now: one push at a time, in order
                    await self.courier.deliver(lane, record)
                return
            accepted = await self._until_progress(lane, todo)
            todo = await self._admitted(lane, todo[accepted:])

    async def _admitted(self, lane: Lane, records: list[Record]) -> list[Record]:
        """The records to push; those of a parked ticket go to the dead topic behind its dead event."""
        keep = []
        for record in records:
            parked = self.courier.directory.parked.get((lane.base_code, ticket_of(record)))
            waiting = admit(ticket_of(record), text_headers(record.headers), parked)
            if waiting is None:
                keep.append(record)
            else:
                await self.courier.dead(lane, record, event_id_of(record), waiting, time.time())
        return keep

    async def _until_progress(self, lane: Lane, todo: list[Record]) -> int:
        """Push `todo` until some of it is done: how many leading records are (acknowledged or, the first
        alone, dead-lettered)."""
        courier, head = self.courier, todo[0]
        memory = courier.directory.retries.get((lane.tp.topic, lane.tp.partition, head.offset))
        done, wait = resume(memory, head.offset, event_id_of(head), time.time())
        if wait:
            await courier.sleep(lane.base_code, wait)
        while True:
            await courier.wait_online(lane.base_code)
            callback = courier.directory.callback_for(lane.base_code)
            if callback is None:
                continue
            if not callback.batch:
                return 0  # the caller hands the rest to the one-at-a-time courier
            trying = Attempted(done.offset, done.event_id, done.attempts + 1, done.first_at, done.remembered)
            started = time.monotonic()
            error = await self._call(lane, todo, trying.attempts, callback.proxy)
            accepted = len(todo) if error is None else error.accepted if isinstance(error, Refused) else 0
            for _ in range(accepted):
                courier.stats.delivered(lane.base_code, time.monotonic() - started)
            if accepted:
                if trying.attempts > 1 or trying.remembered:
                    await courier.remember(lane, head, None)
                return accepted
            if await self._failed(lane, head, trying, error, callback):
                return 1
            done = Attempted(trying.offset, trying.event_id, trying.attempts, trying.first_at, True)

    async def _failed(
        self, lane: Lane, head: Record, trying: Attempted, error: PushError | None, callback: Callback
    ) -> bool:
        """What follows a batch nobody took: True when its first record went to the dead topic."""
        courier = self.courier
        step = next_step(error, trying, courier.policy(lane.base_code), time.time())
        if isinstance(step, Offline):
            courier.directory.put_callback(lane.base_code, callback.session, None)
            await courier.forget_callback(lane.base_code, callback.session)
            return False
        if lane.stopping:  # revoked meanwhile: the partition's new owner retries it
            raise asyncio.CancelledError
        courier.stats.failed(lane.base_code, str(error) or type(error).__name__)
        if isinstance(step, Dead):
            await courier.dead(lane, head, trying.event_id, step, trying.first_at)
            await courier.remember(lane, head, None)
            return True
        if isinstance(step, Retry):
            await courier.retry_later(lane, head, trying, step)
        return False

    async def _call(self, lane: Lane, todo: list[Record], attempt: int, proxy: str) -> PushError | None:
        context = {"eventIds": json.dumps([event_id_of(r) for r in todo]), "attempt": str(attempt)}
        if (RESYNC, b"1") in (todo[0].headers or ()):
            context[RESYNC] = "1"  # a batch is all resync or all not (Lane.take_batch)
        messages = [(r.value or b"").decode("utf-8", "replace") for r in todo]
        lane.pushing.update(ticket_of(r) for r in todo)
        try:
            await self.push_batch(proxy, messages, context, self.courier.settings.push_timeout_ms)
        except PushError as exc:
            return exc
        finally:
            lane.pushing.clear()
        return None
