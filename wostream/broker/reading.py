"""Reading whole topics from the operators' side (resync, status): group-less, up to the ends at start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeAlias

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from wostream.broker.clients import new_admin, new_consumer
from wostream.config.settings import Settings

Record: TypeAlias = ConsumerRecord[bytes, bytes]


async def read_to_end(settings: Settings, topic: str) -> AsyncIterator[Record]:
    """Every record of every partition of `topic` present when the call starts, in each partition's order."""
    consumer = new_consumer(settings, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in await partitions(settings, topic)]
        if not tps:
            return
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        pending = {tp for tp in tps if ends[tp] > 0}
        while pending:
            batches = await consumer.getmany(*pending, timeout_ms=1000, max_records=5000)
            for tp, records in batches.items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield record
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
    finally:
        await consumer.stop()


async def partitions(settings: Settings, topic: str) -> list[int]:
    """The partition numbers of `topic` (none if it does not exist)."""
    admin = new_admin(settings, request_timeout_ms=15_000)
    await admin.start()
    try:
        (found,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if found.get("error_code"):
        return []
    return sorted(int(p["partition"]) for p in found.get("partitions", []))


async def latest_by_key(settings: Settings, topic: str) -> dict[bytes, Record]:
    """What a compacted topic says now: the last record per key, tombstoned keys removed."""
    latest: dict[bytes, Record] = {}
    async for record in read_to_end(settings, topic):
        key = record.key or b""
        if record.value is None:
            latest.pop(key, None)
        else:
            latest[key] = record
    return latest
