"""P1, routing through a real worker against a raw aiokafka fan-out loop on the same broker, same run.

N realistic raw events (the spec's example bodies through each ticket's life, kinds mixed, tickets
interleaved) are on `wo.events` before the worker starts; the clock runs from the worker's `/health` ready
until every copy is on the push topics. Ten subscriptions, each event entitled to three of them (by its
organisation). The baseline reads the same pre-loaded events with aiokafka and writes each to three topics
with the worker's producer settings (acks=all, idempotent, 5 ms linger), pipelined per fetched batch.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

from workshop.access import Access
from workshop.bench.figures import Comparison, Side
from workshop.bench.harness import Keyed, fresh_stack, preload, publish, subscription, wait_records
from workshop.workload import LIFECYCLE, ticket_lifecycle
from wostream.broker.clients import new_consumer
from wostream.broker.topics import TopicSpec, ensure_topics, make_producer
from wostream.config.settings import Settings
from wostream.core.models import IdMaps, Subscription, Ticket
from wostream.core.routing import Memory, SubscriptionIndex, route

ORGANS = tuple(f"9{n:05d}" for n in range(10))
MATCHING = tuple(f"P{n}" for n in range(10))
ACTIVE = 200  # tickets under way at once: their events interleave on the topic as in production


def corpus(events: int) -> list[Keyed]:
    """About `events` raw events keyed by ticket; ticket t belongs to organisation ORGANS[t % 10]."""
    tickets = max(1, events // len(LIFECYCLE))
    out: list[Keyed] = []
    for first in range(0, tickets, ACTIVE):
        block = range(first, min(tickets, first + ACTIVE))
        lives = {t: ticket_lifecycle(f"8{t:07d}", organ=ORGANS[t % 10]) for t in block}
        for step in range(len(LIFECYCLE)):
            for t in block:
                event = lives[t][step]
                out.append(
                    (event["data"]["serviceOrderId"].encode(), json.dumps(event, ensure_ascii=False).encode())
                )
    return out


def subscriptions(total: int) -> list[Subscription]:
    """Subscriber P<j> sees organisations j, j+1, j+2 (mod 10): every event is entitled to exactly three.
    The other `total - 10` see other organisations: one in ten of them the same data area (candidates whose
    scope is checked and fails), the rest other data areas (never candidates)."""
    subs = [
        subscription(code, organs=[ORGANS[(j + k) % 10] for k in range(3)]) for j, code in enumerate(MATCHING)
    ]
    for i in range(total - len(subs)):
        areas = ["fwwt"] if i % 10 == 0 else [f"area{i % 97}"]
        subs.append(subscription(f"F{i:04d}", organs=[f"7{i:05d}"], areas=areas))
    return subs


def expected_copies(records: list[Keyed], subs: list[Subscription], memory: bool) -> int:
    """What the worker must write, from the pure routing function (the benchmark's stop condition only)."""
    index, maps, tickets = SubscriptionIndex(subs), IdMaps(), dict[str, Ticket]()
    copies = 0
    for key, raw in records:
        how = Memory(tickets.get, time.time()) if memory else None
        result = route(raw, key, index, maps, memory=how)
        if result.ticket is not None and result.ticket_id is not None:
            tickets[result.ticket_id] = result.ticket
        copies += len(result.copies)
    return copies


def worker_run(
    access: Access,
    workdir: Path,
    records: list[Keyed],
    subs: list[Subscription],
    memory: bool,
    event_loop: str = "aio",
) -> float:
    """Events per second through one worker of the route role, from ready to the last copy on the broker."""
    stack = fresh_stack(
        access,
        workdir,
        partitions=8,
        push_partitions=1,
        ticket_memory=memory,
        role="route",
        event_loop=event_loop,
    )
    try:
        publish(stack, subs)
        preload(stack.kafka, stack.settings.raw_topic, records)
        target = expected_copies(records, subs, memory)
        stack.start_worker()
        stack.wait_ready(timeout=180)
        ready = time.monotonic()
        topics = [stack.settings.push_topic(code) for code in MATCHING]
        found, done = wait_records(stack.kafka, topics, target, timeout=900)
        if found < target:
            raise AssertionError(f"only {found} of {target} copies after 900 s:\n{stack.log()[-3000:]}")
        return len(records) / (done - ready)
    finally:
        stack.stop()


async def fan_out(kafka: Settings, source: str, targets: list[str], n: int) -> float:
    """The baseline: read `n` records from `source`, write each to three of `targets`; events per second."""
    settings = kafka
    await ensure_topics(settings, [TopicSpec(t, 1) for t in targets])
    consumer = new_consumer(kafka, source, group_id=None, auto_offset_reset="earliest")
    producer = make_producer(settings)
    await consumer.start()
    await producer.start()
    try:
        started, copied = time.monotonic(), 0
        while copied < n:
            pending = []
            for records in (await consumer.getmany(timeout_ms=500, max_records=1000)).values():
                for r in records:
                    for k in range(3):
                        target = targets[(copied + k) % len(targets)]
                        pending.append(await producer.send(target, r.value, key=r.key))
                    copied += 1
            await asyncio.gather(*pending)
        return n / (time.monotonic() - started)
    finally:
        await consumer.stop()
        await producer.stop()


def baseline_run(access: Access, workdir: Path, records: list[Keyed]) -> float:
    stack = fresh_stack(access, workdir, partitions=8)
    preload(stack.kafka, stack.settings.raw_topic, records)
    targets = [f"{stack.settings.push_prefix}copy{j}" for j in range(10)]
    return asyncio.run(fan_out(stack.kafka, stack.settings.raw_topic, targets, len(records)))


def bench_p1(
    access: Access, workdir: Path, events: int, repeats: int, say: Callable[[str], None]
) -> list[Comparison]:
    """P1's comparisons: memory on (the default) against the baseline; memory off; 1 000 subscriptions."""
    records = corpus(events)
    ten, thousand = subscriptions(10), subscriptions(1000)
    runs: dict[str, list[float]] = {"on": [], "off": [], "1000": [], "base": [], "uvloop": []}
    cases: list[tuple[str, Callable[[], float]]] = [
        ("base", lambda: baseline_run(access, workdir, records)),
        ("on", lambda: worker_run(access, workdir, records, ten, True)),
        ("uvloop", lambda: worker_run(access, workdir, records, ten, True, "uvloop")),
        ("off", lambda: worker_run(access, workdir, records, ten, False)),
        ("1000", lambda: worker_run(access, workdir, records, thousand, True)),
    ]
    for n in range(repeats):  # alternated, so a noisy moment of the machine hits every case alike
        for name, run in cases:
            runs[name].append(run())
            say(f"P1 repeat {n + 1}/{repeats} {name}: {runs[name][-1]:,.0f} events/s")
    unit = "events/s"
    base = Side("raw aiokafka fan-out (3 topics per event)", tuple(runs["base"]), unit)
    on = Side("wostream worker, ticket memory on", tuple(runs["on"]), unit)
    off = Side("wostream worker, ticket memory off", tuple(runs["off"]), unit)
    many = Side("wostream worker, 1 000 subscriptions", tuple(runs["1000"]), unit)
    cost = Side("cost per event with 1 000", tuple(1e6 / v for v in runs["1000"]), "µs/event")
    few = Side("cost per event with 10", tuple(1e6 / v for v in runs["on"]), "µs/event")
    uvloop = Side("wostream worker, ticket memory on, uvloop", tuple(runs["uvloop"]), unit)
    return [
        Comparison(
            "P1",
            f"routing {len(records):,} pre-loaded events, 10 subscriptions, 3 copies each",
            on,
            base,
            0.5,
        ),
        Comparison("P1-off", "the same with ticket memory off", off, base, 0.5),
        Comparison("P1-uvloop", "uvloop against asyncio's loop (same binary; kept if ≥ 1)", uvloop, on, 1.0),
        Comparison(
            "P1-1000", "cost with 1 000 subscriptions against 10 (memory on)", cost, few, 1.2, at_least=False
        ),
        Comparison("P1-1000-rate", "1 000 subscriptions against the baseline", many, base, 0.5),
    ]
