"""Folds the compacted configuration topics into the worker's `Directory` (and `Schedules`), live.

A plain group-less consumer assigned every partition of each config topic: every worker sees every change
within one fetch (milliseconds), and a restarted worker rebuilds the whole state from the start of the topics.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from wostream.broker.clients import new_consumer
from wostream.broker.reading import partitions
from wostream.config.settings import Settings
from wostream.core.directory import Directory
from wostream.core.schedules import Schedules
from wostream.records.fold import Apply, CallbackVet, Fold

log = logging.getLogger(__name__)

SLICE = 0.02  # seconds of folding between two yields to the event loop


class ConfigFeed:
    def __init__(
        self, settings: Settings, directory: Directory, schedules: Schedules, vet: CallbackVet
    ) -> None:
        self.settings = settings
        self.directory = directory
        self.ready = asyncio.Event()
        self.fold = fold = Fold(directory, schedules, vet)
        self._appliers: dict[str, Apply] = {
            settings.subscriptions_topic: fold.subscription,
            settings.idmaps_topic: fold.idmap,
            settings.callbacks_topic: fold.callback,
            settings.retries_topic: fold.retry,
        }
        self._consumer: AIOKafkaConsumer | None = None
        self._pending: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        consumer = new_consumer(
            self.settings,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=100,
        )
        self._consumer = consumer  # stopped by `stop` even when starting it fails half-way
        await consumer.start()
        tps = []
        for topic in self._appliers:  # every partition, however many an operator gave the topic
            tps += [TopicPartition(topic, p) for p in await partitions(self.settings, topic) or [0]]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        self._pending = {tp: end for tp, end in ends.items() if end > 0}

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    async def _apply(self, batches: dict[TopicPartition, list[Any]]) -> None:
        """Fold a fetched batch, yielding to the event loop every `SLICE` seconds so that a thousand records
        never stall routing and delivery; the routing index is rebuilt once, at the end."""
        if not batches:
            return
        self.fold.deferred = True
        started = time.monotonic()
        try:
            for tp, records in batches.items():
                apply = self._appliers[tp.topic]
                for record in records:
                    apply(record.key or b"", record.value)
                    if time.monotonic() - started > SLICE:
                        await asyncio.sleep(0)
                        started = time.monotonic()
        finally:
            self.fold.deferred = False
            if self.settings.subscriptions_topic in {tp.topic for tp in batches}:
                self.directory.reindex()

    async def run(self) -> None:
        """Follows the topics for the worker's life (supervised); `ready` once everything up to the ends at
        start is applied."""
        assert self._consumer is not None
        pending = self._pending
        if not pending:
            self.ready.set()
        while True:
            try:
                batches = await self._consumer.getmany(timeout_ms=200, max_records=5000)
            except KafkaError as exc:  # keep following the config topics whatever happens
                log.error("reading the configuration topics failed, retrying: %s", exc)
                await asyncio.sleep(1.0)
                continue
            await self._apply(batches)
            for tp in [tp for tp, end in pending.items() if await self._consumer.position(tp) >= end]:
                del pending[tp]
            if not pending and not self.ready.is_set():
                log.info(
                    "configuration loaded: %d subscriptions, %d subscribers online",
                    len(self.directory.subscriptions),
                    sum(1 for b in self.directory.subscriptions if self.directory.online(b)),
                )
                self.ready.set()
