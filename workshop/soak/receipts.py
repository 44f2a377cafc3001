"""What the soak's subscribers left behind, as the checker reads it: receipts from the reference subscriber's
`--show-context` lines, dead letters from the subscriber's dead topic."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiokafka import TopicPartition

from workshop.soak.checker import DeadLetter, Receipt
from wostream.broker.clients import new_consumer
from wostream.config.settings import Settings


def receipts(lines: list[dict[str, Any]]) -> list[Receipt]:
    out: list[Receipt] = []
    for line in lines:
        data = json.loads(line["message"]["data"])
        context = line["context"]
        out.append(
            Receipt(
                eventId=str(context["eventId"]),
                ticket=str(data["serviceOrderId"]),
                seq=int(data["seq"]),
                attempt=int(context.get("attempt", "1")),
                refused=bool(line.get("refused")),
                receivedAt=float(line["receivedAt"]),
            )
        )
    return out


async def existing(kafka: Settings, topics: list[str]) -> list[str]:
    """Those of `topics` the broker has (a consumer named on a missing topic fails only after a long wait)."""
    consumer = new_consumer(kafka, group_id=None)
    await consumer.start()
    try:
        known = await consumer.topics()
        return [t for t in topics if t in known]
    finally:
        await consumer.stop()


def read_all(kafka: Settings, topic: str) -> list[Any]:
    """Every record `topic` holds now (none when it does not exist), all partitions."""

    async def run() -> list[Any]:
        if not await existing(kafka, [topic]):
            return []
        # named at construction, so that starting the consumer fetches the topic's metadata
        consumer = new_consumer(
            kafka,
            topic,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
            if not tps:
                return []
            ends = await consumer.end_offsets(tps)
            found: list[Any] = []
            while len(found) < sum(ends.values()):
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    found.extend(records)
            return found
        finally:
            await consumer.stop()

    return asyncio.run(run())


def dead_letters(kafka: Settings, topic: str) -> list[DeadLetter]:
    """The dead letters of a subscriber's dead topic, by their headers."""
    found: list[DeadLetter] = []
    for record in read_all(kafka, topic):
        headers = {k: v.decode("utf-8", "replace") for k, v in record.headers}
        found.append(
            DeadLetter(
                eventId=headers.get("eventId", ""),
                reason=headers.get("reason", ""),
                attempts=int(headers.get("attempts", "0") or 0),
            )
        )
    return found
