"""What the broker says of every subscriber's topics: backlog, age of the oldest waiting event, dead letters.

One reader is kept open by each worker (and used once by `wostream status`), so a poll costs a few requests
for all subscribers together: the delivery group's committed offsets, the end and start offsets of every push
and dead topic, and the first waiting record of a partition only when its committed offset moved (its
timestamp is remembered otherwise).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from wostream.broker.clients import new_admin, new_consumer
from wostream.config.settings import Settings
from wostream.core.subscriber_status import Facts

FETCH_WAIT = 2.0  # seconds to wait for the first waiting records (their timestamps)


class OffsetReader:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._partitions: dict[str, list[int]] = {}
        self._stamps: dict[TopicPartition, tuple[int, float]] = {}  # (offset, its record's timestamp)

    async def start(self) -> None:
        self._admin = new_admin(self.settings, request_timeout_ms=15_000)
        await self._admin.start()
        self._consumer = new_consumer(
            self.settings,
            group_id=None,
            enable_auto_commit=False,
            request_timeout_ms=15_000,
        )
        await self._consumer.start()

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
        if self._admin is not None:
            await self._admin.close()

    async def _partitions_of(self, topics: list[str]) -> dict[str, list[int]]:
        assert self._admin is not None
        unknown = [t for t in topics if t not in self._partitions]
        for start in range(0, len(unknown), 200):
            for found in await self._admin.describe_topics(unknown[start : start + 200]):
                if not found.get("error_code"):
                    self._partitions[found["topic"]] = sorted(
                        int(p["partition"]) for p in found["partitions"]
                    )
        return {t: self._partitions[t] for t in topics if t in self._partitions}

    async def facts(self, codes: Iterable[str]) -> dict[str, Facts]:
        """Facts of every subscriber in `codes` whose topics exist."""
        assert self._admin is not None and self._consumer is not None
        codes = list(codes)
        push = {self.settings.push_topic(c): c for c in codes}
        dead = {self.settings.dead_topic(c): c for c in codes}
        parts = await self._partitions_of([*push, *dead])
        tps = [TopicPartition(t, p) for t, ps in parts.items() for p in ps]
        if not tps:
            return {}
        self._consumer.assign(tps)
        ends = await self._consumer.end_offsets(tps)
        begins = await self._consumer.beginning_offsets(tps)
        group = await self._admin.list_consumer_group_offsets(f"{self.settings.app_id}-deliver")
        committed = {tp: meta.offset for tp, meta in group.items() if meta.offset >= 0}
        starts = {tp: max(committed.get(tp, begins[tp]), begins[tp]) for tp in tps if tp.topic in push}
        await self._stamp([tp for tp, start in starts.items() if start < ends[tp]], starts)
        out: dict[str, dict[str, float]] = {}
        for tp in tps:
            code = push[tp.topic] if tp.topic in push else dead[tp.topic]
            row = out.setdefault(code, {"backlog": 0, "done": 0, "dead": 0, "oldest": float("inf")})
            if tp.topic in push:
                row["backlog"] += ends[tp] - starts[tp]
                row["done"] += starts[tp]
                if starts[tp] < ends[tp] and tp in self._stamps:
                    row["oldest"] = min(row["oldest"], self._stamps[tp][1])
            else:
                row["dead"] += ends[tp] - begins[tp]
        return {
            code: Facts(
                int(r["backlog"]),
                None if r["oldest"] == float("inf") else r["oldest"],
                int(r["done"]),
                int(r["dead"]),
            )
            for code, r in out.items()
        }

    async def _stamp(self, waiting: list[TopicPartition], starts: dict[TopicPartition, int]) -> None:
        """The timestamp of the first waiting record of each partition in `waiting`, unless already known."""
        assert self._consumer is not None
        todo = [tp for tp in waiting if self._stamps.get(tp, (-1, 0.0))[0] != starts[tp]]
        if not todo:
            return
        self._consumer.assign(todo)
        for tp in todo:
            self._consumer.seek(tp, starts[tp])
        deadline = asyncio.get_running_loop().time() + FETCH_WAIT
        left = set(todo)
        while left and asyncio.get_running_loop().time() < deadline:
            batches = await self._consumer.getmany(*left, timeout_ms=200, max_records=len(left) * 10)
            for tp, records in batches.items():
                if records and tp in left:
                    self._stamps[tp] = (starts[tp], records[0].timestamp / 1000.0)
                    left.discard(tp)
