"""Fixtures for the integration tier: one stack per test (the broker is shared: tests/conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from workshop.access import Access
from workshop.local import LocalStack, isolated

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything here talks to real processes: `-m integration` selects it, plain pytest skips it."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def stack(kafka_access: Access, tmp_path: Path) -> Iterator[LocalStack]:
    s = LocalStack(isolated(kafka_access, uuid.uuid4().hex[:8]), tmp_path, access=kafka_access)
    try:
        yield s
    finally:
        s.stop()
