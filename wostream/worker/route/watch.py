"""Watches the raw partitions this worker consumes: events waiting and a committed offset that does not move
for `WOSTREAM_STALL_SECONDS` is named on /health (the liveness probe then restarts the worker, and the
partitions go to whoever is left). See `core/progress.py` for why Faust needs watching.

Only partitions Faust says are ours, and only once Faust consumes (a long table recovery is not a stall); a
broker that does not answer is no verdict at all (the broker's outage is told elsewhere).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from wostream.broker.clients import new_admin, new_consumer
from wostream.config.settings import Settings
from wostream.core.progress import Progress, describe

log = logging.getLogger(__name__)

EVERY = 5.0  # seconds between two looks

Assigned = Callable[[], set[TopicPartition]]
Explain = Callable[[str, int], str]  # what the route consumer knows of a partition (`acks.RouteConsumer`)


class RouteWatch:
    def __init__(
        self,
        settings: Settings,
        assigned: Assigned,
        consuming: asyncio.Event,
        explain: Explain | None = None,
    ) -> None:
        self.settings = settings
        self.assigned = assigned
        self.consuming = consuming
        self.explain = explain
        self.problem: str | None = None
        self._progress = Progress()
        self._topics = {settings.raw_topic, settings.rekey_topic}

    async def run(self) -> None:
        """For the worker's life (supervised)."""
        admin = new_admin(self.settings, request_timeout_ms=15_000)
        consumer = new_consumer(self.settings, group_id=None, enable_auto_commit=False)
        await admin.start()
        try:
            await consumer.start()
            while True:
                await asyncio.sleep(EVERY)
                await self.consuming.wait()
                await self._look(admin, consumer)
        finally:
            await consumer.stop()
            await admin.close()

    async def _look(self, admin: AIOKafkaAdminClient, consumer: AIOKafkaConsumer) -> None:
        ours = sorted(
            TopicPartition(tp.topic, tp.partition) for tp in self.assigned() if tp.topic in self._topics
        )
        try:
            committed = await admin.list_consumer_group_offsets(self.settings.app_id, partitions=ours)
            ends = await consumer.end_offsets(ours) if ours else {}
        except (KafkaError, OSError, TimeoutError):
            return  # no answer: no verdict
        offsets = {(tp.topic, tp.partition): (_offset(committed, tp), ends[tp]) for tp in ours}
        stalls = self._progress.stalled(offsets, time.monotonic(), self.settings.stall_seconds)
        problem = describe(stalls) if stalls else None
        if problem is not None and problem != self.problem:
            log.error("%s", problem)
            if self.explain is not None:
                for stall in stalls:
                    where = (stall.topic, stall.partition)
                    log.error("%s[%d]: %s", *where, self.explain(*where))
        self.problem = problem


def _offset(committed: dict[TopicPartition, Any], tp: TopicPartition) -> int:
    """The group's committed offset of `tp`; -1 when it has none yet."""
    found = committed.get(tp)
    return int(found.offset) if found is not None else -1
