"""Retries that remember, dead letters, parked tickets and replay — on real processes."""

from __future__ import annotations

import itertools
import signal
from pathlib import Path
from typing import Any

import pytest

from workshop.history import tally
from workshop.local import LocalStack
from workshop.subscribers import SubscriberProcess
from workshop.workload import as_lines, poll, read_topic, ticket_events

pytestmark = pytest.mark.integration

SUBSCRIPTION = """
subscribers:
  - baseCode: SUBR
    secret: ${SUBR_SECRET}
    dataAreas: [fwwt]
    changeIds: ["*"]
    scope: {organIds: ["*"]}
"""
SECRET = {"SUBR_SECRET": "r-secret"}


def start(stack: LocalStack, tmp_path: Path, **env: str) -> None:
    stack.extra_env.update(env)
    stack.start_router()
    stack.start_worker()
    stack.wait_ready()
    (tmp_path / "subs.yaml").write_text(SUBSCRIPTION, encoding="utf-8")
    stack.cli("subscriptions", "apply", str(tmp_path / "subs.yaml"), env=SECRET)


def same_partition_as(ticket: str, partitions: int) -> str:
    """Another ticket whose events land in the same partition (Kafka's default murmur2 partitioner)."""
    from aiokafka.partitioner import DefaultPartitioner

    part, every = DefaultPartitioner(), list(range(partitions))
    want = part(ticket.encode(), every, every)
    n = int(ticket) + 1
    while part(str(n).encode(), every, every) != want:
        n += 1
    return str(n)


def attempts_of(lines: list[dict[str, Any]], event_id: str) -> list[dict[str, Any]]:
    return [line for line in lines if line["context"]["eventId"] == event_id]


def test_refusals_back_off_then_dead_letter_park_the_ticket_and_replay_in_order(
    stack: LocalStack, tmp_path: Path
) -> None:
    start(stack, tmp_path, WOSTREAM_RETRY_ATTEMPTS="4", WOSTREAM_RETRY_INITIAL="0.4", WOSTREAM_RETRY_MAX="5")
    poison = "7000001"
    healthy = same_partition_as(poison, stack.settings.partitions)  # it shares the poison ticket's partition
    p_events, h_events = (ticket_events(1, 3, first_ticket=int(t)) for t in (poison, healthy))
    events = [e for pair in zip(p_events, h_events, strict=True) for e in pair]  # T0, U0, T1, U1, T2, U2
    refusing = stack.subscriber("SUBR", SECRET["SUBR_SECRET"], "--show-context", "--refuse-ticket", poison)
    refusing.wait_subscribed()
    stack.cli("send", "-", input=as_lines(events[:4]))

    # the healthy ticket of the same partition flows while the poison ticket's first event is retried
    poll(
        lambda: (
            [x["context"]["eventId"] for x in refusing.lines() if not x.get("refused")]
            == [f"{healthy}-0", f"{healthy}-1"]
        ),
        60,
        "the healthy ticket's two events",
    )
    healthy_done = max(x["receivedAt"] for x in refusing.lines() if not x.get("refused"))
    poll(lambda: len(attempts_of(refusing.lines(), f"{poison}-0")) == 4, 60, "four attempts")
    tries = attempts_of(refusing.lines(), f"{poison}-0")
    assert healthy_done < tries[-1]["receivedAt"], "other tickets flow while one is being retried"
    assert [t["context"]["attempt"] for t in tries] == ["1", "2", "3", "4"]
    assert all(t.get("refused") for t in tries)
    gaps = [b["receivedAt"] - a["receivedAt"] for a, b in itertools.pairwise(tries)]
    for gap, ceiling in zip(gaps, (0.4, 0.8, 1.6), strict=True):
        assert ceiling / 2 - 0.05 <= gap <= ceiling + 0.5, f"backoff gaps {gaps}"
    assert attempts_of(refusing.lines(), f"{poison}-1") == [], "the ticket's next event waits (parked)"

    dead = read_topic(stack.kafka, stack.settings.dead_topic("SUBR"), 2)
    first, second = (dict(r.headers) for r in dead)
    assert [r.key for r in dead] == [poison.encode(), poison.encode()]
    assert (first["eventId"], first["attempts"]) == (f"{poison}-0".encode(), b"4")
    assert first["reason"].decode().startswith("refused by subscriber: refusing call")
    assert second["eventId"] == f"{poison}-1".encode()
    assert second["reason"].decode() == f"parked: ticket {poison} waits behind dead event {poison}-0"
    poll(lambda: stack.get_json("/subscribers")[0]["dead"] == 2, 10, "dead count on /subscribers")

    # the subscriber is fixed; replay puts both back, in order, and the ticket flows again
    refusing.stop()
    fixed = stack.subscriber("SUBR", SECRET["SUBR_SECRET"], "--show-context")
    fixed.wait_subscribed()
    dry = stack.cli("replay", "SUBR", "--dry-run")
    assert "2 dead events of 1 tickets" in dry.stdout and "nothing replayed" in dry.stdout
    stack.cli("replay", "SUBR")
    got = fixed.wait_count(2)
    assert [x["context"]["eventId"] for x in got] == [f"{poison}-0", f"{poison}-1"]
    stack.cli("send", "-", input=as_lines(events[4:5]))
    got = fixed.wait_count(3)
    assert got[2]["context"]["eventId"] == f"{poison}-2", "a replayed ticket is no longer parked"
    again = stack.cli("replay", "SUBR")
    assert "0 dead events" in again.stdout, "replay remembers what it already replayed"
    assert healthy  # the healthy ticket was asserted above


def test_retry_schedule_survives_a_worker_kill(stack: LocalStack, tmp_path: Path) -> None:
    start(
        stack, tmp_path, WOSTREAM_RETRY_ATTEMPTS="20", WOSTREAM_RETRY_INITIAL="1.2", WOSTREAM_RETRY_MAX="1.2"
    )
    sub = stack.subscriber("SUBR", SECRET["SUBR_SECRET"], "--show-context", "--refuse", "-1")
    sub.wait_subscribed()
    stack.cli("send", "-", input=as_lines(ticket_events(1, 1, first_ticket=7100001)))
    poll(lambda: len(sub.lines()) >= 3, 60, "three refused attempts")
    worker = stack.workers["w1"]
    assert worker.proc is not None
    worker.stop(sig=signal.SIGKILL)
    before = len(sub.lines())
    stack.start_worker()
    stack.wait_ready()
    poll(lambda: len(sub.lines()) >= before + 2, 60, "attempts after the restart")
    numbers = [int(x["context"]["attempt"]) for x in sub.lines()]
    assert numbers[:before] == list(range(1, before + 1))
    resumed = numbers[before]
    assert resumed >= before, f"the count resumed at {resumed} after {before} attempts, not from 1: {numbers}"
    assert numbers[before:] == list(range(resumed, resumed + len(numbers) - before))


def test_two_workers_share_the_partitions_and_both_see_config_and_callbacks(
    stack: LocalStack, tmp_path: Path
) -> None:
    start(stack, tmp_path)
    stack.start_worker("w2", index=1)
    stack.wait_ready("w2")
    poll(lambda: _metric(stack, "w2", "wostream_push_partitions") > 0, 60, "w2 to take push partitions")
    sub = stack.subscriber("SUBR", SECRET["SUBR_SECRET"], "--show-context")
    sub.wait_subscribed()
    for worker in ("w1", "w2"):

        def sees_online(w: str = worker) -> bool:
            return [(s["baseCode"], s["online"]) for s in stack.get_json("/subscribers", w)] == [
                ("SUBR", True)
            ]

        poll(
            sees_online,
            30,
            f"{worker} to see SUBR online",
        )
    events = ticket_events(24, 25, first_ticket=7200001)
    stack.cli("send", "-", input=as_lines(events))
    poll(lambda: tally(sub.lines(), events).lost == 0, 120, "all events at SUBR")
    t = tally(sub.lines(), events)
    assert (t.lost, t.reordered) == (0, 0), str(t)
    delivered = {w: stack.get_json("/subscribers", w)[0]["delivered"] for w in ("w1", "w2")}
    assert all(n > 0 for n in delivered.values()), f"both workers deliver a share: {delivered}"
    # a push cut short by a rebalance may arrive and still count as not acknowledged: at least once
    assert sum(delivered.values()) <= t.received


def test_a_paused_subscription_keeps_its_events_until_resumed(stack: LocalStack, tmp_path: Path) -> None:
    start(stack, tmp_path)
    paused = SUBSCRIPTION.replace("    scope:", "    paused: true\n    scope:")
    (tmp_path / "paused.yaml").write_text(paused, encoding="utf-8")
    stack.cli("subscriptions", "apply", str(tmp_path / "paused.yaml"), env=SECRET)
    poll(lambda: stack.get_json("/subscribers")[0]["paused"], 30, "SUBR paused at the worker")
    sub = stack.subscriber("SUBR", SECRET["SUBR_SECRET"], "--show-context")
    sub.wait_subscribed()
    events = ticket_events(2, 3, first_ticket=7300001)
    stack.cli("send", "-", input=as_lines(events))
    assert len(read_topic(stack.kafka, stack.settings.push_topic("SUBR"), 6)) == 6, (
        "routed and kept in its topic"
    )
    assert sub.lines() == [] and not stack.get_json("/subscribers")[0]["online"], "but not delivered"
    stack.cli("subscriptions", "apply", str(tmp_path / "subs.yaml"), env=SECRET)  # paused: false again
    poll(lambda: tally(sub.lines(), events).lost == 0, 60, "the held events after resuming")
    t = tally(sub.lines(), events)
    assert (t.received, t.reordered) == (6, 0), str(t)


def _metric(stack: LocalStack, worker: str, name: str) -> float:
    lines = stack.get_text("/metrics", worker).splitlines()
    return sum(float(line.split()[-1]) for line in lines if line.startswith(name + " "))


MIXED = """
subscribers:
  - baseCode: BATCHY
    secret: ${S}
    dataAreas: [fwwt]
    changeIds: ["*"]
    scope: {organIds: ["*"]}
  - baseCode: PLAIN
    secret: ${S}
    dataAreas: [fwwt]
    changeIds: ["*"]
    scope: {organIds: ["*"]}
"""


def test_a_batch_subscriber_and_a_plain_one_each_get_every_event_in_order(
    stack: LocalStack, tmp_path: Path
) -> None:
    """One BatchSubscriber (refusing its first three messages: each refused batch is retried from its
    first message, alone), one plain Subscriber: both get all 300 events of 6 tickets in each ticket's order,
    the first in batches."""
    stack.extra_env.update({"WOSTREAM_RETRY_INITIAL": "0.2", "WOSTREAM_RETRY_MAX": "1"})
    stack.start_router()
    stack.start_worker()
    stack.wait_ready()
    (tmp_path / "subs.yaml").write_text(MIXED, encoding="utf-8")
    stack.cli("subscriptions", "apply", str(tmp_path / "subs.yaml"), env={"S": "mixed-secret"})
    batchy = stack.subscriber("BATCHY", "mixed-secret", "--show-context", "--batch", "--refuse", "3")
    plain = stack.subscriber("PLAIN", "mixed-secret", "--show-context")
    batchy.wait_subscribed()
    plain.wait_subscribed()
    events = ticket_events(6, 50)
    stack.cli("send", "-", input=as_lines(events))
    for sub in (batchy, plain):

        def arrived(s: SubscriberProcess = sub) -> bool:
            return tally(s.lines(), events).lost == 0

        poll(arrived, 120, f"every event at {sub.base_code}")
        counted = tally(sub.lines(), events)
        assert (counted.lost, counted.reordered) == (0, 0), f"{sub.base_code}: {counted}"
    sizes = [int(x["context"]["batch"]) for x in batchy.lines() if "batch" in x["context"]]
    assert len(sizes) == len(batchy.lines()), "every message reached the batch subscriber by pushBatch"
    assert max(sizes) > 1, "several events per call"
    assert not any("batch" in x["context"] for x in plain.lines()), "the plain subscriber got push calls"
    refused = [x for x in batchy.lines() if x.get("refused")]
    assert len(refused) == 3, "the first three messages (the heads of the first batches) were refused"
    for no in refused:
        again = [
            x
            for x in batchy.lines()
            if x["context"]["eventId"] == no["context"]["eventId"] and not x.get("refused")
        ]
        assert again and int(again[0]["context"]["attempt"]) > int(no["context"]["attempt"]), "retried, later"
        assert again[0]["context"]["batch"] == "1", "a refused batch comes again as its first message alone"
    ids = [x["context"]["eventId"] for x in batchy.lines() if not x.get("refused")]
    assert len(set(ids)) == len(events), "each message carries its own event id"
