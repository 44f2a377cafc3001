"""Publishing configuration to its compacted topics: subscriptions and id maps.

Validation happens before anything is published (the CLI checks the whole file first), and each subscriber's
topics exist before its record, so no event can miss them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from wostream.broker.topics import core_topics, ensure_topics, make_producer, subscriber_topics
from wostream.config.idmaps import IdMapEntry
from wostream.config.settings import Settings
from wostream.core.models import Subscription
from wostream.records.config import idmap_to_record, subscription_to_record

log = logging.getLogger(__name__)


async def publish_subscriptions(settings: Settings, subs: list[Subscription]) -> None:
    """One record per subscriber; their topics are created first so no event can miss them."""
    for sub in subs:
        await ensure_topics(settings, subscriber_topics(settings, sub.base_code))
    await publish_records(
        settings, settings.subscriptions_topic, (subscription_to_record(sub) for sub in subs)
    )


async def remove_subscriptions(settings: Settings, base_codes: list[str]) -> None:
    """A tombstone per baseCode: every worker forgets the subscriber and ends its sessions (topics stay)."""
    await publish_records(
        settings, settings.subscriptions_topic, ((code.encode(), None) for code in base_codes)
    )


async def publish_idmaps(
    settings: Settings, entries: Iterable[IdMapEntry], progress: Callable[[int], None] | None = None
) -> int:
    records = (idmap_to_record(entry) for entry in entries)
    return await publish_records(settings, settings.idmaps_topic, records, progress, chunk=5000)


async def publish_records(
    settings: Settings,
    topic: str,
    records: Iterable[tuple[bytes | None, bytes | None]],
    progress: Callable[[int], None] | None = None,
    chunk: int = 1000,
) -> int:
    """Pipelined sends, awaited in chunks. aiokafka sends one batch per partition at a time, so the order
    of `records` is the order on each partition."""
    await ensure_topics(settings, core_topics(settings))
    producer = make_producer(settings)
    await producer.start()
    count = 0
    try:
        pending: list[Any] = []
        for key, value in records:
            pending.append(await producer.send(topic, key=key, value=value))
            count += 1
            if len(pending) >= chunk:
                await _drain(pending)
                if progress:
                    progress(count)
        await _drain(pending)
        if progress:
            progress(count)
    finally:
        await producer.stop()
    return count


async def _drain(pending: list[Any]) -> None:
    for fut in pending:
        await fut
    pending.clear()
