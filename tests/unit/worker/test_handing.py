"""The route pipeline's handing-on: after a failed write, nothing newer is written before the older chunks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from wostream.records.writes import Write
from wostream.worker.route import handing
from wostream.worker.route.handing import Chunk, Handing


@dataclass
class Raw:
    source: str
    event: str


@dataclass
class Item:
    raw: Raw
    writes: list[Write]


def chunk(name: str, acked: list[str]) -> Chunk:
    write = Write("wo.push.S", b"T1", name.encode(), [])
    return Chunk([Item(Raw(f"raw:0:{name}", name), [write])], acked.append)


@dataclass
class Broker:
    """Writes as the producer queues them: one future each, settled by the test."""

    written: list[str] = field(default_factory=list)
    futures: list[asyncio.Future[Any]] = field(default_factory=list)

    async def send(self, writes: list[Write]) -> list[asyncio.Future[Any]]:
        self.written += [w.value.decode() for w in writes]
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.futures.append(future)
        return [future]


async def _refused(chunk: Chunk) -> None:
    raise AssertionError("no write here is refused for good")


async def test_chunks_read_after_a_failed_write_are_written_only_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(handing, "RETRY_PAUSE", 0.01)
    broker, acked = Broker(), list[str]()
    hand = Handing(broker.send, _refused, lambda item: None, limit=100)
    runner = asyncio.create_task(hand.run())
    try:
        await hand.add(chunk("A", acked))
        await hand.add(chunk("B", acked))
        broker.futures[0].set_exception(ConnectionError("broker away"))  # A failed...
        broker.futures[1].set_exception(ConnectionError("broker away"))  # ...and B behind it
        await asyncio.sleep(0)
        assert hand.held
        await hand.add(chunk("C", acked))  # read meanwhile (the producer renewed, say)
        assert broker.written == ["A", "B"], "C is held: written now, it could land before A"
        await _settle(broker, 3)  # A written again
        await _settle(broker, 4)  # then B
        await _settle(broker, 5)  # only then C
        assert broker.written == ["A", "B", "A", "B", "C"]
        await _until(lambda: acked == ["A", "B", "C"])
        assert not hand.held
        await hand.add(chunk("D", acked))
        assert broker.written[-1] == "D", "the hold is over: written at once"
    finally:
        runner.cancel()


async def test_without_failures_every_chunk_is_written_at_once_and_acknowledged_in_order() -> None:
    broker, acked = Broker(), list[str]()
    hand = Handing(broker.send, _refused, lambda item: None, limit=100)
    runner = asyncio.create_task(hand.run())
    try:
        for name in "ABC":
            await hand.add(chunk(name, acked))
        assert broker.written == ["A", "B", "C"]
        broker.futures[2].set_result(None)
        broker.futures[1].set_result(None)
        await asyncio.sleep(0.01)
        assert acked == [], "C and B are confirmed, but A is not"
        broker.futures[0].set_result(None)
        await _until(lambda: acked == ["A", "B", "C"])
    finally:
        runner.cancel()


async def _settle(broker: Broker, writes: int) -> None:
    """Wait for the `writes`-th write, then confirm it."""
    await _until(lambda: len(broker.futures) >= writes)
    broker.futures[writes - 1].set_result(None)


async def _until(condition: Any) -> None:
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110  (a test's bounded poll)
            await asyncio.sleep(0.005)


async def test_a_write_that_fails_to_even_be_queued_holds_the_next_chunk_at_once() -> None:
    acked: list[str] = []
    written: list[str] = []

    async def refusing_once(writes: list[Write]) -> list[asyncio.Future[Any]]:
        written.extend(w.value.decode() for w in writes)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.set_exception(ConnectionError("metadata unknown")) if len(written) == 1 else future.set_result(
            None
        )
        return [future]

    hand = Handing(refusing_once, _refused, lambda item: None, limit=100)
    await hand.add(chunk("A", acked))
    await hand.add(chunk("B", acked))  # no turn of the loop in between
    assert written == ["A"] and hand.held
