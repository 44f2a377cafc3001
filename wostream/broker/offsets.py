"""What the broker says of every subscriber's topics: backlog, age of the oldest waiting event, dead letters.

One reader is kept open by each worker (and used once by `wostream status`), so a poll costs a few requests
for all subscribers together: the delivery group's committed offsets, the end and start offsets of every push
and dead topic, and the first waiting record of a partition only when its committed offset moved (its
timestamp is remembered otherwise).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from wostream.broker.clients import new_admin, new_consumer
from wostream.config.settings import Settings
from wostream.core.subscriber_status import Facts
from wostream.records.headers import EVENT_ID

FETCH_WAIT = 2.0  # seconds to wait for the first waiting records (their timestamps)


class OffsetReader:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._partitions: dict[str, list[int]] = {}
        self._seen: dict[tuple[TopicPartition, int], tuple[float, str]] = {}  # (timestamp, event id)

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
        ends = await self._consumer.end_offsets(tps)
        begins = await self._consumer.beginning_offsets(tps)
        group = await self._admin.list_consumer_group_offsets(f"{self.settings.app_id}-deliver")
        committed = {tp: meta.offset for tp, meta in group.items() if meta.offset >= 0}
        starts = {tp: max(committed.get(tp, begins[tp]), begins[tp]) for tp in tps if tp.topic in push}
        # the first waiting record (its age) and the last one handed on (its event id), where there is one
        wanted = {(tp, s) for tp, s in starts.items() if s < ends[tp]}
        wanted |= {(tp, s - 1) for tp, s in starts.items() if s > begins[tp]}
        await self._peek(wanted)
        out: dict[str, _Row] = {}
        for tp in tps:
            row = out.setdefault(push.get(tp.topic) or dead[tp.topic], _Row())
            if tp.topic in dead:
                row.dead += ends[tp] - begins[tp]
                continue
            start = starts[tp]
            row.backlog += ends[tp] - start
            row.done += start
            if start < ends[tp] and (tp, start) in self._seen:
                row.oldest = min(row.oldest, self._seen[(tp, start)][0])
            if (tp, start - 1) in self._seen:
                row.last = max(row.last, self._seen[(tp, start - 1)])
        return {code: r.facts() for code, r in out.items()}

    async def _peek(self, wanted: set[tuple[TopicPartition, int]]) -> None:
        """The timestamp and event id of each record (partition, offset) in `wanted`, unless known already;
        what is no longer wanted is forgotten. A partition's wanted offsets are adjacent (the last handed on,
        the first waiting): one read from the lower covers both."""
        assert self._consumer is not None
        self._seen = {k: v for k, v in self._seen.items() if k in wanted}
        spans: dict[TopicPartition, tuple[int, int]] = {}
        for tp, offset in wanted - set(self._seen):
            lo, hi = spans.get(tp, (offset, offset))
            spans[tp] = (min(lo, offset), max(hi, offset))
        if not spans:
            return
        self._consumer.assign(list(spans))
        for tp, (lo, _) in spans.items():
            self._consumer.seek(tp, lo)
        deadline = asyncio.get_running_loop().time() + FETCH_WAIT
        left = set(spans)
        while left and asyncio.get_running_loop().time() < deadline:
            batches = await self._consumer.getmany(*left, timeout_ms=200, max_records=len(left) * 10)
            for tp, records in batches.items():
                for record in (r for r in records if (tp, r.offset) in wanted):
                    event_id = dict(record.headers or ()).get(EVENT_ID, b"").decode("utf-8", "replace")
                    self._seen[(tp, record.offset)] = (record.timestamp / 1000.0, event_id)
                if records and records[-1].offset >= spans[tp][1]:
                    left.discard(tp)
        # nothing stays assigned: the consumer would go on fetching every partition in the background
        self._consumer.assign([])


@dataclass
class _Row:
    backlog: int = 0
    done: int = 0
    dead: int = 0
    oldest: float = float("inf")
    last: tuple[float, str] = (float("-inf"), "")

    def facts(self) -> Facts:
        oldest = None if self.oldest == float("inf") else self.oldest
        return Facts(self.backlog, oldest, self.done, self.dead, self.last[1] or None)
