"""P3, end-to-end latency: producer → routing → push topic → delivery → the subscriber's callback.

Events are offered at a steady rate, each stamped with its send time (`data.sentAt`) and entitled to one of
ten subscribers (evenly: ticket t belongs to organisation t mod 10, subscriber L<j> sees organisation j).
The ten callbacks live in one counting process (`bench/sink.py`), which measures each message's latency on
arrival. The floor beside it, same broker, same rate: raw aiokafka produce → consume, one hop (wostream's
path has two, plus routing, plus an Ice call through the router). The worker runs as deployed: one process
of the route role, one of the deliver role.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workshop.access import Access
from workshop.bench.figures import Side, Target
from workshop.bench.harness import Keyed, Sink, fresh_stack, publish, subscription
from workshop.bench.throughput import ORGANS, expected_copies
from workshop.local import LocalStack
from workshop.workload import LIFECYCLE, send_paced, ticket_lifecycle
from wostream.broker.clients import new_consumer, new_producer
from wostream.broker.topics import TopicSpec, ensure_topics
from wostream.config.settings import Settings
from wostream.core.credentials import new_secret

CODES = tuple(f"L{j}" for j in range(10))
GOAL_MS = 25.0
# The offered load's producer lingers 5 ms, the default of Kafka's own clients since 4.0 (what a work-order
# system's producer would use): at linger 0, 1 000 requests/s alone take half a core of this machine's broker.
LINGER_MS = 5
ROLES = ("route", "deliver")


def events_for(rate: float, seconds: float, first_ticket: int) -> list[dict[str, Any]]:
    """`rate * seconds` events of interleaved ticket lives (50 tickets under way at once)."""
    tickets = max(1, int(rate * seconds) // len(LIFECYCLE))
    out: list[dict[str, Any]] = []
    for start in range(0, tickets, 50):
        block = range(start, min(tickets, start + 50))
        lives = {t: ticket_lifecycle(str(first_ticket + t), organ=ORGANS[t % 10]) for t in block}
        for step in range(len(LIFECYCLE)):
            out.extend(lives[t][step] for t in block)
    for event in out:
        event["data"]["sentAt"] = ""
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def offered(
    stack: LocalStack, secret: str, rate: float, seconds: float, first_ticket: int, batch: bool = False
) -> list[float]:
    """Latencies (seconds) of every delivered event when `rate` events/s are offered for `seconds` (to
    plain subscribers, or with `batch` to BatchSubscribers)."""
    events = events_for(rate, seconds, first_ticket)
    records: list[Keyed] = [(None, json.dumps(e, ensure_ascii=False).encode()) for e in events]
    subs = [subscription(c, organs=[ORGANS[j]], secret=secret) for j, c in enumerate(CODES)]
    target = expected_copies(records, subs, memory=True)
    sink = Sink(stack, list(CODES), secret, target, batch=batch)
    try:
        sink.wait_subscribed()
        send_paced(stack.kafka, stack.settings.raw_topic, events, rate, LINGER_MS)
        found: list[float] = sink.result(timeout=seconds + 300)["latencies"]
        return found
    finally:
        sink.stop()


async def one_hop(kafka: Settings, rate: float, seconds: float) -> list[float]:
    """The floor: produce at `rate` (the same linger), consume (a group-less consumer), same broker."""
    topic = f"bench.hop.{time.monotonic_ns()}"
    await ensure_topics(kafka, [TopicSpec(topic, 1)])
    consumer = new_consumer(kafka, topic, group_id=None, fetch_max_wait_ms=100)
    producer = new_producer(kafka, linger_ms=LINGER_MS, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    n = int(rate * seconds)
    latencies: list[float] = []

    async def consume() -> None:
        while len(latencies) < n:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                now = time.time()
                latencies.extend(now - float(r.value or b"0") for r in records)

    reader = asyncio.ensure_future(consume())
    try:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for k in range(n):
            delay = start + k / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await producer.send(topic, repr(time.time()).encode())
        await asyncio.wait_for(reader, 120)
        return latencies
    finally:
        reader.cancel()
        await producer.stop()
        await consumer.stop()


def bench_p3(
    access: Access,
    workdir: Path,
    seconds: float,
    repeats: int,
    sweep: list[float],
    say: Callable[[str], None],
) -> tuple[list[Target], dict[str, Any]]:
    """The 1 000 events/s run `repeats` times, then a sweep of offered rates; figures for the plots."""
    stack = fresh_stack(access, workdir, partitions=8, push_partitions=1)
    secret = new_secret()
    figures: dict[str, Any] = {"latencies_ms": [], "sweep": [], "sweep_batch": []}
    p50s, p99s, maxes, floors = [], [], [], []
    try:
        stack.start_router()
        for index, role in enumerate(ROLES):  # as deployed: routing and delivery each in its own process
            stack.extra_env["WOSTREAM_ROLE"] = role
            stack.start_worker(role, index=index)
        for role in ROLES:
            stack.wait_ready(role, timeout=180)
        publish(stack, [subscription(c, organs=[ORGANS[j]], secret=secret) for j, c in enumerate(CODES)])
        offered(stack, secret, 200, 3, 9_000_000)  # warm-up: connections, metadata, first rebalance
        for n in range(repeats):
            got = [x * 1000 for x in offered(stack, secret, 1000, seconds, 9_100_000 + n * 100_000)]
            floor = [x * 1000 for x in asyncio.run(one_hop(stack.kafka, 1000, min(seconds, 20)))]
            p50s.append(percentile(got, 0.5))
            p99s.append(percentile(got, 0.99))
            maxes.append(max(got))
            floors.append(percentile(floor, 0.99))
            figures["latencies_ms"] = got
            say(f"P3 repeat {n + 1}/{repeats}: p50 {p50s[-1]:.1f} p99 {p99s[-1]:.1f} max {maxes[-1]:.0f} ms")
        for k, (batch, rate) in enumerate((b, r) for b in (False, True) for r in sweep):
            got = [x * 1000 for x in offered(stack, secret, rate, 15, 9_600_000 + k * 100_000, batch)]
            point = {"rate": rate, "p50": percentile(got, 0.5), "p99": percentile(got, 0.99), "max": max(got)}
            figures["sweep_batch" if batch else "sweep"].append(point)
            mode = "pushBatch" if batch else "push"
            say(f"P3 sweep {mode} {rate:,.0f} events/s: p50 {point['p50']:.1f} p99 {point['p99']:.1f} ms")
    finally:
        stack.stop()
    highest = []
    for key, mode in (("sweep", "push"), ("sweep_batch", "pushBatch")):
        within = [p["rate"] for p in figures[key] if p["p99"] <= GOAL_MS]
        best = f"{max(within):,.0f} events/s" if within else f"none of {', '.join(f'{r:g}' for r in sweep)}"
        highest.append(f"highest offered rate with p99 ≤ {GOAL_MS:g} ms, {mode}: {best}")
    unit = "ms"
    return [
        Target(
            "P3",
            f"latency at 1 000 events/s for {seconds:g} s, p99 (10 subscribers, one event each)",
            Side("wostream, produce → callback p99", tuple(p99s), unit),
            Side("floor: raw aiokafka produce → consume p99, one hop", tuple(floors), unit),
            GOAL_MS,
            notes=(
                f"p50 median {statistics.median(p50s):.1f} ms, max median {statistics.median(maxes):.0f} ms",
                *highest,
            ),
        )
    ], figures
