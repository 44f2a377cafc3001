"""The container tier: the stack's router, worker, CLI and subscriber run from the images (scripts/image.sh
builds them; scripts/test.sh runs it). Kafka stays on the machine."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from workshop.access import Access
from workshop.containers import ContainerStack, assert_images
from workshop.local import isolated

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.integration)
            item.add_marker(pytest.mark.containers)


@pytest.fixture
def containers(kafka_access: Access, tmp_path: Path) -> Iterator[ContainerStack]:
    assert_images()
    stack = ContainerStack(isolated(kafka_access, uuid.uuid4().hex[:8]), tmp_path, access=kafka_access)
    try:
        yield stack
    finally:
        stack.stop()
