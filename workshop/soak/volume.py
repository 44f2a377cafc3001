"""Generated bad input at volume through the real worker: nothing crashes, every bad record is quarantined
with a reason, every good one is delivered, and routing keeps its pace.

The same number of records goes through twice on one stack: first only good events (the clean run), then
the generator's mix (`badinput.generate`: not JSON, truncated, wrong types, missing and duplicated keys,
changeId spellings, huge, deep, invalid UTF-8, tombstones, wrong Kafka keys, good events among them). Each is
produced as fast as the broker takes it; the pace is records handed on (pushed or quarantined) per second.
The labels of the generator are the expectation (good: delivered to the catch-all subscriber; bad: one
quarantine record with a reason); ticket memory is off, as the labels assume (every case is its own ticket).
A record the broker itself refuses (over its size limit) is never offered, and counted apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiokafka import TopicPartition

from workshop.access import Access
from workshop.bench.harness import fresh_stack, publish
from workshop.local import LocalStack
from workshop.soak.badinput import Case, generate
from workshop.soak.badinput_judge import catch_all
from workshop.soak.receipts import existing, read_all
from workshop.workload import poll
from wostream.broker.clients import new_consumer, new_producer
from wostream.config.settings import Settings
from wostream.core.credentials import hash_secret, new_secret


@dataclass(frozen=True)
class Pass:
    """One run of `n` records: what was offered, handed on, and how fast."""

    name: str
    offered_good: int
    offered_bad: int
    refused_by_broker: int
    rate: float  # records handed on per second, from the first send to the last record handed on


@dataclass(frozen=True)
class VolumeResult:
    clean: Pass
    mixed: Pass
    delivered_missing: int  # good events (with an id) the subscriber never got
    quarantined: int
    without_reason: int
    worker_alive: bool
    tracebacks: int

    def problems(self) -> list[str]:
        out = []
        if self.delivered_missing:
            out.append(f"{self.delivered_missing} good events not delivered")
        if self.quarantined != self.mixed.offered_bad:
            out.append(f"{self.quarantined} quarantine records for {self.mixed.offered_bad} bad records")
        if self.without_reason:
            out.append(f"{self.without_reason} quarantine records without a reason")
        if not self.worker_alive:
            out.append("the worker died or /health is not 200")
        if self.tracebacks:
            out.append(f"{self.tracebacks} tracebacks in the worker's log")
        return out

    def lines(self) -> list[str]:
        ratio = self.mixed.rate / self.clean.rate if self.clean.rate else 0.0
        return [
            *(
                f"{p.name}: {p.offered_good + p.offered_bad:,} offered ({p.offered_good:,} good, "
                f"{p.offered_bad:,} bad, {p.refused_by_broker} refused by the broker), "
                f"{p.rate:,.0f} records/s handed on"
                for p in (self.clean, self.mixed)
            ),
            f"pace during the bad burst against the clean run: {ratio:.2f}",
            f"quarantined {self.quarantined:,} (without a reason {self.without_reason}), good not delivered "
            f"{self.delivered_missing}, worker alive {self.worker_alive}, tracebacks {self.tracebacks}",
            "VERDICT: PASS" if not self.problems() else f"VERDICT: FAIL ({'; '.join(self.problems())})",
        ]


async def _produce(kafka: Settings, topic: str, cases: list[Case]) -> list[Case]:
    """Everything, pipelined; returns the cases the broker took. Not idempotent: an idempotent producer
    whose record the broker refuses (too large) fails every later batch of that partition (out of order
    sequence numbers), and each case here is its own ticket, so nothing relies on their order."""
    producer = new_producer(
        kafka, acks="all", enable_idempotence=False, linger_ms=5, max_request_size=4 << 20
    )
    await producer.start()
    try:
        sent = []
        for case in cases:
            try:
                sent.append((case, await producer.send(topic, case.value, key=case.key)))
            except Exception:  # too large for the producer: never offered
                continue
        taken = []
        for case, future in sent:
            try:
                await future
                taken.append(case)
            except Exception:  # refused by the broker (message.max.bytes)
                continue
        return taken
    finally:
        await producer.stop()


def _ends(kafka: Settings, topics: list[str]) -> int:
    """Records the topics hold between them (end offsets; our producers are not transactional)."""

    async def run() -> int:
        present = await existing(kafka, topics)
        if not present:
            return 0
        consumer = new_consumer(kafka, *present, group_id=None)
        await consumer.start()
        try:
            tps = [TopicPartition(t, p) for t in present for p in consumer.partitions_for_topic(t) or ()]
            return sum((await consumer.end_offsets(tps)).values()) if tps else 0
        finally:
            await consumer.stop()

    return asyncio.run(run())


def _pass(stack: LocalStack, name: str, cases: list[Case], timeout: float) -> tuple[Pass, list[Case]]:
    settings = stack.settings
    topics = [settings.quarantine_topic, settings.push_topic("ALL")]
    before = _ends(stack.kafka, topics)
    started = time.monotonic()
    taken = asyncio.run(_produce(stack.kafka, settings.raw_topic, cases))
    good = [c for c in taken if c.good]
    bad = [c for c in taken if not c.good]
    want = before + len(bad) + sum(1 for c in good if not c.unsupported)
    poll(lambda: _ends(stack.kafka, topics) >= want, timeout, f"{name}: every record handed on", interval=0.5)
    rate = len(taken) / (time.monotonic() - started)
    return Pass(name, len(good), len(bad), len(cases) - len(taken), rate), taken


def volume_run(access: Access, workdir: Path, n: int, seed: int, say: Callable[[str], None]) -> VolumeResult:
    stack = fresh_stack(access, workdir, partitions=4, push_partitions=4, ticket_memory=False)
    secret = new_secret()
    try:
        stack.start_router()
        stack.start_worker()
        stack.wait_ready(timeout=180)
        publish(stack, [dataclasses.replace(catch_all("ALL"), secret_hash=hash_secret(secret))])
        sub = stack.subscriber("ALL", secret, "--show-context", "--batch")
        sub.wait_subscribed(60)
        clean, _ = _pass(stack, "clean", generate(n, seed + 1, good_share=1.0), 600)
        say(f"bad input: clean run {clean.rate:,.0f} records/s")
        mixed, taken = _pass(stack, "mixed", generate(n, seed), 600)
        say(f"bad input: mixed run {mixed.rate:,.0f} records/s")
        wanted = {c.event_id for c in taken if c.good and not c.unsupported and c.event_id}

        def received() -> set[str]:
            return {line["context"]["eventId"] for line in sub.lines()}

        with contextlib.suppress(AssertionError):  # counted below
            poll(lambda: wanted <= received(), 300, "every good event at the subscriber", interval=1.0)
        quarantine = read_all(stack.kafka, stack.settings.quarantine_topic)  # the clean run adds none
        reasons = [dict(r.headers).get("reason", b"").strip() for r in quarantine]
        health = _health(stack)
        return VolumeResult(
            clean=clean,
            mixed=mixed,
            delivered_missing=len(wanted - received()),
            quarantined=len(quarantine),
            without_reason=sum(1 for r in reasons if not r),
            worker_alive=stack.alive() and health,
            tracebacks=stack.log().count("Traceback"),
        )
    finally:
        stack.stop()


def _health(stack: LocalStack) -> bool:
    try:
        stack.get_json("/health")
        return True
    except Exception:
        return False
