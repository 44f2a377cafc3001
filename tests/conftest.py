"""Shared by every tier that talks to real processes: one real Kafka broker per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from workshop.stack import Kafka, free_port


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
