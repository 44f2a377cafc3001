"""`wostream replay`: put a subscriber's dead events back on its push topic, in their original order.

A consumer group per subscriber remembers how far the dead topic has been replayed, so running replay twice
does not send the same dead events twice. Replayed records carry `replayOf` (where they died) and `replayAt`:
delivery lets them pass their ticket's park, and once they are all published the parks are cleared so the
ticket's new events flow again.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from wostream.broker.clients import new_consumer
from wostream.broker.topics import ensure_topics, make_producer, subscriber_topics
from wostream.config.settings import Settings
from wostream.records.headers import replay_headers, text_headers
from wostream.records.state import park_key


@dataclass
class ReplayReport:
    events: int = 0
    tickets: set[str] = field(default_factory=set)
    reasons: Counter[str] = field(default_factory=Counter)
    kind: str = "dead events"

    def lines(self) -> list[str]:
        out = [f"{self.events} {self.kind} of {len(self.tickets)} tickets"]
        out += [f"  {n:6d}  {reason}" for reason, n in self.reasons.most_common(10)]
        return out


def _summarise(report: ReplayReport, record: ConsumerRecord[bytes, bytes]) -> None:
    report.events += 1
    report.tickets.add((record.key or b"").decode("utf-8", "replace"))
    reason = text_headers(record.headers).get("reason", "?")
    report.reasons["parked behind an earlier dead event" if reason.startswith("parked:") else reason] += 1


def _where(record: ConsumerRecord[bytes, bytes]) -> str:
    return f"{record.topic}:{record.partition}:{record.offset}"


def _progress_keeper(settings: Settings, group: str) -> AIOKafkaConsumer:
    """A consumer whose group remembers how far a topic was replayed (committed after each replay)."""
    return new_consumer(settings, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest")


async def _not_yet_replayed(
    consumer: AIOKafkaConsumer, tp: TopicPartition
) -> tuple[list[ConsumerRecord[bytes, bytes]], int]:
    """The records of `tp` after the last replay's commit, up to its end now; and that end."""
    consumer.assign([tp])
    end = (await consumer.end_offsets([tp]))[tp]
    committed = await consumer.committed(tp)
    consumer.seek(tp, committed if committed is not None else (await consumer.beginning_offsets([tp]))[tp])
    records: list[ConsumerRecord[bytes, bytes]] = []
    while await consumer.position(tp) < end:
        batch = await consumer.getmany(tp, timeout_ms=1000)
        records += [r for r in batch.get(tp, []) if r.offset < end]
    return records, end


async def replay(
    settings: Settings, base_code: str, dry_run: bool, progress: Callable[[int, int], None] | None = None
) -> ReplayReport:
    await ensure_topics(settings, subscriber_topics(settings, base_code))
    tp = TopicPartition(settings.dead_topic(base_code), 0)
    consumer = _progress_keeper(settings, f"{settings.app_id}-replay-{base_code}")
    await consumer.start()
    try:
        records, end = await _not_yet_replayed(consumer, tp)
        report = ReplayReport()
        for record in records:
            _summarise(report, record)
        if dry_run or not records:
            return report
        await _republish(settings, base_code, records, progress)
        await consumer.commit({tp: end})
        return report
    finally:
        await consumer.stop()


async def _republish(
    settings: Settings,
    base_code: str,
    records: list[ConsumerRecord[bytes, bytes]],
    progress: Callable[[int, int], None] | None,
) -> None:
    producer = make_producer(settings)
    await producer.start()
    replay_at = time.time()
    try:
        for n, record in enumerate(records, 1):
            # awaited one by one: the dead topic's order is the order the subscriber gets them in
            await producer.send_and_wait(
                settings.push_topic(base_code),
                key=record.key,
                value=record.value,
                headers=replay_headers(record.headers, _where(record), replay_at),
            )
            if progress:
                progress(n, len(records))
        tickets = {(r.key or b"").decode("utf-8", "replace") for r in records}
        for ticket in sorted(tickets):
            await producer.send_and_wait(settings.retries_topic, key=park_key(base_code, ticket), value=None)
    finally:
        await producer.stop()


async def replay_quarantine(settings: Settings, dry_run: bool) -> ReplayReport:
    """Put quarantined raw events back on the raw topic (after the operator fixed the cause: a subscription's
    scope, an id map, a producer), with their original key; routed again like new events, so subscribers that
    already got one see it again with the same eventId. Stubs of events too big to keep are reported, not
    sent. A consumer group remembers how far it got, so a second run replays only what was quarantined
    since."""
    tp = TopicPartition(settings.quarantine_topic, 0)
    consumer = _progress_keeper(settings, f"{settings.app_id}-replay-quarantine")
    await consumer.start()
    try:
        records, end = await _not_yet_replayed(consumer, tp)
        report = ReplayReport(kind="quarantined events")
        for record in records:
            _summarise(report, record)
        kept = [r for r in records if r.value]
        if dry_run or not records:
            return report
        producer = make_producer(settings)
        await producer.start()
        try:
            for record in kept:
                await producer.send_and_wait(settings.raw_topic, record.value, key=record.key)
        finally:
            await producer.stop()
        await consumer.commit({tp: end})
        report.events = len(kept)
        return report
    finally:
        await consumer.stop()
