"""P2, delivery through glacier2router against a plain Ice client pushing the same payloads, same run.

About 20 000 envelopes are routed into two subscribers' push topics while both subscriptions are paused;
the clock starts when one is resumed and stops when its counting subscriber (`bench/sink.py`) has the last
one. One subscriber takes `push` (one event per call, up to `tickets_in_flight` tickets in flight), the
other `pushBatch`. The baseline is an Ice client holding the worker's certificate that calls `push` on a
subscriber's callback through the same router's server endpoint, with the same payloads and contexts and
the same number of calls in flight: what Ice and Glacier2 allow on this machine without Kafka or wostream.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import Ice

from workshop.access import Access
from workshop.bench.figures import Comparison, Side
from workshop.bench.harness import Sink, fresh_stack, preload, publish, subscription, wait_records
from workshop.bench.throughput import corpus, expected_copies
from workshop.local import LocalStack
from workshop.workload import read_topic
from wostream.broker.reading import latest_by_key
from wostream.core.credentials import new_secret
from wostream.ice.adapter import ice_init
from wostream.ice.contract import SubscriberPrx
from wostream.records.state import decode_callback

CODES = ("PLAIN", "BATCHED")


def _callback(stack: LocalStack, code: str) -> str:
    """The newest registered callback proxy of `code`, from the callbacks topic."""
    records = asyncio.run(latest_by_key(stack.settings, stack.settings.callbacks_topic))
    found = [decode_callback(k, r.value)[2] for k, r in records.items() if k.startswith(code.encode())]
    live = sorted((c for c in found if c is not None), key=lambda c: c.registered_at)
    if not live:
        raise AssertionError(f"no callback registered for {code}")
    return live[-1].proxy


async def plain_pushes(
    config: Path, proxy: str, messages: list[tuple[str, dict[str, str]]], window: int
) -> float:
    """The baseline: `push` each message with `window` calls in flight; returns messages per second."""
    communicator = Ice.initialize(ice_init(config))
    try:
        prx = SubscriberPrx.uncheckedCast(communicator.stringToProxy(proxy).ice_invocationTimeout(10_000))
        await Ice.wrap_future(prx.ice_pingAsync())  # connection made before the clock starts
        room = asyncio.Semaphore(window)

        async def one(message: str, context: dict[str, str]) -> None:
            try:
                await Ice.wrap_future(prx.pushAsync(message, context))
            finally:
                room.release()

        started, tasks = time.monotonic(), []
        for message, context in messages:
            await room.acquire()
            tasks.append(asyncio.ensure_future(one(message, context)))
        await asyncio.gather(*tasks)
        return len(messages) / (time.monotonic() - started)
    finally:
        communicator.destroy()


def _resume_and_time(stack: LocalStack, sub: Any, secret: str, target: int, batch: bool) -> float:
    sink = Sink(stack, [sub.base_code], secret, target, batch=batch)
    try:
        sink.wait_subscribed()
        started = time.time()
        publish(stack, [dataclasses.replace(sub, paused=False)])
        result = sink.result(timeout=600)
        return target / (float(result["last"]) - started)
    finally:
        sink.stop()


def delivery_run(access: Access, workdir: Path, events: int) -> tuple[float, float, float, int]:
    """(push events/s, pushBatch events/s, baseline events/s, envelopes)."""
    stack = fresh_stack(access, workdir, partitions=8, push_partitions=1)
    secret = new_secret()
    subs = [dataclasses.replace(subscription(c, organs=["*"], secret=secret), paused=True) for c in CODES]
    try:
        stack.start_router()
        stack.start_worker()
        stack.wait_ready(timeout=180)
        publish(stack, subs)
        records = corpus(events)
        preload(stack.kafka, stack.settings.raw_topic, records)
        target = expected_copies(records, subs[:1], memory=True)
        topics = [stack.settings.push_topic(c) for c in CODES]
        wait_records(stack.kafka, topics, 2 * target, timeout=600)
        plain = _resume_and_time(stack, subs[0], secret, target, batch=False)
        batched = _resume_and_time(stack, subs[1], secret, target, batch=True)
        payloads = read_topic(stack.kafka, topics[0], target, 120)
        messages = [
            (
                (r.value or b"").decode(),
                {"eventId": dict(r.headers).get("eventId", b"").decode(), "attempt": "1"},
            )
            for r in payloads
        ]
        sink = Sink(stack, [CODES[0]], secret, target)
        try:
            sink.wait_subscribed()
            proxy = _callback(stack, CODES[0])
            config = stack.worker_properties("baseline", 0)
            window = stack.settings.tickets_in_flight
            base = asyncio.run(plain_pushes(config, proxy, messages, window))
            sink.result(timeout=120)
        finally:
            sink.stop()
        return plain, batched, base, target
    finally:
        stack.stop()


def bench_p2(
    access: Access, workdir: Path, events: int, repeats: int, say: Callable[[str], None]
) -> list[Comparison]:
    runs: dict[str, list[float]] = {"push": [], "batch": [], "base": []}
    size = 0
    for n in range(repeats):
        plain, batched, ice, size = delivery_run(access, workdir, events)
        for name, value in (("push", plain), ("batch", batched), ("base", ice)):
            runs[name].append(value)
        rates = f"push {plain:,.0f}, pushBatch {batched:,.0f}, baseline {ice:,.0f}"
        say(f"P2 repeat {n + 1}/{repeats}: {rates} events/s")
    unit = "events/s"
    base = Side("plain Ice client, push through the router (16 in flight)", tuple(runs["base"]), unit)
    return [
        Comparison(
            "P2",
            f"delivering {size:,} envelopes through glacier2router, push",
            Side("wostream delivery, push", tuple(runs["push"]), unit),
            base,
            0.8,
        ),
        Comparison(
            "P2-batch",
            "the same with ordered batching (pushBatch)",
            Side("wostream delivery, pushBatch", tuple(runs["batch"]), unit),
            base,
            3.0,
        ),
    ]
