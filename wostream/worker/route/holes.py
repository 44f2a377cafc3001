"""Asks the log itself whether a partition has any event between two offsets (`core.read_order`'s `Jump`).

A jump in what Faust handed over is either a hole the log really has (a transactional producer's markers,
records removed by retention) or events Faust skipped. Our own group-less reader, seeking there, tells them
apart: its position passes the range with no record only for a real hole. Any failure to answer (the broker
away) is taken as "not a hole": the partition is held, which is safe; the route watch then has it read again.
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

    async def empty(self, topic: str, partition: int, first: int, last: int) -> bool:
        """True when the log has no event at offsets [first, last] of the partition."""
        try:
            return await asyncio.wait_for(self._empty(TopicPartition(topic, partition), first, last), ASK_FOR)
        except Exception as exc:
            log.warning("could not ask the log about %s[%d] %d-%d: %r", topic, partition, first, last, exc)
            return False

    async def _empty(self, tp: TopicPartition, first: int, last: int) -> bool:
        reader = await self._started()
        reader.assign([tp])
        reader.seek(tp, first)
        while True:
            records = (await reader.getmany(tp, timeout_ms=500, max_records=1)).get(tp, [])
            if records:
                return bool(records[0].offset > last)
            if await reader.position(tp) > last:
                return True

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
