"""The little Kafka plumbing shared by the worker and the CLI: topic declaration and a producer.

Faust declares only its internal topics (shared/notes/faust.md), so ours are created here with explicit
partitions, replication and cleanup policy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from wostream.config.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    compacted: bool = False


def core_topics(settings: Settings) -> list[TopicSpec]:
    """Topics every worker needs before it starts routing."""
    return [
        TopicSpec(settings.raw_topic, settings.partitions),
        TopicSpec(settings.rekey_topic, settings.partitions),  # co-partitioned with the raw topic
        TopicSpec(settings.latest_topic, settings.partitions, compacted=True),
        TopicSpec(settings.quarantine_topic, 1),
        TopicSpec(settings.subscriptions_topic, 1, compacted=True),
        TopicSpec(settings.idmaps_topic, 1, compacted=True),
        TopicSpec(settings.callbacks_topic, 1, compacted=True),
        TopicSpec(settings.retries_topic, 1, compacted=True),
    ]


def subscriber_topics(settings: Settings, base_code: str) -> list[TopicSpec]:
    return [
        TopicSpec(settings.push_topic(base_code), settings.partitions),
        TopicSpec(settings.dead_topic(base_code), 1),
    ]


async def ensure_topics(settings: Settings, specs: Iterable[TopicSpec]) -> list[str]:
    """Create the missing topics; returns the names created. Existing topics are left as they are."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka, request_timeout_ms=15_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        todo = [s for s in specs if s.name not in existing]
        if not todo:
            return []
        new = [
            NewTopic(
                s.name,
                s.partitions,
                settings.replication,
                topic_configs={"cleanup.policy": "compact"} if s.compacted else {},
            )
            for s in todo
        ]
        try:
            await admin.create_topics(new)
        except TopicAlreadyExistsError:
            pass  # another worker or the CLI won the race
        await _wait_visible(admin, [s.name for s in todo])
        return [s.name for s in todo]
    finally:
        await admin.close()


async def _wait_visible(admin: AIOKafkaAdminClient, names: list[str], timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if set(names) <= set(await admin.list_topics()):
            return
        await asyncio.sleep(0.1)
    raise KafkaError(f"topics not visible after {timeout:.0f} s: {', '.join(names)}")


def make_producer(settings: Settings) -> AIOKafkaProducer:
    """acks=all and idempotence: a write confirmed is on the broker, once, and within a partition no write
    lands after an earlier one that failed (what the route handoff's ordering relies on). A 5 ms linger
    batches the pipelined copies of many events."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=30_000,
    )
