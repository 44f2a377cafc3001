"""The scale scenario: N subscribers applied to a running stack of two workers, then an event for all of them.

Shared by the scale test (which asserts on it) and `wostream-dev bench scale` (which prints it), so the
figures in the closing note come from the same steps the test checks: apply time, re-apply time,
rebalances, readiness throughout, the event reaching every topic and the online subscribers, routing rate
with every event entitled to all, worker memory, start time and worst event-loop stall.
"""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import TopicPartition

from workshop.local import LocalStack
from workshop.subscribers import SubscriberProcess
from workshop.workload import as_lines, poll, produce, step_handled
from wostream.broker.clients import new_consumer
from wostream.core.credentials import new_secret


@dataclass
class Figures:
    subscribers: int
    apply_s: float = 0.0
    reapply_s: float = 0.0
    reapply_output: str = ""
    rebalances: int = 0
    not_ready: list[str] = field(default_factory=list)  # every 503 or refused /health seen during the run
    copies_on_topics: int = 0
    online_received: dict[str, int] = field(default_factory=dict)
    route_events_per_s: float = 0.0
    worker_rss_mb: dict[str, float] = field(default_factory=dict)
    worker_start_s: float = 0.0
    loop_lag_max_ms: float = 0.0

    def lines(self) -> list[str]:
        return [
            f"subscribers {self.subscribers}: apply {self.apply_s:.1f} s, re-apply {self.reapply_s:.1f} s "
            f"({self.reapply_output.strip()})",
            f"  delivery rebalances (both workers, whole run): {self.rebalances}; "
            f"/health not ready: {len(self.not_ready)}",
            f"  one event for all: {self.copies_on_topics} copies on the push topics; online subscribers got "
            f"{sorted(self.online_received.values())}",
            f"  routing with every event entitled to all: {self.route_events_per_s:,.1f} events/s "
            f"({self.route_events_per_s * self.subscribers:,.0f} copies/s)",
            f"  worker memory {', '.join(f'{k} {v:.0f} MB' for k, v in sorted(self.worker_rss_mb.items()))}; "
            f"worker start (ready) {self.worker_start_s:.1f} s; "
            f"worst event-loop stall {self.loop_lag_max_ms:.0f} ms",
        ]


def subscriptions_file(path: Path, codes: list[str]) -> dict[str, str]:
    """N subscribers for every event of data area fwwt, each with its own generated secret in `${VAR}`."""
    secrets = {f"S_{code}": new_secret() for code in codes}
    entries = "".join(
        f"  - baseCode: {code}\n    secret: ${{S_{code}}}\n    dataAreas: [fwwt]\n"
        f'    changeIds: ["*"]\n    scope: {{organIds: ["*"]}}\n'
        for code in codes
    )
    path.write_text("subscribers:\n" + entries, encoding="utf-8")
    return secrets


class HealthWatch:
    """Polls /health of every worker twice a second in a thread and keeps every answer that was not 200."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.bad: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            for name in list(self.stack.workers):
                try:
                    with urllib.request.urlopen(f"{self.stack.web(name)}/health", timeout=2) as r:
                        if r.status != 200:
                            self.bad.append(f"{name}: {r.status}")
                except OSError as exc:
                    self.bad.append(f"{name}: {exc}")

    def stop(self) -> list[str]:
        self._stop.set()
        self._thread.join(5)
        return self.bad


def wait_copies(stack: LocalStack, codes: list[str], target: int, timeout: float) -> tuple[int, float]:
    """Until the push topics of `codes` hold `target` records (end offsets, one request for all partitions,
    one consumer for the whole wait so the watcher costs the machine little): (records, seconds waited)."""

    async def run() -> tuple[int, float]:
        topics = [stack.settings.push_topic(c) for c in codes]
        # named at construction, the topics' metadata is loaded when the consumer starts
        consumer = new_consumer(stack.kafka, *topics, group_id=None)
        await consumer.start()
        try:
            started = time.monotonic()
            while True:
                found = sum((await consumer.end_offsets([TopicPartition(t, 0) for t in topics])).values())
                if found >= target or time.monotonic() - started > timeout:
                    return found, time.monotonic() - started
                await asyncio.sleep(0.1)
        finally:
            await consumer.stop()

    return asyncio.run(run())


def _rss_mb(pid: int | None) -> float:
    """Resident memory of a worker process (`wostream worker` execs Faust in the same process)."""
    status = Path(f"/proc/{pid}/status")
    for line in status.read_text().splitlines() if pid is not None and status.exists() else []:
        if line.startswith("VmRSS:"):
            return float(line.split()[1]) / 1024
    return 0.0


def _loop_lag_ms(stack: LocalStack) -> float:
    worst = 0.0
    for name in stack.workers:
        for line in stack.get_text("/metrics", name).splitlines():
            if line.startswith("wostream_event_loop_lag_max_seconds"):
                worst = max(worst, float(line.split()[-1]) * 1000)
    return worst


def run(stack: LocalStack, n: int, online: int = 5, events: int = 20) -> Figures:
    """The scenario on a stack with a router and workers w1, w2 already ready."""
    figures = Figures(n)
    codes = [f"SC{i:05d}" for i in range(n)]
    path = stack.workdir / f"scale-{n}.yaml"
    secrets = subscriptions_file(path, codes)
    watch = HealthWatch(stack)
    marks = {w: stack.log(w).count("delivery rebalanced") for w in stack.workers}
    started = time.monotonic()
    stack.cli("subscriptions", "apply", str(path), env=secrets)
    figures.apply_s = time.monotonic() - started
    for worker in stack.workers:

        def applied(w: str = worker) -> bool:
            return len(stack.get_json("/subscribers", w)) == n

        poll(applied, 120, f"{n} subscriptions at {worker}")
    started = time.monotonic()
    figures.reapply_output = stack.cli("subscriptions", "apply", str(path), env=secrets).stdout
    figures.reapply_s = time.monotonic() - started
    subs: list[SubscriberProcess] = [stack.subscriber(code, secrets[f"S_{code}"]) for code in codes[:online]]
    for sub in subs:
        sub.wait_subscribed(60)
    stack.cli("send", "-", input=as_lines([step_handled("8800000")]))
    figures.copies_on_topics, _ = wait_copies(stack, codes, n, 120)
    for sub in subs:
        sub.wait_count(1, 60)
    figures.online_received = {s.base_code: len(s.lines()) for s in subs}
    key = lambda e: str(e["data"]["serviceOrderId"]).encode()  # noqa: E731
    done = n  # copies on the topics so far
    for phase in ("warm-up", "measured"):  # the first batch after an apply also pays for warming up
        batch = [step_handled(str(8800001 + done + e)) for e in range(events)]
        started = time.monotonic()
        produce(stack.kafka, stack.settings.raw_topic, batch, key)
        found, _ = wait_copies(stack, codes, done + n * events, 600)
        assert found >= done + n * events, f"{phase}: {found} of {done + n * events} copies"
        done = found
        figures.route_events_per_s = events / (time.monotonic() - started)
    figures.worker_rss_mb = {name: _rss_mb(worker.pid) for name, worker in stack.workers.items()}
    figures.loop_lag_max_ms = _loop_lag_ms(stack)
    figures.not_ready = watch.stop()
    figures.rebalances = sum(
        stack.log(w).count("delivery rebalanced") - marks.get(w, 0) for w in stack.workers
    )
    stack.workers["w2"].stop(30)
    started = time.monotonic()
    stack.start_worker("w2", index=1)
    stack.wait_ready("w2", timeout=180)
    figures.worker_start_s = time.monotonic() - started
    return figures


def bench_scale(sizes: list[int], workdir: Path) -> list[str]:
    """The scenario at each size, each on a stack of its own (one broker for all): printable lines."""
    import uuid

    from workshop.kafka import Kafka
    from workshop.local import isolated
    from workshop.stack import free_port

    kafka = Kafka(workdir / "kafka", port=free_port(), controller_port=free_port())
    kafka.start()
    lines: list[str] = []
    try:
        for n in sizes:
            access = kafka.access()
            settings = isolated(access, uuid.uuid4().hex[:8], push_partitions=1)
            stack = LocalStack(settings, workdir / str(n), access=access)
            stack.workdir.mkdir(parents=True, exist_ok=True)
            try:
                stack.start_cluster(workers=2)
                lines += run(stack, n).lines()
            finally:
                stack.stop()
    finally:
        kafka.stop()
    return lines
