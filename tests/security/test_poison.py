"""No record stops routing or configuration: records too big to hand on, garbage on the config topics, and a
callback forged on its topic. (Threats 2, 3 and 11 of SECURITY.md.)"""

from __future__ import annotations

import asyncio
import json
import time

from tests.security.attack import Client, Listener, Recorder
from tests.security.conftest import SECRETS
from workshop.local import LocalStack
from workshop.workload import as_lines, poll, read_topic, step_handled
from wostream.broker.clients import new_producer
from wostream.records.state import callback_key, callback_value


def produce(stack: LocalStack, topic: str, records: list[tuple[bytes | None, bytes]]) -> None:
    async def run() -> None:
        producer = new_producer(stack.kafka, max_request_size=1_100_000, acks="all")
        await producer.start()
        try:
            for key, value in records:
                await producer.send_and_wait(topic, value, key=key)
        finally:
            await producer.stop()

    asyncio.run(run())


def event(ticket: str, body_extra: dict[str, str] | None = None) -> bytes:
    raw = step_handled(ticket)
    raw["data"].update(body_extra or {})
    return json.dumps(raw, ensure_ascii=False).encode()


def test_records_too_big_to_hand_on_are_quarantined_and_routing_goes_on(shared: LocalStack) -> None:
    """Threat 2: a raw record just under the broker's limit, and a valid event whose copy grows past it."""
    client = Client(shared.certs.ca_file, shared.router_proxy())
    got = Recorder()
    try:
        client.login("SUBA", SECRETS["A_SECRET"]).subscribe(client.callback(got))
        huge_raw = b"x" * 1_040_000  # accepted by the broker; with the quarantine headers it would not fit
        quotes = event("6060602", {"note": '"' * 400_000})  # valid; its envelope escapes every quote again
        produce(shared, shared.settings.raw_topic, [(b"6060601", huge_raw), (b"6060602", quotes)])
        produce(shared, shared.settings.raw_topic, [(b"6060603", event("6060603"))])
        poll(lambda: any("6060603" in m for m in got.messages), 60, "the event after the poison")
        assert not any("6060602" in m for m in got.messages), "the oversize copy never left"
        stub, grown = read_topic(shared.kafka, shared.settings.quarantine_topic, 2)
        assert stub.value == b"" and len(stub.value) < 1000
        reason = dict(stub.headers)["reason"].decode()
        assert "bytes, over the 1,000,000-byte record limit: it stays at " in reason, reason
        grown_reason = dict(grown.headers)["reason"].decode()
        assert grown.value == quotes
        assert grown_reason.startswith("the copy for SUBA would be "), grown_reason
        assert grown_reason.endswith("over the 1,000,000-byte record limit: not pushed")
        health = shared.get_json("/health")
        assert health == {"ready": True, "problems": []}
    finally:
        client.close()


def test_garbage_on_the_config_topics_is_reported_and_later_changes_still_apply(shared: LocalStack) -> None:
    """Threat 3: one hostile record on a config topic must not stop configuration for good, silently."""
    nested = b"[" * 50_000
    settings = shared.settings
    for topic in (settings.subscriptions_topic, settings.callbacks_topic, settings.retries_topic):
        produce(shared, topic, [(b"EVIL\x1fx\x1fy", nested), (b"\xff" * 2000, b"{}")])
    (shared.workdir / "more.yaml").write_text(
        'subscribers:\n  - baseCode: LATER\n    secret: s\n    dataAreas: [fwwt]\n    changeIds: ["*"]\n'
        '    scope: {organIds: ["*"]}\n',
        encoding="utf-8",
    )
    shared.cli("subscriptions", "apply", str(shared.workdir / "more.yaml"))
    poll(lambda: "LATER" in {s["baseCode"] for s in shared.get_json("/subscribers")}, 30, "a later change")
    errors = shared.get_json("/errors")["config"]
    assert len(errors) >= 6
    for kind in ("subscription", "callback", "retry"):
        assert any(e.split(" ", 1)[1].startswith(f"{kind} record b'EVIL") for e in errors), (kind, errors)
    assert all(len(e) < 1200 for e in errors), "a hostile key does not make a huge message"
    assert shared.get_json("/health") == {"ready": True, "problems": []}
    assert max(len(line) for line in shared.log("w1").splitlines()) < 2000, "nor a huge log line"


def test_a_callback_written_to_the_topic_by_someone_else_is_checked_before_any_push(
    shared: LocalStack,
) -> None:
    """Threat 11: whoever may write the callbacks topic (a worker's principal, or anyone on a broker without
    ACLs) could point a subscriber's events at any host; each worker checks a callback it reads back as
    `subscribe` does, before any push."""
    listener = Listener()
    try:
        forged = f"subscriber -e 1.1:tcp -h 127.0.0.1 -p {listener.port}"
        record = (callback_key("SUBB", "forged"), callback_value(forged, time.time()))
        produce(shared, shared.settings.callbacks_topic, [record])
        poll(
            lambda: any(
                "the callback of SUBB cannot be ours" in e for e in shared.get_json("/errors")["config"]
            ),
            30,
            "the forged callback refused, with the reason",
        )
        shared.cli("send", "-", input=as_lines([step_handled("7300001")]))
        got = Recorder()
        client = Client(shared.certs.ca_file, shared.router_proxy())
        try:  # the event was SUBB's to have: its own subscriber, subscribing properly, gets it
            client.login("SUBB", SECRETS["B_SECRET"]).subscribe(client.callback(got))
            poll(lambda: any("7300001" in m for m in got.messages), 30, "SUBB's event at its own callback")
        finally:
            client.close()
        assert listener.connections == [], "the worker connected where the forged record pointed"
    finally:
        listener.close()
