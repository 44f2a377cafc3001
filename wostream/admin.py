"""What the CLI does against Kafka: publish subscriptions and id maps, send raw events.

Validation happens before anything is published: a bad file is rejected whole.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from wostream.idmaps import IdMapEntry, idmap_to_record
from wostream.kafka import core_topics, ensure_topics, make_producer, subscriber_topics
from wostream.models import Subscription
from wostream.settings import Settings
from wostream.subscriptions import subscription_to_record

log = logging.getLogger(__name__)


class InputError(ValueError):
    """Bad input for a CLI command; `.errors` lists every problem found."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


async def publish_subscriptions(settings: Settings, subs: list[Subscription]) -> None:
    """One record per subscriber; their topics are created first so no event can miss them."""
    for sub in subs:
        await ensure_topics(settings, subscriber_topics(settings, sub.base_code))
    await _publish(settings, settings.subscriptions_topic, (subscription_to_record(sub) for sub in subs))


async def publish_idmaps(
    settings: Settings, entries: Iterable[IdMapEntry], progress: Callable[[int], None] | None = None
) -> int:
    records = (idmap_to_record(entry) for entry in entries)
    return await _publish(settings, settings.idmaps_topic, records, progress, chunk=5000)


async def _publish(
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


@dataclass(frozen=True)
class OutgoingEvent:
    key: bytes | None
    value: bytes


def _key_of(event: object) -> bytes | None:
    """The ticket id as Kafka key, so one ticket's events stay in order in one partition."""
    if isinstance(event, dict):
        data = event.get("data")
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                return None
        if isinstance(data, dict):
            for k, v in data.items():
                if k.strip().lower() == "serviceorderid" and v is not None:
                    return str(v).encode()
    return None


def parse_events(text: str, source: str, raw: bool = False) -> Iterator[OutgoingEvent]:
    """A JSON array of events, one (pretty-printed) event, or JSON lines.

    With `raw`, each non-empty line is sent byte for byte: the way to test the quarantine.
    """
    if raw:
        for line in text.splitlines():
            if line.strip():
                yield OutgoingEvent(None, line.encode())
        return
    items = _whole_document(text)
    if items is None and text.lstrip().startswith("["):
        raise InputError([f"{source}: not a valid JSON array"])
    for item in _json_lines(text, source) if items is None else items:
        yield OutgoingEvent(_key_of(item), json.dumps(item, ensure_ascii=False).encode())


def _json_lines(text: str, source: str) -> list[Any]:
    items, errors = [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except ValueError as exc:
            errors.append(f"{source}:{n}: not valid JSON: {exc} (use --raw to send it anyway)")
    if errors:
        raise InputError(errors)
    return items


def _whole_document(text: str) -> list[Any] | None:
    """The file as one JSON document: an array of events or a single event; None if it is not one."""
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if isinstance(doc, list):
        return doc
    return [doc] if isinstance(doc, dict) else None


async def send_events(settings: Settings, events: Iterable[OutgoingEvent]) -> int:
    return await _publish(settings, settings.raw_topic, ((e.key, e.value) for e in events))
