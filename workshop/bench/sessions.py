"""P5, a thousand subscribers online at once through a router pair, one event for all of them.

Every subscriber has its own session, connection and callback (the counting sinks, `bench/sink.py`: one
communicator per subscriber, a hundred per process, half of the processes on each router). One raw event
entitled to every subscriber is sent; the clock runs from its send to the moment the last subscriber has it
(each sink stamps the arrival of its last subscriber's message). The baseline is a plain Ice client holding
the worker's certificate that pushes the same envelope to each of the same callbacks through the routers'
server endpoints, `WINDOW` calls in flight, timed until the last reply: what Ice and Glacier2 take to reach a
thousand connections on this machine, without Kafka or wostream. Memory per session: the routers' and the
worker's resident memory after the sessions, less before, divided by the sessions each holds.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import Ice

from workshop.access import Access
from workshop.bench.figures import Side, Target
from workshop.bench.harness import Sink, fresh_stack, publish, subscription
from workshop.local import LocalStack
from workshop.wiring import RouterPorts
from workshop.workload import poll, step_handled
from wostream.broker.clients import new_producer
from wostream.broker.reading import latest_by_key
from wostream.core.credentials import new_secret
from wostream.ice.adapter import ice_init
from wostream.ice.contract import SubscriberPrx
from wostream.records.state import decode_callback

PER_SINK = 100  # subscribers per sink process
WINDOW = 64  # the baseline's pushes in flight


@dataclass(frozen=True)
class Run:
    received: int
    seconds: float  # send to the last arrival
    baseline: float  # the plain Ice fan-out
    connect: float  # seconds for every subscriber to log in and subscribe
    router_kib: float  # per session
    worker_kib: float  # per session


def rss_kib(pid: int | None) -> int:
    if pid is None:
        return 0
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return int(next(line for line in status if line.startswith("VmRSS:")).split()[1])


def _callbacks(stack: LocalStack) -> list[str]:
    """The newest live callback proxy of every subscriber, from the callbacks topic."""
    records = asyncio.run(latest_by_key(stack.settings, stack.settings.callbacks_topic))
    newest: dict[str, tuple[float, str]] = {}
    for key, record in records.items():
        code, _, callback = decode_callback(key, record.value)
        if callback is not None and callback.registered_at >= newest.get(code, (0.0, ""))[0]:
            newest[code] = (callback.registered_at, callback.proxy)
    return [proxy for _, proxy in newest.values()]


async def fan_out(config: Path, proxies: list[str], message: str) -> float:
    """The baseline: `push` one message to every proxy, `WINDOW` in flight; seconds until the last reply."""
    communicator = Ice.initialize(ice_init(config))
    try:
        prxs = [SubscriberPrx.uncheckedCast(communicator.stringToProxy(p)) for p in proxies]
        await asyncio.gather(*(Ice.wrap_future(p.ice_pingAsync()) for p in prxs[:2]))  # connections made
        room = asyncio.Semaphore(WINDOW)

        async def one(prx: SubscriberPrx) -> None:
            async with room:
                await Ice.wrap_future(prx.pushAsync(message, {"eventId": "baseline", "attempt": "1"}))

        started = time.monotonic()
        await asyncio.gather(*(one(p) for p in prxs))
        return time.monotonic() - started
    finally:
        communicator.destroy()


def _online(stack: LocalStack) -> int:
    return sum(bool(s["online"]) for s in stack.get_json("/subscribers"))


async def send_one(stack: LocalStack, event: dict[str, Any]) -> float:
    """Write one raw event with a producer already connected; `time.time()` just before the send."""
    producer = new_producer(stack.kafka, acks="all")
    await producer.start()
    try:
        key = str(event["data"]["serviceOrderId"]).encode()
        sent = time.time()
        await producer.send_and_wait(stack.settings.raw_topic, json.dumps(event).encode(), key=key)
        return sent
    finally:
        await producer.stop()


def sessions_run(access: Access, workdir: Path, subscribers: int) -> Run:
    stack = fresh_stack(access, workdir, partitions=8, push_partitions=1)
    stack.router_ports.append(RouterPorts())
    secret = new_secret()
    codes = [f"S{n:04d}" for n in range(subscribers)]
    sinks: list[Sink] = []
    try:
        publish(stack, [subscription(code, organs=["*"], secret=secret) for code in codes])
        routers = [stack.start_router(0), stack.start_router(1)]
        stack.start_worker()
        stack.wait_ready(timeout=180)
        poll(lambda: len(stack.get_json("/subscribers")) == subscribers, 120, "every subscription")
        before = [rss_kib(r.process.pid if r.process else None) for r in routers]
        worker_before = rss_kib(stack.workers["w1"].pid)
        started = time.monotonic()
        for n, first in enumerate(range(0, subscribers, PER_SINK)):
            group = codes[first : first + PER_SINK]
            sinks.append(Sink(stack, group, secret, 2 * len(group), router=n % 2, mark=len(group)))
        for sink in sinks:
            sink.wait_subscribed(timeout=600)
        poll(lambda: _online(stack) == subscribers, 120, "every subscriber online")
        connect = time.monotonic() - started
        after = [rss_kib(r.process.pid if r.process else None) for r in routers]
        router_kib = sum(a - b for a, b in zip(after, before, strict=True)) / subscribers
        worker_kib = (rss_kib(stack.workers["w1"].pid) - worker_before) / subscribers
        sent = asyncio.run(send_one(stack, step_handled("5500001", organ="671024")))
        poll(lambda: all(s.marked() is not None for s in sinks), 300, "the event at every subscriber")
        last = max(s.marked() or 0.0 for s in sinks)
        message = '{"baseCode":"","dataArea":"fwwt","changeId":"2","data":"{}"}'
        proxies = _callbacks(stack)
        baseline = asyncio.run(fan_out(stack.worker_properties("baseline", 0), proxies, message))
        received = sum(int(s.result(timeout=120)["count"]) for s in sinks) - len(proxies)
        return Run(received, last - sent, baseline, connect, router_kib, worker_kib)
    finally:
        for sink in sinks:
            sink.stop()
        stack.stop()


def bench_p5(
    access: Access, workdir: Path, subscribers: int, repeats: int, say: Callable[[str], None]
) -> list[Target]:
    runs = []
    for n in range(repeats):
        run = sessions_run(access, workdir, subscribers)
        runs.append(run)
        say(
            f"P5 repeat {n + 1}/{repeats}: {run.received}/{subscribers} received, last after "
            f"{run.seconds:.2f} s (plain Ice fan-out {run.baseline:.2f} s); {subscribers} sessions in "
            f"{run.connect:.0f} s; {run.router_kib:.0f} KiB a session in the routers, {run.worker_kib:.0f} "
            "in the worker"
        )
    got = Side("subscribers that received the event", tuple(float(r.received) for r in runs), "")
    ours = Side("wostream: one raw event to the last subscriber", tuple(r.seconds for r in runs), "s")
    base = Side("plain Ice client: one push to each callback", tuple(r.baseline for r in runs), "s")
    router = Side("routers' memory per session", tuple(r.router_kib for r in runs), "KiB")
    worker = Side("worker's memory per session", tuple(r.worker_kib for r in runs), "KiB")
    connect = Side(f"{subscribers} logins and subscribes", tuple(r.connect for r in runs), "s")
    title = f"{subscribers} subscribers online through a router pair, one event for all"
    return [
        Target("P5", title, got, None, float(subscribers), at_most=False, notes=(connect.line().strip(),)),
        Target(
            "P5-time", "seconds until the last one has it (ours: Kafka, routing, delivery)", ours, base, 5.0
        ),
        Target(
            "P5-router", "router memory per session (a pod's 512 MiB: ≥ 4 000 sessions)", router, None, 100.0
        ),
        Target("P5-worker", "worker memory per session", worker, None, 100.0),
    ]
