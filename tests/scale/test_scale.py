"""Cost grows gently with the number of subscribers: applied in seconds, a handful of rebalances, workers
ready throughout, an event for all reaching every topic and every online subscriber. A small version runs in
the test command; `-m scale` runs it with 1 000 subscribers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from workshop.access import Access
from workshop.local import LocalStack, isolated
from workshop.scale import Figures, run

pytestmark = pytest.mark.integration


@pytest.fixture
def two_workers(kafka_access: Access, tmp_path: Path) -> Iterator[LocalStack]:
    # push topics at the deployment default (1 partition): what an operator with many subscribers runs
    settings = isolated(kafka_access, uuid.uuid4().hex[:8], push_partitions=1)
    stack = LocalStack(settings, tmp_path, access=kafka_access)
    try:
        stack.start_cluster(workers=2)
        yield stack
    finally:
        stack.stop()


def check(stack: LocalStack, figures: Figures, apply_limit: float) -> None:
    print("\nSCALE " + "\n".join(figures.lines()))
    n = figures.subscribers
    assert figures.apply_s <= apply_limit, f"apply took {figures.apply_s:.1f} s"
    assert figures.reapply_s <= 5.0 and f"{n} unchanged; 0 published" in figures.reapply_output
    assert figures.not_ready == [], "a worker was not ready during the run"
    assert figures.rebalances <= 10, f"{figures.rebalances} delivery rebalances"
    assert figures.copies_on_topics == n, "the event for all on every push topic"
    assert all(got >= 1 for got in figures.online_received.values()), figures.online_received
    assert all(worker.alive() for worker in stack.workers.values())


def test_fifty_subscribers_in_the_test_command(two_workers: LocalStack) -> None:
    check(two_workers, run(two_workers, 50), apply_limit=30.0)


@pytest.mark.scale
def test_a_thousand_subscribers(two_workers: LocalStack) -> None:
    check(two_workers, run(two_workers, 1000), apply_limit=30.0)
