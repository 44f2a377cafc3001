"""What a subscriber may ask from its own session (`status`, `resyncTicket`, `resyncSince`), and batches only
when asked (`subscribeBatches`): a servant that answers every `ice_isA` still gets one event per call."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from typing import Any

import Ice
import pytest

from tests.security.attack import Client
from workshop.local import LocalStack
from workshop.workload import as_lines, poll, step_handled
from wostream.ice.contract import BatchSubscriber, BatchSubscriberPrx, ResyncRefused, Subscriber

SUBSCRIPTIONS = """
subscribers:
  - baseCode: SUBA
    secret: ${SECRET}
    dataAreas: [fwwt]
    changeIds: ["*"]
    scope: {organIds: ["671024"]}
  - baseCode: SUBB
    secret: ${SECRET}
    dataAreas: [fwwt]
    changeIds: ["*"]
    scope: {organIds: ["7"]}
"""


class Taker(BatchSubscriber):  # type: ignore[misc]
    """Records each call: what it was (push or pushBatch), its messages and its context."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str], dict[str, str]]] = []

    def push(self, message: str, current: Ice.Current) -> None:
        self.calls.append(("push", [message], dict(current.ctx)))

    def pushBatch(self, messages: list[str], current: Ice.Current) -> None:
        self.calls.append(("pushBatch", list(messages), dict(current.ctx)))


class EveryType(Ice.Blobject):  # type: ignore[misc]
    """A generic servant, as dynamic integrations write them: says yes to every ice_isA, takes every call."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def ice_invoke(self, in_params: bytes, current: Ice.Current) -> tuple[bool, bytes]:
        self.operations.append(current.operation)
        # Ice for Python has no OutputStream: an encapsulation by hand (size, encoding 1.1, the results)
        results = b"\x01" if current.operation == "ice_isA" else b""  # a bool true, or nothing
        return True, struct.pack("<i", 6 + len(results)) + b"\x01\x01" + results


@pytest.fixture
def subscribed(stack: LocalStack, tmp_path: Path) -> LocalStack:
    stack.extra_env["WOSTREAM_RESYNC_EVERY"] = "5"
    stack.start_router()
    stack.start_worker()
    stack.wait_ready()
    (tmp_path / "subs.yaml").write_text(SUBSCRIPTIONS, encoding="utf-8")
    stack.cli("subscriptions", "apply", str(tmp_path / "subs.yaml"), env={"SECRET": "s"})
    poll(lambda: len(stack.get_json("/subscribers")) == 2, 30, "the subscriptions at the worker")
    return stack


def tickets_of(calls: list[tuple[str, list[str], dict[str, str]]]) -> list[str]:
    return [json.loads(json.loads(m)["data"])["serviceOrderId"] for _, msgs, _ in calls for m in msgs]


def test_status_tells_what_waits_and_the_last_event_delivered(subscribed: LocalStack) -> None:
    client = Client(subscribed.certs.ca_file, subscribed.router_proxy())
    taker = Taker()
    try:
        session = client.login("SUBA", "s")
        session.subscribe(client.callback(taker))
        # two steps of one ticket: one partition, delivered in order, so "the last delivered" is one event
        steps = [step_handled("6100001", track="T1"), step_handled("6100001", track="T2")]
        subscribed.cli("send", "-", input=as_lines(steps))
        poll(lambda: len(taker.calls) == 2, 30, "two events")
        last = taker.calls[-1][2]["eventId"]
        seen: list[Any] = []

        def delivered() -> Any:
            seen[:] = [session.status()]
            return seen[0].lastDeliveredEventId == last and seen[0]

        try:
            status = poll(delivered, 30, "the status to show the last event delivered")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {last} delivered, the status says {seen}") from None
        assert (status.state, status.backlog, status.oldestWaitingSeconds) == ("online", 0, -1)
        assert (status.deadLetters, status.retrying) == (0, 0)
    finally:
        client.close()


def test_a_resync_pushes_the_subscribers_own_tickets_again_and_is_rate_limited(
    subscribed: LocalStack,
) -> None:
    client = Client(subscribed.certs.ca_file, subscribed.router_proxy())
    taker = Taker()
    try:
        session = client.login("SUBA", "s")
        session.subscribe(client.callback(taker))
        ours, theirs = step_handled("6200001"), step_handled("6200002", organ="7")
        subscribed.cli("send", "-", input=as_lines([ours, theirs]))
        poll(lambda: len(taker.calls) == 1, 30, "SUBA's event")
        assert session.resyncTicket("6200002") == 0, "another subscriber's ticket: nothing"
        with pytest.raises(ResyncRefused, match="one resync every 5 s"):
            session.resyncTicket("6200001")
        poll(lambda: resynced(session, "6200001"), 30, "a resync once 5 s have passed")
        poll(lambda: len(taker.calls) == 2, 30, "the resynced event")
        kind, _, context = taker.calls[1]
        assert kind == "push" and context.get("resync") == "1"
        assert context["eventId"] == taker.calls[0][2]["eventId"], "with its original eventId"
        assert tickets_of(taker.calls) == ["6200001", "6200001"], "only the subscriber's own ticket"
        with pytest.raises(ResyncRefused, match="at most 7 days"):
            session.resyncSince(int(time.time()) - 30 * 86400)
    finally:
        client.close()


def resynced(session: Any, ticket: str) -> bool:
    try:
        return bool(session.resyncTicket(ticket) == 1)
    except ResyncRefused:
        return False


def test_batches_only_when_asked(subscribed: LocalStack) -> None:
    client = Client(subscribed.certs.ca_file, subscribed.router_proxy())
    generic = EveryType()
    try:
        session = client.login("SUBA", "s")
        session.subscribe(client.callback(generic))  # say yes to every type, yet registered with subscribe
        subscribed.cli("send", "-", input=as_lines([step_handled(f"63000{n:02d}") for n in range(5)]))
        poll(lambda: generic.operations.count("push") == 5, 30, "five plain pushes")
        assert "pushBatch" not in generic.operations
    finally:
        client.close()
    asking = Client(subscribed.certs.ca_file, subscribed.router_proxy())
    taker = Taker()
    try:
        session = asking.login("SUBA", "s")
        session.subscribeBatches(BatchSubscriberPrx.uncheckedCast(asking.callback(taker)))
        subscribed.cli("send", "-", input=as_lines([step_handled(f"64000{n:02d}") for n in range(20)]))
        poll(lambda: len(tickets_of(taker.calls)) == 20, 30, "twenty events in batches")
        assert {kind for kind, _, _ in taker.calls} == {"pushBatch"}
        assert all(len(json.loads(ctx["eventIds"])) == len(msgs) for _, msgs, ctx in taker.calls)
    finally:
        asking.close()


def test_a_plain_subscriber_registered_with_subscribe_is_untouched(subscribed: LocalStack) -> None:
    client = Client(subscribed.certs.ca_file, subscribed.router_proxy())
    plain = Taker()
    try:
        session = client.login("SUBA", "s")
        session.subscribe(client.callback(plain))
        subscribed.cli("send", "-", input=as_lines([step_handled("6500001")]))
        poll(lambda: plain.calls, 30, "the event")
        assert plain.calls[0][0] == "push" and plain.calls[0][2]["attempt"] == "1"
        assert isinstance(plain, Subscriber)
    finally:
        client.close()
