"""`wostream-dev soak`: many tickets through four workers, two routers and overlapping faults, then a verdict.

A population of reference subscribers, each a kind operators meet: steady, slow, one that refuses its first
pushes and recovers, one that disconnects and reconnects, one that is offline for half the run, one that
takes batches. Raw events (whole ticket lives, the seed's examples as bodies) are offered at a steady rate
while the schedule of `faults.py` runs; then the soak waits until every subscriber has caught up and hands
the whole history to `checker.check`, which knows nothing of the routing code. The workers run as deployed:
two of the route role, two of the deliver role.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workshop.kafka import Kafka
from workshop.local import LocalStack, isolated
from workshop.soak.checker import Receipt, SubscriberRun, Verdict, check, reorder_examples
from workshop.soak.faults import Schedule, schedule
from workshop.soak.liveness import Liveness
from workshop.soak.receipts import dead_letters, receipts
from workshop.stack import free_port
from workshop.subscribers import SubscriberProcess
from workshop.wiring import RouterPorts
from workshop.workload import LIFECYCLE, PacedOffer, poll, ticket_lifecycle
from wostream.core.credentials import new_secret

ORGANS = ("671024", "671025", "671026", "671027")
COMMUNITY = "139912543382896"  # ticket_lifecycle's: only each ticket's creating event names it
ATTEMPTS = 100
FAST_RETRY = {
    "WOSTREAM_RETRY_ATTEMPTS": str(ATTEMPTS),
    "WOSTREAM_RETRY_INITIAL": "0.2",
    "WOSTREAM_RETRY_MAX": "2",
}


@dataclass(frozen=True)
class Kind:
    """A subscriber of the population: its subscription entry and how its process behaves."""

    base_code: str
    flags: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ("*",)
    organs: tuple[str, ...] = ("*",)
    communities: tuple[str, ...] = ()
    late: bool = False  # offline until half the events are offered
    flaky: bool = False  # the one the disconnects hit

    def entry(self) -> dict[str, Any]:
        scope: dict[str, list[str]] = {"organIds": list(self.organs)}
        if self.communities:
            scope["communityIds"] = list(self.communities)
        return {
            "baseCode": self.base_code,
            "name": self.base_code,
            "secret": "${SOAK_SECRET}",
            "dataAreas": ["fwwt"],
            "changeIds": list(self.kinds),
            "scope": scope,
        }


POPULATION = (
    Kind("STEADY"),
    Kind("SLOW", ("--delay", "0.002")),  # ~500 calls/s: behind while 700/s are offered
    Kind("REFUSER", ("--refuse", "60"), organs=(), communities=(COMMUNITY,)),
    Kind("FLAKY", kinds=("1", "2", "3", "4", "5"), organs=ORGANS[:2], flaky=True),
    Kind("LATE", organs=(ORGANS[2],), late=True),
    Kind("BATCH", ("--batch",)),
)


@dataclass(frozen=True)
class Plan:
    events: int = 100_000
    rate: float = 700.0
    worker_kills: int = 3
    disconnects: int = 5
    router_restarts: int = 1
    broker_restarts: int = 1
    catch_up: float = 1200.0  # seconds to wait for every subscriber after the last event is offered


# two kills: the route worker w1, then the deliver worker w2 seconds after the broker's restart
SMOKE = Plan(events=2_600, rate=200.0, worker_kills=2, disconnects=2, catch_up=300.0)


def offered_events(n: int) -> list[dict[str, Any]]:
    """Whole ticket lives, 200 tickets under way at once, cut at `n` events."""
    tickets = -(-n // len(LIFECYCLE))
    out: list[dict[str, Any]] = []
    for start in range(0, tickets, 200):
        block = range(start, min(tickets, start + 200))
        lives = {t: ticket_lifecycle(f"S{t}", organ=ORGANS[t % len(ORGANS)]) for t in block}
        for step in range(len(LIFECYCLE)):
            out.extend(lives[t][step] for t in block)
    return out[:n]


# The roles as deployed, two processes of each: the faults kill w1 and w2, one of each role, in turn.
ROLES = {"w1": "route", "w2": "deliver", "w3": "route", "w4": "deliver"}


def start_worker(stack: LocalStack, name: str) -> None:
    stack.extra_env["WOSTREAM_ROLE"] = ROLES[name]
    stack.start_worker(name, list(ROLES).index(name))


@dataclass
class Soak:
    plan: Plan
    workdir: Path
    say: Callable[[str], None]
    secret: str = field(default_factory=new_secret)
    processes: dict[str, list[SubscriberProcess]] = field(default_factory=dict)
    liveness: Liveness | None = None

    def run(self) -> tuple[Verdict, dict[str, Any]]:
        kafka = Kafka(self.workdir / "kafka", port=free_port(), controller_port=free_port(), heap="1g")
        kafka.start()
        access = kafka.access()
        stack = LocalStack(isolated(access, "soak"), self.workdir, access=access)
        stack.router_ports.append(RouterPorts())
        stack.adapter_ports[len(ROLES) :] = []
        stack.adapter_ports.extend(free_port() for _ in range(len(ROLES) - len(stack.adapter_ports)))
        stack.extra_env.update(FAST_RETRY)
        stack.extra_env["WOSTREAM_STALL_SECONDS"] = "30"  # a raw partition that stops: named, restarted
        try:
            return self._run(kafka, stack)
        finally:
            stack.stop()
            kafka.stop()

    def _run(self, kafka: Kafka, stack: LocalStack) -> tuple[Verdict, dict[str, Any]]:
        stack.start_router(0)
        stack.start_router(1)
        for worker in ROLES:
            start_worker(stack, worker)
        for worker in ROLES:
            stack.wait_ready(worker, timeout=180)
        entries = [kind.entry() for kind in POPULATION]
        subs_file = self.workdir / "soak-subscriptions.yaml"
        subs_file.write_text(yaml.safe_dump({"subscribers": entries}), encoding="utf-8")
        stack.cli("subscriptions", "apply", str(subs_file), env={"SOAK_SECRET": self.secret})

        def loaded() -> bool:
            return all(len(stack.get_json("/subscribers", w)) == len(POPULATION) for w in ROLES)

        poll(loaded, 60, "the subscriptions at every worker")
        self.liveness = Liveness(stack, lambda name: start_worker(stack, name), self.say)
        self.liveness.start()
        try:
            return self._offer(kafka, stack, entries)
        finally:
            self.liveness.stop()

    def _offer(
        self, kafka: Kafka, stack: LocalStack, entries: list[dict[str, Any]]
    ) -> tuple[Verdict, dict[str, Any]]:
        for kind in POPULATION:
            if not kind.late:
                self.connect(stack, kind)
        events = offered_events(self.plan.events)
        offer = PacedOffer(stack.kafka, stack.settings.raw_topic, events, self.plan.rate)
        seconds = len(events) / self.plan.rate
        plan = schedule(self.plan, seconds)
        self.say(f"soak: offering {len(events):,} events at {self.plan.rate:g}/s ({seconds:.0f} s); {plan}")
        started = time.monotonic()
        sender = offer.start()
        happened = self.carry_out(plan, kafka, stack, started)
        sender.join()
        self.say(f"soak: offered, {len(offer.confirmed):,} confirmed, {offer.failed} refused by the broker")
        verdict = self.wait_caught_up(stack, entries, offer.confirmed, happened)
        figures = {
            "offered": len(offer.confirmed),
            "wall_s": round(time.monotonic() - started, 1),
            "liveness_restarts": list(self.liveness.restarts) if self.liveness else [],
        }
        return verdict, figures

    def connect(self, stack: LocalStack, kind: Kind) -> None:
        sub = stack.subscriber(kind.base_code, self.secret, "--show-context", *kind.flags)
        sub.wait_subscribed(60)
        self.processes.setdefault(kind.base_code, []).append(sub)

    def carry_out(
        self, plan: Schedule, kafka: Kafka, stack: LocalStack, started: float
    ) -> list[tuple[str, float]]:
        """Each fault at its time; returns (name, wall-clock time) of each, for the resume figures."""
        happened: list[tuple[str, float]] = []
        flaky = next(k for k in POPULATION if k.flaky)
        for at, name in plan.faults:
            wait = started + at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            happened.append((name, time.time()))
            self.say(f"soak: {at:6.1f} s  {name}")
            if name.startswith("kill "):
                worker = name.split()[1]
                assert self.liveness is not None
                with self.liveness.lock:
                    stack.workers[worker].stop(sig=9)
                    start_worker(stack, worker)
            elif name == "disconnect":
                self.processes[flaky.base_code][-1].stop()
                self.connect(stack, flaky)
            elif name == "router restart":
                stack.routers[0].stop()
                stack.start_router(0)
            elif name == "broker restart":
                kafka.stop()
                kafka.start()
            elif name == "late subscriber connects":
                for kind in POPULATION:
                    if kind.late:
                        self.connect(stack, kind)
        return happened

    def runs(self, stack: LocalStack) -> dict[str, SubscriberRun]:
        dead = {
            kind.base_code: dead_letters(stack.kafka, stack.settings.dead_topic(kind.base_code))
            for kind in POPULATION
        }
        return {code: SubscriberRun(self.received(code), dead[code], ATTEMPTS) for code in self.processes}

    def received(self, code: str) -> list[Receipt]:
        """Everything a subscriber's processes received, in order (their output files outlive the stack)."""
        return [r for p in self.processes[code] for r in receipts(p.lines())]

    def reorder_examples(self) -> dict[str, list[str]]:
        """Per subscriber that got events out of order, the first such pairs."""
        found = {}
        for code in self.processes:
            if examples := reorder_examples(SubscriberRun(self.received(code), (), ATTEMPTS)):
                found[code] = examples
        return found

    def wait_caught_up(
        self,
        stack: LocalStack,
        entries: list[dict[str, Any]],
        offered: list[dict[str, Any]],
        faults: list[tuple[str, float]],
    ) -> Verdict:
        """Until nothing is lost any more (or the catch-up time is over): the verdict of the whole history."""
        deadline = time.monotonic() + self.plan.catch_up
        while True:
            verdict = check(entries, offered, self.runs(stack), faults)
            lost = sum(r.lost for r in verdict.reports)
            if lost == 0 or time.monotonic() > deadline:
                return verdict
            self.say(f"soak: catching up, {lost:,} not yet received")
            time.sleep(10)
