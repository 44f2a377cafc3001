"""The security tier: an isolated stack per module (real Kafka, glacier2router and worker), attacked from the
test process with real Ice clients."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from workshop.access import Access
from workshop.local import LocalStack, isolated
from workshop.workload import poll

HERE = Path(__file__).resolve().parent
SECRETS = {"A_SECRET": "a-secret-value-for-tests", "B_SECRET": "b-secret-value-for-tests"}
SUBSCRIPTIONS = """
subscribers:
  - baseCode: SUBA
    secret: ${A_SECRET}
    dataAreas: [fwwt]
    changeIds: ["*"]
    scope: {organIds: ["*"]}
  - baseCode: SUBB
    secret: ${B_SECRET}
    dataAreas: [fwwt]
    changeIds: ["*"]
    scope: {organIds: ["*"]}
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything here attacks real processes: part of the integration tier, and `-m security` alone."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)
            item.add_marker(pytest.mark.security)


def secure_stack(kafka: Access, workdir: Path, subscriptions: str = SUBSCRIPTIONS) -> LocalStack:
    stack = LocalStack(isolated(kafka, uuid.uuid4().hex[:8]), workdir, access=kafka)
    stack.start_router()
    stack.start_worker()
    stack.wait_ready()
    (workdir / "subs.yaml").write_text(subscriptions, encoding="utf-8")
    stack.cli("subscriptions", "apply", str(workdir / "subs.yaml"), env=SECRETS)
    wanted = subscriptions.count("baseCode:")
    poll(lambda: len(stack.get_json("/subscribers")) == wanted, 30, "the subscriptions at the worker")
    return stack


@pytest.fixture(scope="module")
def shared(kafka_access: Access, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """One stack for the tests of a module that do not disturb each other."""
    stack = secure_stack(kafka_access, tmp_path_factory.mktemp("secure"))
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def own(kafka_access: Access, tmp_path: Path) -> Iterator[LocalStack]:
    """A stack of the test's own (login back-off, rotation: state other tests must not see)."""
    stack = secure_stack(kafka_access, tmp_path)
    try:
        yield stack
    finally:
        stack.stop()
