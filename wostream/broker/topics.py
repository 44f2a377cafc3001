"""The little Kafka plumbing shared by the worker and the CLI: topic declaration and a producer.

Faust declares only its internal topics, so ours are created here with explicit
partitions, replication and cleanup policy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from wostream.broker.clients import new_admin, new_consumer, new_producer
from wostream.broker.producer import Producer
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


def faust_topics(settings: Settings) -> list[TopicSpec]:
    """The Faust app's own topics, made before it starts rather than by Faust as it starts: its producer
    learns every topic's partitions when it starts, and a changelog made meanwhile stays unknown to it for
    minutes (writing the tickets table then fails: the producer cannot place the record)."""
    if not settings.ticket_memory:
        return []
    return [TopicSpec(settings.tickets_changelog, settings.partitions, compacted=True)]


def subscriber_topics(settings: Settings, base_code: str, partitions: int | None = None) -> list[TopicSpec]:
    """A subscriber's push topic (its own partition count, or the deployment's) and its dead topic."""
    return [
        TopicSpec(settings.push_topic(base_code), partitions or settings.push_partitions),
        TopicSpec(settings.dead_topic(base_code), 1),
    ]


class TopicKeeper:
    """Which topics exist, as one worker knows it, so writing to a known topic costs a set lookup.

    The publisher makes a subscriber's topics before its record (one request for a whole file); a topic a
    worker does not know yet is looked up once for all (one metadata request refreshes every name) and made
    only if still missing. Each call has a deadline; a failure is the caller's to retry, never a crash.
    """

    def __init__(self, settings: Settings, deadline: float = 30.0) -> None:
        self.settings = settings
        self.deadline = deadline
        self.known: set[str] = set()
        self._lock = asyncio.Lock()

    async def ensure(self, specs: list[TopicSpec]) -> None:
        if all(s.name in self.known for s in specs):
            return
        async with self._lock:
            missing = [s for s in specs if s.name not in self.known]
            if missing:
                existing = await asyncio.wait_for(ensure_topics(self.settings, missing), self.deadline)
                self.known.update(existing)


async def list_topics(settings: Settings) -> set[str]:
    admin = new_admin(settings, request_timeout_ms=15_000)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def ensure_topics(settings: Settings, specs: Iterable[TopicSpec]) -> set[str]:
    """Create the missing topics in one request; returns every topic that exists now (existing ones are left
    as they are)."""
    admin = new_admin(settings, request_timeout_ms=15_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        todo = [s for s in specs if s.name not in existing]
        if not todo:
            return existing
        new = [
            NewTopic(
                s.name,
                s.partitions,
                settings.replication,
                topic_configs={"cleanup.policy": "compact"} if s.compacted else {},
            )
            for s in todo
        ]
        refused(await admin.create_topics(new))
        await _wait_visible(admin, [s.name for s in todo])
        await _wait_writable(settings, [TopicPartition(s.name, p) for s in todo for p in range(s.partitions)])
        return existing | {s.name for s in todo}
    finally:
        await admin.close()


def refused(response: Any) -> None:
    """Raise the first per-topic error of a CreateTopics response (aiokafka returns them without raising): a
    principal without `Create` learns it at once, not after waiting for topics that never come. A topic made
    meanwhile by another worker or the CLI is no error."""
    for topic, code, *rest in response.topic_errors:
        if code not in (0, TopicAlreadyExistsError.errno):
            why = rest[0] if rest and rest[0] else "no message"
            raise for_code(code)(f"creating topic {topic}: {why}")


async def _wait_visible(admin: AIOKafkaAdminClient, names: list[str], limit: float = 60.0) -> None:
    """Until every partition of every new topic has a leader: a write to a partition without one is refused
    (NotLeaderForPartition) and retried with a metadata refresh each time, which with a thousand new topics
    costs the workers more than the writes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    waiting = list(names)
    while waiting:
        described = []
        for start in range(0, len(waiting), 200):
            described += await admin.describe_topics(waiting[start : start + 200])
        ready = {t["topic"] for t in described if not t.get("error_code") and _led(t)}
        waiting = [name for name in waiting if name not in ready]
        if not waiting:
            return
        if loop.time() > deadline:
            shown = ", ".join(waiting[:5]) + (f" and {len(waiting) - 5} more" if len(waiting) > 5 else "")
            raise KafkaError(f"new topics without a leader after {limit:.0f} s: {shown}")
        await asyncio.sleep(0.2)


async def _wait_writable(settings: Settings, tps: list[TopicPartition], limit: float = 120.0) -> None:
    """Until the broker serves every new partition: a leader is named at once, but a broker making two
    thousand partitions takes seconds more before it accepts a write to each (NotLeaderForPartition until
    then)."""
    quiet = logging.getLogger("aiokafka")  # it logs every refused offset request as an error meanwhile
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    topics = sorted({tp.topic for tp in tps})
    consumer = new_consumer(settings, *topics, group_id=None, request_timeout_ms=10_000)
    await consumer.start()
    try:
        deadline = asyncio.get_running_loop().time() + limit
        while True:
            try:
                await consumer.end_offsets(tps)
                return
            except KafkaError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
    finally:
        await consumer.stop()
        quiet.setLevel(level)


def _led(topic: dict[str, Any]) -> bool:
    partitions = topic.get("partitions") or []
    return bool(partitions) and all(p.get("leader", -1) >= 0 and not p.get("error_code") for p in partitions)


def make_producer(settings: Settings) -> Producer:
    """acks=all and idempotence: a write confirmed is on the broker, once, and within a partition no write
    lands after an earlier one that failed (what the route pipeline's ordering relies on). A 5 ms linger
    batches the pipelined copies of many events; batches outlive a broker away for up to two minutes."""
    return Producer(
        lambda: new_producer(
            settings, acks="all", enable_idempotence=True, linger_ms=5, request_timeout_ms=120_000
        )
    )
