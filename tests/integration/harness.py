"""Real processes for integration tests: a worker, glacier2router and reference subscribers per stack.

Each stack gets its own topic names, app id and ports, so tests sharing one broker never see each other's
data. Every process is started in its own group and stopped by pid, even when a test fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer

from wostream.settings import ETC
from wostream.stack import Managed, Router, free_port

ROOT = Path(__file__).resolve().parents[2]
WOSTREAM = [sys.executable, "-m", "wostream.cli"]


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


@dataclass
class SubscriberProcess:
    """A reference subscriber (`wostream subscriber`) whose stdout lines are the envelopes it received."""

    base_code: str
    out: Path
    err: Path
    proc: subprocess.Popen[bytes]

    def lines(self) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        text = self.out.read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8") if self.err.exists() else ""

    def wait_subscribed(self, timeout: float = 30.0) -> None:
        poll(
            lambda: "subscribed as" in self.stderr() or self.proc.poll() is not None,
            timeout,
            f"{self.base_code} to subscribe",
        )
        assert self.proc.poll() is None, f"subscriber {self.base_code} exited: {self.stderr()}"

    def wait_count(self, n: int, timeout: float = 60.0) -> list[dict[str, Any]]:
        def enough() -> list[dict[str, Any]] | None:
            lines = self.lines()
            return lines if len(lines) >= n else None

        got: list[dict[str, Any]] = poll(enough, timeout, f"{n} messages at {self.base_code}")
        return got

    def stop(self) -> None:
        _stop(self.proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, 15)
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(10)
        except ProcessLookupError:
            pass


@dataclass
class Stack:
    kafka: str
    tmp: Path
    partitions: int = 4
    uid: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    router_client: int = field(default_factory=free_port)
    router_server: int = field(default_factory=free_port)
    adapter_ports: list[int] = field(default_factory=list)
    workers: dict[str, Managed] = field(default_factory=dict)
    web_ports: dict[str, int] = field(default_factory=dict)
    router: Router | None = None
    subscribers: list[SubscriberProcess] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.adapter_ports = [free_port(), free_port()]

    @property
    def router_proxy(self) -> str:
        return f"wostream/router:tcp -h 127.0.0.1 -p {self.router_client}"

    def env(self, **more: str) -> dict[str, str]:
        p = f"t{self.uid}"
        return {
            "WOSTREAM_KAFKA": self.kafka,
            "WOSTREAM_APP_ID": p,
            "WOSTREAM_PARTITIONS": str(self.partitions),
            "WOSTREAM_RAW_TOPIC": f"{p}.wo.events",
            "WOSTREAM_QUARANTINE_TOPIC": f"{p}.wo.events.quarantine",
            "WOSTREAM_PUSH_PREFIX": f"{p}.wo.push.",
            "WOSTREAM_DEAD_PREFIX": f"{p}.wo.dead.",
            "WOSTREAM_SUBSCRIPTIONS_TOPIC": f"{p}.subscriptions",
            "WOSTREAM_IDMAPS_TOPIC": f"{p}.idmaps",
            "WOSTREAM_CALLBACKS_TOPIC": f"{p}.callbacks",
            "WOSTREAM_RETRIES_TOPIC": f"{p}.retries",
            **self.extra_env,
            **more,
        }

    def topic(self, name: str) -> str:
        return f"t{self.uid}.{name}"

    # -- components ------------------------------------------------------------------------------------

    def start_router(self) -> None:
        endpoints = ":".join(f"tcp -h 127.0.0.1 -p {p}" for p in self.adapter_ports)
        self.router = Router(
            ETC / "glacier2router.properties",
            self.tmp / "router.log",
            overrides={
                "Glacier2.Client.Endpoints": f"tcp -h 127.0.0.1 -p {self.router_client}",
                "Glacier2.Server.Endpoints": f"tcp -h 127.0.0.1 -p {self.router_server}",
                "Glacier2.PermissionsVerifier": f"wostream/PermissionsVerifier:{endpoints}",
                "Glacier2.SessionManager": f"wostream/SessionManager:{endpoints}",
            },
            client_port=self.router_client,
        )
        self.router.start()

    def start_worker(self, name: str = "w1", index: int = 0) -> Managed:
        config = self.tmp / f"{name}.properties"
        config.write_text(
            (ETC / "worker.properties")
            .read_text()
            .replace("tcp -h 127.0.0.1 -p 4065", f"tcp -h 127.0.0.1 -p {self.adapter_ports[index]}")
        )
        web = self.web_ports.setdefault(name, free_port())
        env = self.env(
            WOSTREAM_ICE_CONFIG=str(config), WOSTREAM_WEB_PORT=str(web), WOSTREAM_DATADIR=str(self.tmp / name)
        )
        worker = Managed(name, [*WOSTREAM, "worker"], self.tmp / f"{name}.log", env)
        worker.start()
        self.workers[name] = worker
        return worker

    def wait_ready(self, name: str = "w1", timeout: float = 90.0) -> None:
        worker = self.workers[name]

        def ready() -> bool:
            assert worker.alive(), f"worker {name} exited:\n{self.log(name)[-3000:]}"
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.web_ports[name]}/health", timeout=1
                ) as r:
                    return bool(r.status == 200)
            except OSError:
                return False

        poll(ready, timeout, f"worker {name} ready", interval=0.3)

    def get_json(self, path: str, name: str = "w1") -> Any:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.web_ports[name]}{path}", timeout=5) as r:
            return json.loads(r.read())

    def get_text(self, path: str, name: str = "w1") -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.web_ports[name]}{path}", timeout=5) as r:
            return str(r.read().decode("utf-8"))

    def log(self, name: str = "w1") -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def cli(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*WOSTREAM, *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **self.env(), **(env or {})},
        )
        if check and done.returncode != 0:
            raise AssertionError(f"wostream {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
        return done

    def subscriber(self, base_code: str, secret: str, *flags: str) -> SubscriberProcess:
        n = len(self.subscribers)
        out, err = self.tmp / f"sub{n}-{base_code}.jsonl", self.tmp / f"sub{n}-{base_code}.err"
        with open(out, "wb") as o, open(err, "wb") as e:
            proc = subprocess.Popen(
                [
                    *WOSTREAM,
                    "subscriber",
                    "--base-code",
                    base_code,
                    "--secret",
                    secret,
                    "--router",
                    self.router_proxy,
                    *flags,
                ],
                stdout=o,
                stderr=e,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        sub = SubscriberProcess(base_code, out, err, proc)
        self.subscribers.append(sub)
        return sub

    def stop(self) -> None:
        for sub in self.subscribers:
            sub.stop()
        for worker in self.workers.values():
            worker.stop(30)
        if self.router is not None:
            self.router.stop()


def read_topic(bootstrap: str, topic: str, n: int, timeout: float = 30.0) -> list[Any]:
    """The first `n` records of a topic (all partitions), or fail at the deadline."""

    async def run() -> list[Any]:
        # without a group, a subscription is served every partition of the topic
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
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


@dataclass
class Tally:
    """What a subscriber saw of a stream: by event id, with order checked per ticket."""

    expected: int
    received: int
    distinct: int
    lost: int
    duplicates: int
    reordered: int

    def __str__(self) -> str:
        return (
            f"expected {self.expected}, received {self.received}, distinct {self.distinct}, "
            f"lost {self.lost}, duplicates {self.duplicates}, reordered {self.reordered}"
        )


def tally(lines: list[dict[str, Any]], events: list[dict[str, Any]]) -> Tally:
    """Lines from a --show-context subscriber; order = first arrival of each event id, per ticket."""
    accepted = [line for line in lines if not line.get("refused")]
    seen: dict[str, list[int]] = {}
    ids: set[str] = set()
    for line in accepted:
        event_id = line["context"]["eventId"]
        if event_id in ids:
            continue
        ids.add(event_id)
        body = json.loads(line["message"]["data"])
        seen.setdefault(body["serviceOrderId"], []).append(int(body["seq"]))
    want = {e["eventId"] for e in events}
    reordered = sum(1 for seqs in seen.values() for a, b in zip(seqs, seqs[1:], strict=False) if b < a)
    return Tally(
        len(want), len(accepted), len(ids & want), len(want - ids), len(accepted) - len(ids), reordered
    )


def send_paced(bootstrap: str, topic: str, events: list[dict[str, Any]], rate: float) -> None:
    """Send events at `rate` per second, stamping data.sentAt at send time (for end-to-end latency)."""
    from aiokafka import AIOKafkaProducer

    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
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


def latencies(lines: list[dict[str, Any]]) -> list[float]:
    """Seconds from send to first receipt, per event id (accepted calls only)."""
    first: dict[str, float] = {}
    for line in lines:
        if line.get("refused"):
            continue
        body = json.loads(line["message"]["data"])
        first.setdefault(line["context"]["eventId"], line["receivedAt"] - float(body["sentAt"]))
    return sorted(first.values())


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]
