"""`wostream status`: every subscriber's state straight from Kafka and the config topics, with no worker
needed.

It folds the config topics into a Directory (and the retries topic into Schedules) the way a worker does
and reads the same offsets with the same reader, so its figures are the ones every worker's page and
`/metrics` show. The rate needs two looks at the committed offsets, `window` seconds apart.
"""

from __future__ import annotations

import asyncio
import time

from wostream.broker.offsets import OffsetReader
from wostream.broker.reading import latest_by_key
from wostream.config.settings import Settings
from wostream.core.directory import Directory
from wostream.core.schedules import Schedules
from wostream.core.subscriber_status import Status, retry_summary, status_of
from wostream.records.fold import Fold


async def _folded(settings: Settings) -> tuple[Directory, Schedules]:
    directory, schedules = Directory(), Schedules()
    fold = Fold(directory, schedules)
    topics = (
        (settings.subscriptions_topic, fold.subscription),
        (settings.callbacks_topic, fold.callback),
        (settings.retries_topic, fold.retry),
    )
    for topic, apply in topics:
        for key, record in (await latest_by_key(settings, topic)).items():
            apply(key, record.value)
    return directory, schedules


async def gather_status(settings: Settings, only: str | None, window: float) -> list[Status]:
    directory, schedules = await _folded(settings)
    codes = sorted(c for c in directory.subscriptions if only is None or c == only)
    reader = OffsetReader(settings)
    await reader.start()
    try:
        first = await reader.facts(codes)
        started = time.monotonic()
        if window > 0:
            await asyncio.sleep(window)
        last = await reader.facts(codes)
        spent = time.monotonic() - started
    finally:
        await reader.stop()
    retrying, errors = retry_summary(schedules.retries, settings.base_code_of)
    out = []
    now = time.time()
    for code in codes:
        facts = last.get(code)
        if facts is None:
            continue
        before = first.get(code)
        rate = None if before is None or window <= 0 else max(0, facts.done - before.done) * 60.0 / spent
        sub = directory.subscriptions[code]
        out.append(
            status_of(sub, directory.online(code), facts, retrying.get(code, 0), now, rate, errors.get(code))
        )
    return out


def as_json(status: Status) -> dict[str, object]:
    return {
        "baseCode": status.base_code,
        "name": status.name,
        "state": status.state,
        "online": status.online,
        "backlog": status.backlog,
        "oldestWaitingSeconds": None
        if status.oldest_waiting_s is None
        else round(status.oldest_waiting_s, 1),
        "donePerMinute": None if status.per_minute is None else round(status.per_minute, 1),
        "dead": status.dead,
        "retrying": status.retrying,
        "lastError": status.last_error,
        "lastDeliveredEventId": status.last_event_id,
    }
