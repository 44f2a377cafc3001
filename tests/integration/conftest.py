"""Fixtures for the integration tier: one real broker per test session, one stack per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.harness import Stack
from wostream.stack import Kafka, free_port


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
def stack(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Stack]:
    s = Stack(kafka_bootstrap, tmp_path)
    try:
        yield s
    finally:
        s.stop()
