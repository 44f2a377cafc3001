"""Runs one push partition's lane: its records, in offset order, to one chain per ticket (one push in flight
per ticket), or, for a subscriber that takes batches, as consecutive batches (one in flight)."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from aiokafka import TopicPartition

from wostream.config.settings import Settings
from wostream.core.directory import Directory
from wostream.worker.delivery.batched import BatchDelivery
from wostream.worker.delivery.lanes import Lane
from wostream.worker.delivery.single import SingleDelivery
from wostream.worker.stats import Stats

log = logging.getLogger(__name__)

REVOKE_GRACE = 2.0  # seconds a revoked partition's in-flight push may take to finish


class Fetching(Protocol):
    """Pauses or resumes fetching a lane's partition as its subscriber and its load allow (the group)."""

    def sync_pause(self, lane: Lane) -> None: ...


class TaskWatcher(Protocol):
    """Reports a task that dies (the supervisor): a lane is never lost silently."""

    def watch(self, name: str, task: asyncio.Task[None]) -> None: ...


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        directory: Directory,
        single: SingleDelivery,
        stats: Stats,
        fetching: Fetching,
        watcher: TaskWatcher,
    ) -> None:
        self.settings = settings
        self.directory = directory
        self.single = single
        self.batched = BatchDelivery(single)
        self.stats = stats
        self.fetching = fetching
        self.watcher = watcher

    def open(self, tp: TopicPartition, base_code: str) -> Lane:
        """A lane for a newly assigned partition, its dispatcher running (and watched)."""
        lane = Lane(tp, base_code)
        name = f"delivery lane {tp.topic}:{tp.partition}"
        lane.task = asyncio.create_task(self.run(lane), name=name)
        self.watcher.watch(name, lane.task)
        return lane

    async def close(self, lanes: list[Lane]) -> None:
        """Stop lanes (a revoke, or the worker stopping): a push on the wire gets REVOKE_GRACE to finish, the
        rest is cancelled and delivered again by the partition's next owner."""
        tasks = []
        for lane in lanes:
            lane.stopping = True
            if lane.task is not None:
                lane.task.cancel()
                tasks.append(lane.task)
            for ticket, task in lane.tasks.items():
                if ticket not in lane.pushing:
                    task.cancel()
                tasks.append(task)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=REVOKE_GRACE)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def run(self, lane: Lane) -> None:
        """Dispatch the partition's records until the lane stops (chains already running finish first)."""
        while not lane.stopping:
            if self._batching(lane.base_code):
                batch = lane.take_batch(self.settings.batch_max, self.settings.batch_bytes)
                if batch:
                    await self.batched.deliver(lane, batch)
                    lane.finish_batch(batch)
                    self.fetching.sync_pause(lane)
                    continue
            taken = lane.take(self.settings.tickets_in_flight)
            if taken is None:
                lane.wake.clear()
                await lane.wake.wait()
                continue
            ticket, new = taken
            if new:
                lane.tasks[ticket] = asyncio.create_task(self._chain(lane, ticket))

    def _batching(self, base_code: str) -> bool:
        callback = self.directory.callback_for(base_code)
        return callback is not None and callback.batch

    async def _chain(self, lane: Lane, ticket: str) -> None:
        """One ticket's records, one at a time: per-ticket order, retries included."""
        while True:
            record = lane.chains[ticket][0]
            try:
                await self.single.deliver(lane, record)
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception:  # a bug must not silently stall the ticket: say so, try the record again
                log.exception("delivering %s:%d:%d failed unexpectedly", *lane.tp, record.offset)
                self.stats.failed(lane.base_code, "internal error (see the worker log)")
                await asyncio.sleep(1.0)
                continue
            empty = lane.finish(ticket)
            lane.wake.set()
            self.fetching.sync_pause(lane)
            if empty or lane.stopping:  # revoked: the push on the wire was let finish, the rest is not ours
                lane.tasks.pop(ticket, None)
                return
