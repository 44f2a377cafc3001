"""Asks the log itself whether a partition has any event between two offsets (`core.read_order`'s `Jump`).

A jump in what Faust handed over is either a hole the log really has (a transactional producer's markers,
records removed by retention) or events Faust skipped. Our own group-less reader, seeking there, tells them
apart: the first record it finds. Any failure to answer (the broker away) is taken as "a record is there":
routing waits for it, which is safe; passing it would not be.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition

from wostream.broker.clients import new_consumer
from wostream.config.settings import Settings

log = logging.getLogger(__name__)

ASK_FOR = 10.0  # seconds to wait for the log's answer


class LogHoles:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._reader: AIOKafkaConsumer | None = None

    async def first_record(self, topic: str, partition: int, first: int, last: int) -> int | None:
        """The offset of the partition's first record at offsets [first, last]; None when it has none. When
        the log cannot say, `first` (a record is assumed: waiting for it is safe, passing it is not)."""
        try:
            found = await asyncio.wait_for(self._first(TopicPartition(topic, partition), first), ASK_FOR)
        except Exception as exc:
            log.warning("could not ask the log about %s[%d] %d-%d: %r", topic, partition, first, last, exc)
            return first
        return found if found is not None and found <= last else None

    async def _first(self, tp: TopicPartition, first: int) -> int | None:
        """The first record's offset from `first` on (None: the log ends before any)."""
        reader = await self._started()
        reader.assign([tp])
        reader.seek(tp, first)
        end = (await reader.end_offsets([tp]))[tp]
        while True:
            records = (await reader.getmany(tp, timeout_ms=500, max_records=1)).get(tp, [])
            if records:
                return int(records[0].offset)
            if await reader.position(tp) >= end:
                return None

    async def _started(self) -> AIOKafkaConsumer:
        if self._reader is None:
            reader = new_consumer(  # below the log's start (retention) reads from its start
                self.settings, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
            )
            await reader.start()
            self._reader = reader
        return self._reader

    async def stop(self) -> None:
        if self._reader is not None:
            await self._reader.stop()
            self._reader = None
