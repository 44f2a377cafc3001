"""Delivers consecutive records of one partition to a `BatchSubscriber`, one `pushBatch` at a time.

The same promises as one push per record (per-ticket order, at least once, the same retry schedule and dead
letters), carried out for a run of records: a batch that fails is retried from its first unacknowledged
record alone (a refusing subscriber costs one message a try, not a batch), with the same event ids, and
batches resume once it goes through; a `BatchRefused` acknowledges the messages it says were applied; when the
first record's retries are exhausted, it alone goes to the dead topic (its ticket parked behind it, as ever)
and the rest goes on in a new batch. A subscriber that goes offline, or comes back with a plain `Subscriber`,
gets what is left one record at a time.
"""

from __future__ import annotations

import json
import time

from wostream.core.decisions import Attempted, acknowledged, resume
from wostream.core.outcomes import PushError, Refused
from wostream.records.headers import RESYNC
from wostream.worker.delivery.lanes import Lane, Record, event_id_of, ticket_of, where_of
from wostream.worker.delivery.single import SingleDelivery


class BatchDelivery:
    def __init__(self, single: SingleDelivery) -> None:
        self.single = single
        self.settler = single.settler
        self.memory = single.settler.memory

    async def deliver(self, lane: Lane, batch: list[Record]) -> None:
        """Until every record of `batch` is acknowledged or dead-lettered."""
        todo = [r for r in batch if await self.single.admitted(lane, r)]
        while todo:
            callback = self.single.directory.callback_for(lane.base_code)
            if callback is not None and not callback.batch:
                for record in todo:  # a plain Subscriber now: one push at a time, in order
                    await self.single.deliver(lane, record)
                return
            accepted = await self._until_progress(lane, todo)
            todo = [r for r in todo[accepted:] if await self.single.admitted(lane, r)]

    async def _until_progress(self, lane: Lane, todo: list[Record]) -> int:
        """Push `todo` until some of it is done: how many leading records are (acknowledged or, the first
        alone, dead-lettered)."""
        head = todo[0]
        done = await self._resumed(lane, head)
        if done.attempts:
            todo = todo[:1]  # a batch that failed is retried as its first record alone, until it goes through
        while True:
            await self.single.presence.wait_online(lane.base_code)
            callback = self.single.directory.callback_for(lane.base_code)
            if callback is None:
                continue
            if not callback.batch:
                return 0  # the caller hands the rest to one-at-a-time delivery
            trying = Attempted(done.offset, done.event_id, done.attempts + 1, done.first_at, done.remembered)
            started = time.monotonic()
            error = await self._call(lane, todo, trying.attempts, callback.proxy)
            accepted = len(todo) if error is None else error.accepted if isinstance(error, Refused) else 0
            for _ in range(accepted):
                self.settler.stats.delivered(lane.base_code, time.monotonic() - started)
            if accepted:
                if acknowledged(trying).forget:
                    await self.memory.remember(where_of(head), None)
                return accepted
            settled = await self.settler.failure(lane, head, trying, error, callback)
            if settled == "dead":
                return 1
            if settled == "retrying":  # time offline is not an attempt
                done = Attempted(trying.offset, trying.event_id, trying.attempts, trying.first_at, True)
            todo = todo[:1]  # a refusing subscriber costs one message a try, not a whole batch

    async def _resumed(self, lane: Lane, head: Record) -> Attempted:
        """Where the head's retries stand (a worker restart or a rebalance keeps them), after their wait."""
        done, wait = resume(self.memory.recall(where_of(head)), head.offset, event_id_of(head), time.time())
        if wait:
            await self.memory.wait(lane.base_code, wait)
        return done

    async def _call(self, lane: Lane, todo: list[Record], attempt: int, proxy: str) -> PushError | None:
        context = {"eventIds": json.dumps([event_id_of(r) for r in todo]), "attempt": str(attempt)}
        if (RESYNC, b"1") in (todo[0].headers or ()):
            context[RESYNC] = "1"  # a batch is all resync or all not (Lane.take_batch)
        messages = [(r.value or b"").decode("utf-8", "replace") for r in todo]
        lane.pushing.update(ticket_of(r) for r in todo)
        try:
            await self.single.pusher.push_batch(
                proxy, messages, context, self.single.settings.push_timeout_ms
            )
        except PushError as exc:
            return exc
        finally:
            lane.pushing.clear()
        return None
