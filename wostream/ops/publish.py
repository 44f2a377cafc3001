"""Publishing configuration to its compacted topics: subscriptions and id maps.

Validation happens before anything is published (the CLI checks the whole file first), and each subscriber's
topics exist before its record, so no event can miss them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from wostream.broker.reading import latest_by_key
from wostream.broker.topics import (
    core_topics,
    ensure_topics,
    faust_topics,
    make_producer,
    subscriber_topics,
)
from wostream.config.errors import ConfigError
from wostream.config.idmaps import IdMapEntry
from wostream.config.settings import Settings
from wostream.config.subscriptions import Draft
from wostream.core.credentials import generated, settle, slow
from wostream.core.models import Subscription
from wostream.records.config import idmap_to_record, subscription_from_record, subscription_to_record

log = logging.getLogger(__name__)


@dataclass
class ApplyReport:
    """What an apply did: new, changed and unchanged subscribers (unchanged ones cost nothing)."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0

    def line(self, source: str) -> str:
        total = len(self.new) + len(self.changed) + self.unchanged
        text = (
            f"{total} subscriptions in {source}: {len(self.new)} new, {len(self.changed)} changed, "
            f"{self.unchanged} unchanged; {len(self.new) + len(self.changed)} published"
        )
        shown = self.new + self.changed
        return text + (f" ({', '.join(shown)})" if 0 < len(shown) <= 10 else "")


def _settle_all(drafts: list[Draft], current: dict[str, Subscription]) -> list[Subscription]:
    """Hash what needs hashing, keeping stored hashes of unchanged secrets; slow hashes on every core."""
    work = [
        (clear, current[sub.base_code].secret_hash if sub.base_code in current else None)
        for sub, clear in drafts
    ]
    heavy = [n for n, (clear, stored) in enumerate(work) if clear is not None and _costly(clear, stored)]
    hashes: dict[int, str] = {}
    if len(heavy) > 1:
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            hashes = dict(zip(heavy, pool.map(_settle, [work[n] for n in heavy], chunksize=8), strict=True))
    return [
        sub if clear is None else replace(sub, secret_hash=hashes[n] if n in hashes else _settle(work[n]))
        for n, (sub, clear) in enumerate(drafts)
    ]


def _costly(clear: str, stored: str | None) -> bool:
    """A person's secret needs the slow hash, and checking one against a slow stored hash costs as much."""
    return not generated(clear) or (stored is not None and slow(stored))


def _settle(item: tuple[str | None, str | None]) -> str:
    clear, stored = item
    assert clear is not None
    return settle(clear, stored)


async def apply_subscriptions(settings: Settings, drafts: list[Draft]) -> ApplyReport:
    """Publish what changed in a validated file; a re-apply of an unchanged file publishes nothing."""
    current: dict[str, Subscription] = {}
    for key, record in (await latest_by_key(settings, settings.subscriptions_topic)).items():
        try:
            found = subscription_from_record(key, record.value)
        except ConfigError:
            continue  # a record no worker can use either: this file's entry replaces it
        if found is not None:
            current[found.base_code] = found
    report = ApplyReport()
    todo = []
    for sub in _settle_all(drafts, current):
        before = current.get(sub.base_code)
        if before == sub:
            report.unchanged += 1
            continue
        (report.new if before is None else report.changed).append(sub.base_code)
        todo.append(sub)
    if todo:
        await publish_subscriptions(settings, todo)
    return report


async def publish_subscriptions(settings: Settings, subs: list[Subscription]) -> None:
    """One record per subscriber; their topics are created first so no event can miss them."""
    specs = [spec for sub in subs for spec in subscriber_topics(settings, sub.base_code, sub.partitions)]
    await ensure_topics(settings, specs)  # one request for the whole file
    await publish_records(
        settings, settings.subscriptions_topic, (subscription_to_record(sub) for sub in subs)
    )


async def ensure_all_topics(settings: Settings) -> int:
    """wostream's own topics (Faust's changelog among them), then every published subscriber's; returns how
    many of them exist now."""
    specs = core_topics(settings) + faust_topics(settings)
    await ensure_topics(settings, specs)
    for key, record in (await latest_by_key(settings, settings.subscriptions_topic)).items():
        try:
            sub = subscription_from_record(key, record.value)
        except ConfigError:
            continue
        if sub is not None:
            specs += subscriber_topics(settings, sub.base_code, sub.partitions)
    return len({s.name for s in specs} & await ensure_topics(settings, specs))


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
