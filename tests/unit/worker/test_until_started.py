"""A Kafka client whose broker goes away while it starts (after admission) is started again once the broker
is back: /health says why meanwhile, and the worker does not exit with a traceback (it did, in a soak whose
broker restart met a restarted worker)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from aiokafka.errors import NodeNotReadyError

import wostream.worker.node as node_module
from wostream.worker.node import until_started


def test_a_client_the_broker_drops_while_starting_is_undone_said_and_started_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(node_module, "START_RETRY", 0.0)
    node = SimpleNamespace(refused=None)
    calls: list[str] = []
    said: list[str | None] = []

    async def start() -> None:
        calls.append("start")
        said.append(node.refused)
        if calls.count("start") < 3:
            raise NodeNotReadyError("Attempt to send a request to node which is not ready (node id 1).")

    async def undo() -> None:
        calls.append("undo")

    asyncio.run(until_started(node, "config feed", start, undo))  # type: ignore[arg-type]
    assert calls == ["start", "undo", "start", "undo", "start"]
    assert said[1] == (
        "Kafka went away while the config feed started (NodeNotReadyError: Attempt to send a request to "
        "node which is not ready (node id 1).)"
    )
    assert node.refused is None  # started: /health no longer names it


def test_anything_but_the_broker_going_away_is_not_waited_out() -> None:
    node = SimpleNamespace(refused=None)

    async def start() -> None:
        raise ValueError("a bug")

    async def undo() -> None:
        raise AssertionError("not undone: the error goes up")

    with pytest.raises(ValueError, match="a bug"):
        asyncio.run(until_started(node, "producer", start, undo))  # type: ignore[arg-type]
