"""Fixtures for the integration tier: one real broker per test session, one stack per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from wostream.dev.local import LocalStack, isolated
from wostream.dev.stack import Kafka, free_port

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything here talks to real processes: `-m integration` selects it, plain pytest skips it."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real single-node KRaft broker, or the one named by WOSTREAM_TEST_KAFKA."""
    reuse = os.environ.get("WOSTREAM_TEST_KAFKA")
    if reuse:
        yield reuse
        return
    broker = Kafka(tmp_path_factory.mktemp("kafka"), port=free_port(), controller_port=free_port())
    try:
        broker.start()
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture
def stack(kafka_bootstrap: str, tmp_path: Path) -> Iterator[LocalStack]:
    s = LocalStack(isolated(kafka_bootstrap, uuid.uuid4().hex[:8]), tmp_path)
    try:
        yield s
    finally:
        s.stop()
