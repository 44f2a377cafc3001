"""What every stack benchmark needs: its own broker, a fresh stack per repeat on it, events pre-loaded into a
topic, subscriptions published in-process, and a cheap wait on the records a set of topics holds."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiokafka import TopicPartition

from workshop.access import Access
from workshop.kafka import G1, Kafka
from workshop.local import LocalStack, isolated
from workshop.stack import free_port
from workshop.workload import poll
from wostream.broker.clients import new_consumer, new_producer
from wostream.config.settings import Settings
from wostream.core.credentials import hash_secret, new_secret
from wostream.core.models import WILDCARD, Subscription
from wostream.ops.publish import publish_subscriptions

Keyed = tuple[bytes | None, bytes]  # a record's key and value


@contextmanager
def own_kafka(workdir: Path, reuse: Access | None = None) -> Iterator[Access]:
    """A broker for the whole run (or `reuse`, a running one)."""
    if reuse is not None:
        yield reuse
        return
    kafka = Kafka(workdir / "kafka", port=free_port(), controller_port=free_port(), heap="1g", gc=G1)
    kafka.start()
    try:
        yield kafka.access()
    finally:
        kafka.stop()


def fresh_stack(access: Access, workdir: Path, **settings: Any) -> LocalStack:
    """A stack whose topics and groups are its own, so repeats on one broker never meet; its topics exist
    (events can be pre-loaded before a worker starts)."""
    uid = uuid.uuid4().hex[:8]
    # the deployment's cadence of the per-subscriber figures, not the tests' 1 s (with 1 000 subscribers,
    # a poll of every push topic's offsets each second is work a benchmark must not invent)
    settings.setdefault("status_interval", Settings().status_interval)
    folder = workdir / uid
    folder.mkdir(parents=True)
    stack = LocalStack(isolated(access, uid, **settings), folder, uid=uid, access=access)
    stack.ensure_topics()
    return stack


def subscription(
    code: str,
    organs: Iterable[str] = (),
    communities: Iterable[str] = (),
    areas: Iterable[str] = (WILDCARD,),
    kinds: Iterable[str] = (WILDCARD,),
    secret: str | None = None,
) -> Subscription:
    """A subscription as the publisher stores it; its secret (generated unless given) gets the fast hash."""
    return Subscription(
        base_code=code,
        name=code,
        secret_hash=hash_secret(secret or new_secret()),
        data_areas=frozenset(areas),
        change_ids=frozenset(kinds),
        organ_ids=frozenset(organs),
        community_ids=frozenset(communities),
    )


def publish(stack: LocalStack, subs: list[Subscription]) -> None:
    asyncio.run(publish_subscriptions(stack.operator, subs))  # as the operator: workers may not write them


def preload(kafka: Settings, topic: str, records: list[Keyed]) -> None:
    """Write `records` in order, as fast as the broker takes them (before the clock starts)."""

    async def run() -> None:
        producer = new_producer(
            kafka, acks="all", enable_idempotence=True, linger_ms=20, max_batch_size=262_144
        )
        await producer.start()
        try:
            pending = [await producer.send(topic, value, key=key) for key, value in records]
            await asyncio.gather(*pending)
        finally:
            await producer.stop()

    asyncio.run(run())


def wait_records(kafka: Settings, topics: list[str], target: int, timeout: float) -> tuple[int, float]:
    """Until `topics` hold `target` records between them (end offsets, polled every 50 ms by one consumer):
    (records found, the `time.monotonic()` at which they were). Records are counted as offsets: our producers
    are not transactional."""

    async def run() -> tuple[int, float]:
        consumer = new_consumer(kafka, *topics, group_id=None)
        await consumer.start()
        try:
            tps = [
                TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or {0})
            ]
            started = time.monotonic()
            while True:
                found = sum((await consumer.end_offsets(tps)).values())
                if found >= target or time.monotonic() - started > timeout:
                    return found, time.monotonic()
                await asyncio.sleep(0.05)
        finally:
            await consumer.stop()

    return asyncio.run(run())


class Sink:
    """A counting subscriber process (`dev/bench/sink.py`) for `codes`, expecting `expect` messages."""

    def __init__(
        self,
        stack: LocalStack,
        codes: list[str],
        secret: str,
        expect: int,
        batch: bool = False,
        router: int | None = None,
        mark: int = 0,
    ) -> None:
        self.out = stack.workdir / f"sink-{uuid.uuid4().hex[:6]}.out"
        command = [
            sys.executable, "-m", "workshop.bench.sink", "--router", stack.router_proxy(router),
            "--ca", str(stack.certs.ca_file), "--secret-env", "SINK_SECRET", "--expect", str(expect),
            "--mark", str(mark), *(["--batch"] if batch else []), *codes,
        ]  # fmt: skip
        with open(self.out, "wb") as out:
            self.proc = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "SINK_SECRET": secret}
            )
        self.codes = codes

    def lines(self) -> list[str]:
        return self.out.read_text(encoding="utf-8", errors="replace").splitlines()

    def wait_subscribed(self, timeout: float = 60) -> None:
        want = {f"subscribed {c}" for c in self.codes}
        poll(lambda: want <= set(self.lines()) or self._dead(), timeout, "the sink's sessions")

    def marked(self) -> float | None:
        """When the `mark`-th message arrived (`time.time()`), once it has."""
        found = [line.split()[2] for line in self.lines() if line.startswith("mark ")]
        return float(found[0]) if found else None

    def result(self, timeout: float) -> dict[str, Any]:
        poll(
            lambda: any(line.startswith("{") for line in self.lines()) or self._dead(),
            timeout,
            "all messages",
        )
        found: dict[str, Any] = json.loads(next(line for line in self.lines() if line.startswith("{")))
        return found

    def _dead(self) -> bool:
        if self.proc.poll() is not None and not any(line.startswith("{") for line in self.lines()):
            raise AssertionError(f"the sink exited:\n{self.out.read_text()[-2000:]}")
        return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
