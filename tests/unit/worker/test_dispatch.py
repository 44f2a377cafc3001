"""A revoked lane: the push on the wire may finish, nothing after it is pushed by this worker."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from wostream.config.settings import Settings
from wostream.worker.delivery.dispatch import Dispatcher
from wostream.worker.delivery.lanes import Lane, Record


def rec(offset: int, ticket: str) -> Record:
    return ConsumerRecord("wo.push.S", 0, offset, 0, 0, ticket.encode(), b"{}", None, 0, 0, [])


class Directory:
    def callback_for(self, base_code: str) -> None:
        return None


class Single:
    """Pushes that wait until released; records which offsets were pushed."""

    class settler:  # what batched delivery takes from it; not used here
        memory = None

    def __init__(self) -> None:
        self.pushed: list[int] = []
        self.on_wire = asyncio.Event()
        self.release = asyncio.Event()

    async def deliver(self, lane: Lane, record: Record) -> None:
        lane.pushing.add("A")
        self.pushed.append(record.offset)
        self.on_wire.set()
        try:
            await self.release.wait()
        finally:
            lane.pushing.discard("A")


class Nothing:
    def sync_pause(self, lane: Lane) -> None: ...

    def watch(self, name: str, task: asyncio.Task[None]) -> None: ...


async def test_a_revoked_chain_finishes_its_push_on_the_wire_and_pushes_nothing_after_it() -> None:
    single = Single()
    stats: Any = None
    dispatcher = Dispatcher(Settings(), Directory(), single, stats, Nothing(), Nothing())  # type: ignore[arg-type]
    lane = dispatcher.open(TopicPartition("wo.push.S", 0), "S")
    lane.queue.extend([rec(10, "A"), rec(11, "A"), rec(12, "A")])
    lane.wake.set()
    await asyncio.wait_for(single.on_wire.wait(), 5)
    assert [r.offset for r in lane.chains["A"]] == [10, 11, 12]  # dispatched before the chain ran

    closing = asyncio.create_task(dispatcher.close([lane]))
    await asyncio.sleep(0.05)
    single.release.set()  # the push of offset 10 is answered within the grace
    await asyncio.wait_for(closing, 5)

    assert single.pushed == [10], "offsets 11 and 12 belong to the partition's next owner"
    assert lane.done == 11, "what is committed on revoke: 10 is done, 11 is not"


class Watching(Directory):
    def watch(self, watcher: object) -> None: ...


class SlowCommits:
    """A consumer whose commit is answered while the lane moves on (a broker slow to answer)."""

    def __init__(self, lane: Lane) -> None:
        self.lane = lane
        self.committed: list[int] = []

    async def commit(self, offsets: dict[TopicPartition, Any]) -> None:
        self.committed += [meta.offset for meta in offsets.values()]
        self.lane.outstanding.clear()
        self.lane.next_offset = 20  # finished meanwhile


async def test_a_lane_remembers_the_offset_that_was_committed_not_where_it_got_to_meanwhile() -> None:
    from wostream.worker.delivery.group import DeliveryGroup

    group = DeliveryGroup(Settings(), Watching(), Single(), None, Nothing())  # type: ignore[arg-type]
    lane = Lane(TopicPartition("wo.push.S", 0), "S", next_offset=12)
    lane.outstanding[10] = None
    consumer = SlowCommits(lane)
    group._consumer = consumer
    await group._commit([lane])
    assert lane.committed == 10
    await group._commit([lane])
    assert consumer.committed == [10, 20], "offset 20 was never committed: the next commit must send it"
