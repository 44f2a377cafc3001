"""Workloads for the local stack: realistic raw events, reading topics back, pacing, waiting with a deadline.

Shared by the integration tests, the benchmarks and the soak, so all produce and read events the same way.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workshop.paths import EXAMPLES
from wostream.broker.clients import new_consumer, new_producer
from wostream.config.settings import Settings


def example_files() -> list[Path]:
    return sorted(EXAMPLES.glob("*.json"))


def poll(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    """Wait until `predicate()` is truthy; fail with `what` at the deadline (never sleep-and-hope)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def read_topic(kafka: Settings, topic: str, n: int, timeout: float = 30.0) -> list[Any]:
    """The first `n` records of a topic (all partitions), or fail at the deadline."""

    async def run() -> list[Any]:
        # without a group, a subscription is served every partition of the topic
        consumer = new_consumer(
            kafka,
            topic,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            deadline = time.monotonic() + timeout
            records: list[Any] = []
            while len(records) < n:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{len(records)} of {n} records on {topic} after {timeout:.0f} s")
                batch = await consumer.getmany(timeout_ms=500)
                for recs in batch.values():
                    records.extend(recs)
            return records
        finally:
            await consumer.stop()

    return asyncio.run(run())


def step_handled(ticket: str, area: str = "fwwt", organ: str = "671024", track: str = "T1") -> dict[str, Any]:
    """A raw changeId 2 event (step handled) with every field the table requires."""
    return {
        "dataArea": area,
        "changeId": "2",
        "data": {
            "serviceOrderId": ticket,
            "serviceOrderCode": f"C{ticket}",
            "templateId": "1",
            "busiTypeId": "2",
            "organId": organ,
            "trackId": track,
            "trackCode": "NODE_X",
            "trackName": "处理",
            "statusName": "已处理",
            "createDate": "20260101120000",
            "handleDate": "20260101120000",
            "currentUserId": "7",
            "currentEuserId": "",
            "currentUserName": "张三",
            "trackInfo": "done",
        },
    }


def ticket_events(
    tickets: int, per_ticket: int, area: str = "fwwt", organ: str = "671024", first_ticket: int = 5_000_000
) -> list[dict[str, Any]]:
    """Step-handled events interleaved across tickets; `seq` orders a ticket's events, `eventId` names one."""
    events = []
    for seq in range(per_ticket):
        for t in range(tickets):
            ticket = str(first_ticket + t)
            event = step_handled(ticket, area, organ, track=f"{ticket}{seq:04d}")
            event["eventId"] = f"{ticket}-{seq}"
            event["data"].update(seq=str(seq), sentAt="")
            events.append(event)
    return events


def as_lines(events: list[dict[str, Any]]) -> str:
    return "\n".join(json.dumps(e, ensure_ascii=False) for e in events)


def send_paced(
    kafka: Settings, topic: str, events: list[dict[str, Any]], rate: float, linger_ms: int = 0
) -> None:
    """Send events at `rate` per second, stamping data.sentAt at send time (for end-to-end latency)."""

    async def run() -> None:
        producer = new_producer(kafka, linger_ms=linger_ms)
        await producer.start()
        try:
            loop = asyncio.get_running_loop()
            start = loop.time()
            for n, event in enumerate(events):
                delay = start + n / rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                event["data"]["sentAt"] = repr(time.time())
                key = event["data"]["serviceOrderId"].encode()
                await producer.send(topic, json.dumps(event, ensure_ascii=False).encode(), key=key)
            await producer.flush()
        finally:
            await producer.stop()

    asyncio.run(run())


# A ticket's life in the order a work-order system writes it (kind 8 is accepted and never pushed).
LIFECYCLE = ("1", "5", "2", "6", "6", "9", "5", "2", "7", "10", "8", "3", "4")


def ticket_lifecycle(
    ticket: str, organ: str = "671024", community: str = "139912543382896", area: str = "fwwt"
) -> list[dict[str, Any]]:
    """One ticket's events, each body from the spec's example of its kind, as docs/events.md has them: only
    the creating event names the community, and the evaluation (4) carries no data area at all. `eventId`
    is `<ticket>-<n>` and `data.seq` orders them."""
    events = []
    for n, change_id in enumerate(LIFECYCLE):
        name = "changeId-1-a.json" if change_id == "1" else f"changeId-{change_id}.json"
        event = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
        data = event["data"]
        data.update(serviceOrderId=ticket, organId=organ, seq=str(n))
        for key in ("communityId", "eCommunityId", "templateCode", "serviceTypeCode"):
            data.pop(key, None)
        event["dataArea"] = area
        if change_id == "1":
            data.update(communityId=community, templateCode=area)
        if change_id == "4":
            del event["dataArea"]
        event["eventId"] = f"{ticket}-{n}"
        events.append(event)
    return events


def produce(
    kafka: Settings, topic: str, events: list[dict[str, Any]], key: Callable[[dict[str, Any]], bytes | None]
) -> None:
    """Send events with the Kafka key `key(event)` (None, a wrong key, or the ticket), in order."""

    async def run() -> None:
        producer = new_producer(kafka, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            for event in events:
                await producer.send_and_wait(
                    topic, json.dumps(event, ensure_ascii=False).encode(), key=key(event)
                )
        finally:
            await producer.stop()

    asyncio.run(run())


@dataclass
class PacedOffer:
    """Sends at a steady rate in its own thread, stamping `data.sentAt`; `sent` counts what was handed to the
    producer so far (a fault test checks the stream still flows when it strikes), `confirmed` holds what the
    broker took (acks=all); a record the broker refused is `failed`, not offered."""

    kafka: Settings
    topic: str
    events: list[dict[str, Any]]
    rate: float
    confirmed: list[dict[str, Any]] = field(default_factory=list)
    sent: int = 0
    failed: int = 0

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=lambda: asyncio.run(self._run()), name="paced offer", daemon=True)
        thread.start()
        return thread

    async def _run(self) -> None:
        producer = new_producer(
            self.kafka, acks="all", enable_idempotence=True, linger_ms=5,
            request_timeout_ms=120_000,
        )  # fmt: skip
        await producer.start()
        try:
            loop = asyncio.get_running_loop()
            start = loop.time()
            sent: list[tuple[dict[str, Any], asyncio.Future[Any]]] = []
            for n, event in enumerate(self.events):
                delay = start + n / self.rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                key = event["data"]["serviceOrderId"].encode()
                event["data"]["sentAt"] = repr(time.time())
                try:
                    value = json.dumps(event, ensure_ascii=False).encode()
                    sent.append((event, await producer.send(self.topic, value, key=key)))
                    self.sent = n + 1
                except Exception:  # the broker is away longer than the producer waits: not offered
                    self.failed += 1
            for event, future in sent:
                try:
                    await future
                    self.confirmed.append(event)
                except Exception:
                    self.failed += 1
        finally:
            await producer.stop()
