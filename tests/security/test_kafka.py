"""Threats at the broker (SECURITY.md 11, 12): a principal writing configuration, a worker the broker refuses.

The broker is the test session's secured one (SASL_SSL, SCRAM, ACLs on); each principal gets exactly the ACLs
`wostream kafka acls` documents for its role.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from aiokafka.errors import KafkaError

from workshop.access import Access
from workshop.local import LocalStack, isolated
from workshop.workload import poll
from wostream.broker.clients import new_producer
from wostream.broker.preflight import refusal
from wostream.config.settings import Settings

pytestmark = pytest.mark.security


def write(settings: Settings, topic: str) -> str:
    """One record to `topic` as `settings`' principal: "ok", or the error's name."""

    async def attempt() -> str:
        producer = new_producer(settings, request_timeout_ms=15_000)
        await producer.start()
        try:
            await asyncio.wait_for(producer.send_and_wait(topic, b"{}", key=b"SUBX"), 30)
            return "ok"
        except KafkaError as exc:
            return type(exc).__name__
        finally:
            await producer.stop()

    return asyncio.run(attempt())


def problems_once_refused(stack: LocalStack) -> list[str]:
    """/health's problems once they are the broker's refusal (before that it says "starting")."""

    def refused() -> list[str] | None:
        status, body = stack.health()
        found = body.get("problems", [])
        return found if status == 503 and found and found[0].startswith("Kafka ") else None

    return list(poll(refused, 60, "/health naming the broker's refusal"))


def test_a_principal_without_the_operators_acls_can_neither_add_a_subscriber_nor_redirect_a_callback(
    kafka_access: Access, tmp_path: Path
) -> None:
    """Threat 11: whoever writes the subscriptions topic adds a subscriber with every data area, and whoever
    writes the callbacks topic points a subscriber's events elsewhere."""
    worker = isolated(kafka_access, uuid.uuid4().hex[:8])
    stack = LocalStack(worker, tmp_path, access=kafka_access)
    stack.ensure_topics()  # as the operator: the topics exist, so a refusal is about rights, not absence
    source = kafka_access.principal(f"{worker.app_id}-source", "source", worker)
    assert write(source, worker.raw_topic) == "ok", "the source principal writes what it may"
    assert write(stack.operator, worker.subscriptions_topic) == "ok", "the operator adds subscribers"
    refused = "TopicAuthorizationFailedError"
    assert write(source, worker.subscriptions_topic) == refused
    assert write(source, worker.idmaps_topic) == refused
    assert write(source, worker.callbacks_topic) == refused
    assert write(worker, worker.subscriptions_topic) == refused, "not even a worker adds a subscriber"
    assert write(worker, worker.idmaps_topic) == refused


def test_a_worker_the_broker_refuses_names_why_on_health_and_starts_once_its_secret_is_right(
    kafka_access: Access, tmp_path: Path
) -> None:
    """What an operator sees while a Secret is wrong: one line a try, /health naming it; no restart needed
    once the mounted password file is right."""
    settings = isolated(kafka_access, uuid.uuid4().hex[:8])
    assert settings.kafka_password_file is not None
    right = settings.kafka_password_file.read_text(encoding="utf-8")
    mounted = tmp_path / "kafka-password"
    mounted.write_text("not-the-password", encoding="utf-8")
    stack = LocalStack(
        settings.model_copy(update={"kafka_password_file": mounted}), tmp_path, access=kafka_access
    )
    try:
        stack.start_worker()
        who = f"user {settings.kafka_username!r} (SCRAM-SHA-512)"
        assert problems_once_refused(stack) == [
            f"Kafka {settings.kafka} (SASL_SSL) refused {who}: unknown user or wrong password"
        ]
        assert "not-the-password" not in stack.log("w1"), "the password is never logged"
        mounted.write_text(right, encoding="utf-8")
        stack.wait_ready(timeout=60)
        lines = [line for line in stack.log("w1").splitlines() if "unknown user or wrong password" in line]
        assert 1 <= len(lines) <= 8, lines  # one a try (every 10 s), not a storm
    finally:
        stack.stop()


def test_a_worker_without_its_acls_says_so_and_starts_once_they_are_granted(
    kafka_access: Access, tmp_path: Path
) -> None:
    """A principal that authenticates but may not use wostream's topics (ACLs not applied yet)."""
    names = isolated(kafka_access, uuid.uuid4().hex[:8])
    bare = kafka_access.principal(f"{names.app_id}-bare", "source", names)  # may only write raw events
    stack = LocalStack(bare, tmp_path, access=kafka_access)
    try:
        stack.start_worker()
        problems = problems_once_refused(stack)
        assert len(problems) == 1, problems
        assert problems[0].startswith("Kafka did not serve wostream's topics:"), problems
        assert "TopicAuthorizationFailed" in problems[0], problems
        kafka_access.grant(bare.kafka_username or "", "worker", names)
        stack.wait_ready(timeout=60)
    finally:
        stack.stop()


def test_a_worker_without_its_group_acls_names_the_groups_and_starts_once_they_are_granted(
    kafka_access: Access, tmp_path: Path
) -> None:
    """Every topic ACL but no group ACL: Faust would retry its join for ever and say nothing."""
    names = isolated(kafka_access, uuid.uuid4().hex[:8])
    user = f"{names.app_id}-nogroups"
    partial = kafka_access.principal(user, "worker", names, skip="group")
    stack = LocalStack(partial, tmp_path, access=kafka_access)
    try:
        stack.start_worker()
        groups = f"{names.app_id}, {names.app_id}-deliver"
        assert problems_once_refused(stack) == [
            f"Kafka refused user {user!r} the consumer group(s) {groups} (GroupAuthorizationFailed): "
            "grant what `wostream kafka acls --role worker` lists"
        ]
        kafka_access.grant(user, "worker", names)
        stack.wait_ready(timeout=60)
    finally:
        stack.stop()


def test_admission_takes_any_bootstrap_broker_that_answers(kafka_access: Access) -> None:
    """A client bootstraps from any listed broker: one down (a rolling restart) must not hold a start."""
    settings = isolated(kafka_access, uuid.uuid4().hex[:8])
    down = "127.0.0.1:1"
    refused = f"Kafka {down} (SASL_SSL): connection refused (the broker is down, or the address is wrong)"
    assert asyncio.run(refusal(settings.model_copy(update={"kafka": down}))) == refused
    assert asyncio.run(refusal(settings.model_copy(update={"kafka": f"{down},{settings.kafka}"}))) is None
    both_down = f"{down},127.0.0.1:2"
    assert asyncio.run(refusal(settings.model_copy(update={"kafka": both_down}))) == refused
