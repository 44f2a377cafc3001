"""Routing throughput through a real worker, against a raw aiokafka copy loop on the same broker, same run.

    wostream bench pipeline [EVENTS]

Starts its own Kafka, glacier2router and worker (like the integration tests), applies one subscription that
takes every event, sends EVENTS raw events, and times until all copies are on the subscriber's push topic.
The baseline reads the same raw events with aiokafka and writes each to another topic (getmany, acks=all,
pipelined): what the machine's broker and Python allow without Faust or routing.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from wostream.broker.topics import TopicSpec, ensure_topics
from wostream.config.settings import Settings
from wostream.dev.local import LocalStack, isolated
from wostream.dev.stack import Kafka, free_port
from wostream.dev.workload import as_lines, read_topic, ticket_events

SUBSCRIPTION = """subscribers:
  - baseCode: BENCH
    secret: x
    dataAreas: [fwwt]
    changeIds: ["*"]
    scope: {organIds: ["*"]}
"""


async def raw_copy(bootstrap: str, source: str, target: str, n: int) -> float:
    await ensure_topics(Settings(kafka=bootstrap), [TopicSpec(target, 4)])
    consumer = AIOKafkaConsumer(
        source, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest"
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await consumer.start()
    await producer.start()
    try:
        started, copied, pending = time.monotonic(), 0, []
        while copied < n:
            for records in (await consumer.getmany(timeout_ms=500, max_records=1000)).values():
                for r in records:
                    pending.append(await producer.send(target, r.value, key=r.key))
                copied += len(records)
            await asyncio.gather(*pending)
            pending.clear()
        return n / (time.monotonic() - started)
    finally:
        await consumer.stop()
        await producer.stop()


def bench_pipeline(n: int) -> list[str]:
    """Printable lines: the worker's events/s, the baseline's, and their ratio."""
    tmp = Path(tempfile.mkdtemp(prefix="wostream-bench-"))
    kafka = Kafka(tmp / "kafka", port=free_port(), controller_port=free_port())
    kafka.start()
    stack = LocalStack(isolated(kafka.bootstrap, "bench"), tmp)
    try:
        stack.start_router()
        stack.start_worker()
        stack.wait_ready()
        (tmp / "subs.yaml").write_text(SUBSCRIPTION)
        stack.cli("subscriptions", "apply", str(tmp / "subs.yaml"))
        events = ticket_events(100, max(1, n // 100))
        stack.cli("send", "-", input=as_lines(events[:100]))  # warm-up
        read_topic(kafka.bootstrap, stack.settings.push_topic("BENCH"), 100, 60)
        started = time.monotonic()
        stack.cli("send", "-", input=as_lines(events))
        read_topic(kafka.bootstrap, stack.settings.push_topic("BENCH"), 100 + len(events), 600)
        routed = len(events) / (time.monotonic() - started)
        stack.stop()
        raw_topic, total = stack.settings.raw_topic, 100 + len(events)
        baseline = asyncio.run(raw_copy(kafka.bootstrap, raw_topic, "bench.copy", total))
        return [
            f"routed through the worker: {routed:,.0f} events/s ({len(events)} events, send time included)",
            f"baseline, raw aiokafka consume->produce on the same broker: {baseline:,.0f} events/s",
            f"ratio {routed / baseline:.2f}",
        ]
    finally:
        stack.stop()
        kafka.stop()
