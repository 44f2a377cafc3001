"""Ticket memory on real parts: a community-scoped subscriber receives every entitled event of a ticket whose
later events lack the community (and the evaluation its data area), across a worker kill, a rebalance between
two workers, and producers that do not key by ticket."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from workshop.local import LocalStack
from workshop.subscribers import SubscriberProcess
from workshop.workload import poll, produce, ticket_lifecycle

COMMUNITY = "139912543382896"
SUBSCRIPTION = f"""
subscribers:
  - baseCode: COMM
    secret: ${{COMM_SECRET}}
    dataAreas: [fwwt]
    changeIds: ["*"]
    scope: {{organIds: [], communityIds: ["{COMMUNITY}"]}}
"""
SECRET = {"COMM_SECRET": "comm-secret"}
Key = Callable[[dict[str, Any]], bytes | None]
BY_TICKET: Key = lambda e: str(e["data"]["serviceOrderId"]).encode()  # noqa: E731


def up(stack: LocalStack, tmp_path: Path) -> SubscriberProcess:
    stack.start_router()
    stack.start_worker()
    stack.wait_ready()
    (tmp_path / "subs.yaml").write_text(SUBSCRIPTION, encoding="utf-8")
    stack.cli("subscriptions", "apply", str(tmp_path / "subs.yaml"), env=SECRET)
    poll(lambda: len(stack.get_json("/subscribers")) == 1, 30, "the subscription at the worker")
    sub = stack.subscriber("COMM", SECRET["COMM_SECRET"], "--show-context")
    sub.wait_subscribed()
    return sub


def entitled(events: list[dict[str, Any]]) -> list[str]:
    """Every kind but 8 (never pushed): the subscriber's scope is the ticket's community."""
    return [e["eventId"] for e in events if e["changeId"] != "8"]


def received(sub: SubscriberProcess, ticket: str) -> list[str]:
    """Event ids of the ticket in order of first arrival (duplicates after a crash are dropped)."""
    seen: list[str] = []
    for line in sub.lines():
        event_id = line["context"]["eventId"]
        if event_id.startswith(f"{ticket}-") and event_id not in seen:
            seen.append(event_id)
    return seen


def wait_all(sub: SubscriberProcess, ticket: str, events: list[dict[str, Any]]) -> None:
    want = entitled(events)
    poll(lambda: len(received(sub, ticket)) >= len(want), 90, f"the {len(want)} entitled events of {ticket}")
    assert received(sub, ticket) == want, "every entitled kind, in the ticket's order"
    assert len(want) == 12


def test_a_community_scoped_subscriber_gets_every_kind_of_its_tickets(
    stack: LocalStack, tmp_path: Path
) -> None:
    sub = up(stack, tmp_path)
    events = ticket_lifecycle("9100001")
    produce(stack.kafka, stack.settings.raw_topic, events, BY_TICKET)
    wait_all(sub, "9100001", events)
    evaluation = next(line["message"] for line in sub.lines() if line["message"]["changeId"] == "4")
    assert evaluation["dataArea"] == "fwwt", "the data area came from the ticket"
    assert "communityId" not in json.loads(evaluation["data"]), "and nothing was added to the body"
    assert stack.get_json("/errors")["quarantine"] == []


def test_memory_survives_a_worker_killed_between_a_tickets_events(stack: LocalStack, tmp_path: Path) -> None:
    sub = up(stack, tmp_path)
    events = ticket_lifecycle("9200001")
    produce(stack.kafka, stack.settings.raw_topic, events[:2], BY_TICKET)
    poll(lambda: len(received(sub, "9200001")) == 2, 60, "the first two events")
    stack.workers["w1"].stop(sig=signal.SIGKILL)
    stack.start_worker()
    stack.wait_ready()
    produce(stack.kafka, stack.settings.raw_topic, events[2:], BY_TICKET)
    wait_all(sub, "9200001", events)


def test_memory_moves_with_its_partition_when_a_second_worker_joins(
    stack: LocalStack, tmp_path: Path
) -> None:
    sub = up(stack, tmp_path)
    tickets = [f"93{n:05d}" for n in range(8)]  # spread over the partitions, so some change hands
    lives = {t: ticket_lifecycle(t) for t in tickets}
    produce(stack.kafka, stack.settings.raw_topic, [lives[t][0] for t in tickets], BY_TICKET)
    poll(lambda: all(received(sub, t) for t in tickets), 60, "every ticket's first event")
    stack.start_worker("w2", index=1)
    stack.wait_ready("w2")
    produce(stack.kafka, stack.settings.raw_topic, [e for t in tickets for e in lives[t][1:]], BY_TICKET)
    for ticket in tickets:
        wait_all(sub, ticket, lives[ticket])
    assert _routed(stack, "w2") > 0, "the joining worker routed later events with memory it recovered"


def _routed(stack: LocalStack, worker: str) -> float:
    lines = stack.get_text("/metrics", worker).splitlines()
    return sum(float(line.split()[-1]) for line in lines if line.startswith("wostream_routed_copies_total"))


@pytest.mark.parametrize("keying", ["null keys", "wrong keys"])
def test_memory_holds_for_producers_that_do_not_key_by_ticket(
    stack: LocalStack, tmp_path: Path, keying: str
) -> None:
    """Events keyed otherwise are re-keyed by ticket, so one partition (and its memory) sees the whole ticket.
    Their order is only what the producer's partitions give (Kafka orders within a partition), so the test
    waits for the creating event before sending the rest, and checks that every entitled event arrives."""
    sub = up(stack, tmp_path)
    events = ticket_lifecycle("9400001")
    key: Key = (lambda e: None) if keying == "null keys" else (lambda e: f"k{e['data']['seq']}".encode())
    produce(stack.kafka, stack.settings.raw_topic, events[:1], key)
    poll(lambda: received(sub, "9400001"), 60, "the creating event")
    produce(stack.kafka, stack.settings.raw_topic, events[1:], key)
    want = entitled(events)
    poll(lambda: len(received(sub, "9400001")) >= len(want), 90, "every entitled event")
    assert sorted(received(sub, "9400001")) == sorted(want)
    assert stack.get_json("/errors")["quarantine"] == []
