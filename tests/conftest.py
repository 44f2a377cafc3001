"""Shared by every tier that talks to real processes: one real Kafka broker per test session, secured as
production clusters are (SASL_SSL with SCRAM, TLS, ACLs): every stack reaches it as principals of its own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from workshop.access import Access
from workshop.kafka import Kafka
from workshop.stack import free_port


@pytest.fixture(scope="session")
def kafka_access(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Access]:
    """A real single-node KRaft broker, or the one whose access.json WOSTREAM_TEST_KAFKA names."""
    reuse = os.environ.get("WOSTREAM_TEST_KAFKA")
    if reuse:
        yield Access.load(Path(reuse))
        return
    broker = Kafka(tmp_path_factory.mktemp("kafka"), port=free_port(), controller_port=free_port())
    try:
        broker.start()
        yield broker.access()
    finally:
        broker.stop()
