"""Sessions follow the configuration, logins are throttled, and everything a client sends is bounded.
(Threats 8 and 10 of SECURITY.md; logins, threat 9, are test_logins.)"""

from __future__ import annotations

import asyncio
import time

import Glacier2
import Ice
import pytest
from aiokafka import TopicPartition

from tests.security.attack import Client, Recorder
from tests.security.conftest import SECRETS, SUBSCRIPTIONS
from workshop.local import LocalStack
from workshop.workload import as_lines, poll, step_handled
from wostream.broker.clients import new_consumer
from wostream.core.credentials import new_secret


def online(stack: LocalStack, code: str) -> bool:
    return any(s["baseCode"] == code and s["online"] for s in stack.get_json("/subscribers"))


def apply(stack: LocalStack, text: str, **secrets: str) -> None:
    path = stack.workdir / "changed.yaml"
    path.write_text(text, encoding="utf-8")
    stack.cli("subscriptions", "apply", str(path), env={**SECRETS, **secrets})


@pytest.mark.parametrize("change", ["rotated", "disabled", "removed"])
def test_a_session_ends_when_its_secret_is_rotated_or_its_subscriber_disabled_or_removed(
    own: LocalStack, change: str
) -> None:
    """Threat 8: sessions opened with the old secret must not keep receiving events."""
    old = Client(own.certs.ca_file, own.router_proxy())
    before = Recorder()
    try:
        old.login("SUBA", SECRETS["A_SECRET"]).subscribe(old.callback(before))
        poll(lambda: online(own, "SUBA"), 30, "SUBA online")
        if change == "rotated":
            apply(own, SUBSCRIPTIONS, A_SECRET="the-new-secret-of-a")
        elif change == "disabled":
            apply(own, SUBSCRIPTIONS.replace("    scope:", "    enabled: false\n    scope:", 1))
        else:
            own.cli("subscriptions", "remove", "SUBA")
        poll(lambda: not online(own, "SUBA"), 30, f"the old session to end ({change})")
        own.cli("send", "-", input=as_lines([step_handled("7070701")]))
        if change == "rotated":
            stale = Client(own.certs.ca_file, own.router_proxy())
            with pytest.raises(Glacier2.PermissionDeniedException):
                stale.login("SUBA", SECRETS["A_SECRET"])
            stale.close()
            new = Client(own.certs.ca_file, own.router_proxy())
            after = Recorder()
            new.login("SUBA", "the-new-secret-of-a").subscribe(new.callback(after))
            poll(lambda: after.messages, 30, "the event at the session with the new secret")
            new.close()
        assert before.messages == [], "the old session got an event after the change"
        poll(lambda: _gone(old), 60, "the router to drop the old session's client")
    finally:
        old.close()


def _gone(client: Client) -> bool:
    try:
        client.session.ice_ping()
        return False
    except Exception:
        return True


def test_a_destroyed_session_is_forgotten_at_once_memory_stays_flat_over_20000(own: LocalStack) -> None:
    """Threat 10: a session remembered until its router's connection closes grows the worker without end."""
    worker = own.workers["w1"].pid
    assert worker is not None
    client = Client(own.certs.ca_file, own.router_proxy())
    try:
        # a generated secret: the cycles measure sessions, not the budget of a person's slow secret
        apply(own, SUBSCRIPTIONS + GENERATED_ENTRY, GEN_SECRET=GENERATED)
        poll(lambda: any(s["baseCode"] == "GEN" for s in own.get_json("/subscribers")), 30, "GEN")
        client.login("GEN", GENERATED)
        router = client.router
        router.destroySession()
        # Glacier2 closes a connection whose heartbeat finds it without a session (its peer could not tell
        # otherwise): a heartbeat landing between a destroy and the next create would end the run
        router.ice_getCachedConnection().setACM(Ice.Unset, Ice.Unset, Ice.ACMHeartbeat.HeartbeatOff)

        def cycles(n: int) -> None:
            for _ in range(n):
                router.createSession("GEN", GENERATED)
                router.destroySession()

        cycles(2_000)  # warm-up: caches, allocator, Ice's own pools
        before = rss_kib(worker)
        started = time.monotonic()
        cycles(18_000)
        took = time.monotonic() - started
        grown = rss_kib(worker) - before
        print(f"\nSESSIONS 18 000 create/destroy cycles in {took:.0f} s: worker RSS {grown:+d} KiB")
        assert grown < 4 * 1024, f"the worker grew {grown} KiB over 18 000 sessions (was ~1.3 KB each)"
        assert online_count(own) == 0
    finally:
        client.close()


GENERATED = new_secret()
GENERATED_ENTRY = (
    '  - baseCode: GEN\n    secret: ${GEN_SECRET}\n    dataAreas: [fwwt]\n    changeIds: ["*"]\n'
    '    scope: {organIds: ["*"]}\n'
)


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        line = next(x for x in status if x.startswith("VmRSS:"))
    return int(line.split()[1])


def online_count(stack: LocalStack) -> int:
    return sum(1 for s in stack.get_json("/subscribers") if s["online"])


def test_sessions_subscriptions_and_strings_from_a_client_are_bounded(own: LocalStack) -> None:
    """Threat 10: unbounded sessions, callback registrations and strings."""
    clients = [Client(own.certs.ca_file, own.router_proxy()) for _ in range(5)]
    try:
        for client in clients[:4]:
            client.login("SUBB", SECRETS["B_SECRET"])
        with pytest.raises(Glacier2.CannotCreateSessionException, match="already has 4 sessions"):
            clients[4].login("SUBB", SECRETS["B_SECRET"])
        callback = clients[0].callback(Recorder())
        for _ in range(2000):
            clients[0].session.subscribe(callback)
        assert count_records(own, own.settings.callbacks_topic) == 1, (
            "one registration, however often repeated"
        )
    finally:
        for client in clients:
            client.close()
    huge = Client(own.certs.ca_file, own.router_proxy())
    try:  # what fits the router's 16 KiB reaches the worker, which refuses it unread
        with pytest.raises(Glacier2.PermissionDeniedException, match="wrong baseCode or secret"):
            huge.login("U" * 12_000, "x" * 2_000)
        with pytest.raises(Ice.ConnectionLostException):  # what does not, the router drops
            huge.login("U" * 900_000, "x")
    finally:
        huge.close()
    refusing = Client(own.certs.ca_file, own.router_proxy())
    try:
        refusing.login("SUBA", SECRETS["A_SECRET"]).subscribe(
            refusing.callback(Recorder(refuse_with="no " * 4_000))  # 12 KB: under the router's limit
        )
        own.cli("send", "-", input=as_lines([step_handled("8080801")]))
        last = poll(lambda: _last_error(own, "SUBA"), 30, "SUBA's refusal on /subscribers")
        assert last.startswith("refused by subscriber: no no") and len(last) <= 250, len(last)
    finally:
        refusing.close()
    assert max(len(line) for line in own.log("w1").splitlines()) < 2000, (
        "no client string makes a huge log line"
    )


def _last_error(stack: LocalStack, code: str) -> str | None:
    for s in stack.get_json("/subscribers"):
        if s["baseCode"] == code:
            return str(s["lastError"]) if s["lastError"] else None
    return None


def count_records(stack: LocalStack, topic: str) -> int:
    async def run() -> int:
        consumer = new_consumer(stack.kafka, group_id=None, enable_auto_commit=False)
        await consumer.start()
        try:
            tp = TopicPartition(topic, 0)
            consumer.assign([tp])
            return int((await consumer.end_offsets([tp]))[tp] - (await consumer.beginning_offsets([tp]))[tp])
        finally:
            await consumer.stop()

    return asyncio.run(run())
