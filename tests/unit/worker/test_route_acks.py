"""The route worker's consumer counts only the route pipeline's acknowledgements: a message Faust's stream
skips (and acknowledges) around a rebalance was never routed, and must not move the committed offset."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import faust
import pytest
from aiokafka.errors import NodeNotReadyError
from faust.transport.drivers import aiokafka as driver
from faust.types import TP
from faust.types.tuples import ConsumerMessage

from wostream.config.settings import Settings
from wostream.worker.app import create_app
from wostream.worker.route import patience
from wostream.worker.route.acks import RouteConsumer


def _message(offset: int, partition: int = 0) -> ConsumerMessage:
    return ConsumerMessage("wo.events", partition, offset, 0.0, 0, None, b"T1", b"{}", None)


async def _consumer() -> RouteConsumer:
    app = create_app(Settings(kafka="127.0.0.1:1"))
    app.topics.add(app.topic("wo.events"))  # what the route agent subscribes when it starts
    await app.topics._update_indices()  # type: ignore[attr-defined]  # what its start does
    consumer = app.consumer
    assert isinstance(consumer, RouteConsumer)
    return consumer


async def test_faust_acknowledging_skipped_messages_commits_nothing_and_the_pipeline_hand_on_does() -> None:
    consumer = await _consumer()
    tp = TP("wo.events", 0)
    consumer._committed_offset[tp] = 5  # read from the group after a rebalance: offset 5 comes next
    five, six, seven = _message(5), _message(6), _message(7)

    for skipped in (five, six, seven):  # what the stream does with messages it skips
        assert skipped.ack(consumer) is False
    assert (five.acked, consumer.skipped) == (False, 3)
    assert consumer._new_offset(tp) is None  # Faust's own consumer would commit 8 here

    assert consumer.hand_on(five) is True
    assert consumer.hand_on(six) is True
    assert six.acked
    assert consumer._new_offset(tp) == 7  # 5 and 6 are routed; 7 is not


async def test_an_event_skipped_at_the_committed_offset_is_not_committed_past_before_it_is_handed_on() -> (
    None
):
    consumer = await _consumer()
    tp = TP("wo.events", 0)
    consumer._committed_offset[tp] = 5
    five, six = _message(5), _message(6)
    assert five.ack(consumer) is False  # skipped while the flow was stopped
    assert consumer.hand_on(six) is True  # routed just after it resumed
    assert consumer._new_offset(tp) is None  # Faust's one-offset tolerance would commit 7, past 5
    assert consumer.hand_on(five) is True  # read again and routed
    assert consumer._new_offset(tp) == 7


async def test_a_transaction_marker_at_the_committed_offset_is_still_passed() -> None:
    consumer = await _consumer()
    tp = TP("wo.events", 0)
    consumer._committed_offset[tp] = 5  # offset 5 is a marker: no stream ever sees it
    assert consumer.hand_on(_message(6)) is True
    assert consumer._new_offset(tp) == 7


class _Log:
    """What the log answers about a range (the real one is `LogHoles`, against the broker)."""

    def __init__(self, record: int | None) -> None:
        self.record = record
        self.asked: list[tuple[str, int, int, int]] = []

    async def first_record(self, topic: str, partition: int, first: int, last: int) -> int | None:
        self.asked.append((topic, partition, first, last))
        return self.record


async def _with_log(record: int | None) -> tuple[RouteConsumer, _Log, list[tuple[TP, int]]]:
    consumer = await _consumer()
    consumer.holes = the_log = _Log(record)  # type: ignore[assignment]
    sought: list[tuple[TP, int]] = []

    async def seek(partition: TP, offset: int) -> None:  # the consumer thread's seek, recorded
        sought.append((partition, offset))

    consumer.seek = seek  # type: ignore[method-assign]
    consumer._committed_offset[TP("wo.events", 0)] = 5
    consumer._read_order.restart({("wo.events", 0): 5})
    return consumer, the_log, sought


async def test_events_faust_skipped_are_read_again_and_not_taken_for_a_hole() -> None:
    consumer, the_log, sought = await _with_log(record=6)
    tp = TP("wo.events", 0)
    await consumer._add_gap(tp, 6, 8)  # what Faust's drain does on a jump: no longer counted as done
    assert [await consumer.admit(_message(o)) for o in (5, 8, 9)] == [True, False, False]
    assert the_log.asked == [("wo.events", 0, 6, 7)]
    assert sought == [(tp, 6)]
    assert consumer.hand_on(_message(5)) is True
    assert consumer._new_offset(tp) == 6  # nothing past what was routed
    assert [await consumer.admit(_message(o)) for o in (6, 7, 8)] == [True, True, True]  # read again


async def test_a_hole_the_log_has_is_passed_and_recorded() -> None:
    consumer, _, sought = await _with_log(record=None)
    tp = TP("wo.events", 0)
    assert await consumer.admit(_message(8)) is True  # 5-7: transaction markers
    assert sought == []
    assert consumer.hand_on(_message(8)) is True
    assert consumer._new_offset(tp) == 9


async def test_what_was_fetched_before_a_seek_of_its_partition_is_not_handed_over_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consumer = await _consumer()
    consumer.route_topics = frozenset({"wo.events"})
    p0, p1 = TP("wo.events", 0), TP("wo.events", 1)

    async def fetched(self: object, timeout: float) -> AsyncIterator[tuple[TP, ConsumerMessage]]:  # noqa: ASYNC109
        consumer._note_seek([p0])  # sought while fetching: this batch was read after it
        yield p0, _message(5)
        consumer._note_seek([p0])  # sought while the batch is handed over: the rest of p0 is stale
        yield p0, _message(6)
        yield p1, _message(7, partition=1)

    monkeypatch.setattr(driver.Consumer, "getmany", fetched)
    handed = [(tp.partition, message.offset) async for tp, message in consumer.getmany(1.0)]
    assert handed == [(0, 5), (1, 7)]


async def test_a_partition_whose_fetch_is_dropped_is_read_again_from_where_routing_expects_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consumer, _, sought = await _with_log(record=None)  # p0 started at its committed offset 5
    consumer.route_topics = frozenset({"wo.events"})
    p0, p1 = TP("wo.events", 0), TP("wo.events", 1)

    async def fetched(self: object, timeout: float) -> AsyncIterator[tuple[TP, ConsumerMessage]]:  # noqa: ASYNC109
        yield p1, _message(7, partition=1)
        consumer._note_seek([p0])  # Faust's seek to the committed offsets, while this batch is handed over
        for offset in (5, 6, 7):  # the rest of p0: dropped, though the consumer may count it read
            yield p0, _message(offset)

    monkeypatch.setattr(driver.Consumer, "getmany", fetched)
    handed = [(tp.partition, message.offset) async for tp, message in consumer.getmany(1.0)]
    assert handed == [(1, 7)]
    assert sought == [(p0, 5)], "read again from 5, once: the last events of a burst must not stand still"


async def test_what_was_refused_before_the_read_order_knew_the_start_is_read_again_after_the_seek(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consumer, _, sought = await _with_log(record=None)
    consumer.route_topics = frozenset({"wo.events"})
    p0 = TP("wo.events", 0)
    consumer._read_order.close([("wo.events", 0)])  # revoked, then assigned again at the rebalance
    monkeypatch.setattr(consumer, "assignment", lambda: {p0})

    async def faust_seek(self: RouteConsumer) -> None:
        self._committed_offset[p0] = 59  # Faust's seek to the committed offsets: read from 59 on
        assert await self.admit(_message(59)) is False  # handed over before the start is known: refused

    monkeypatch.setattr(driver.Consumer, "perform_seek", faust_seek)
    await consumer.perform_seek()
    assert sought == [(p0, 59)], "what was refused is read again: else the partition stands still (P4)"
    assert await consumer.admit(_message(59)) is True


async def test_between_a_revocation_and_the_seek_nothing_is_routed_nor_committed() -> None:
    """CI's soak lost events this way: acknowledged while Faust knew no committed offset (it pops it on
    revocation), a run of later offsets was committed past events never routed."""
    consumer, _, sought = await _with_log(record=6)
    consumer.route_topics = frozenset({"wo.events"})
    tp = TP("wo.events", 0)
    assert await consumer.admit(_message(9)) is False  # waiting for 6, then revoked:
    await consumer.on_partitions_revoked({tp})
    assert consumer._committed_offset[tp] is None
    assert [await consumer.admit(_message(o)) for o in (9, 10)] == [False, False]
    assert consumer.hand_on(_message(10)) is True  # an acknowledgement still on its way
    assert consumer._new_offset(tp) is None  # Faust's own would commit 11
    assert sought == [(tp, 6)]

    consumer._read_order.restart({("wo.events", 0): None})  # sought again: nothing was committed
    assert consumer._new_offset(tp) is None  # 0-9 are not routed
    for offset in range(10):
        consumer.hand_on(_message(offset))
    assert consumer._new_offset(tp) == 11


async def test_route_messages_are_handed_over_whatever_offset_faust_last_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Faust's fetch loop drops a message below the offset it last handed over; it sets that offset after
    the agent took a message, undoing a seek made meanwhile, and the partition's read again was dropped."""
    consumer = await _consumer()
    consumer.route_topics = frozenset({"wo.events"})
    p0, other = TP("wo.events", 0), TP("other", 0)
    consumer._read_offset[p0] = consumer._read_offset[other] = 50

    async def fetched(self: object, timeout: float) -> AsyncIterator[tuple[TP, ConsumerMessage]]:  # noqa: ASYNC109
        yield p0, _message(10)
        yield other, ConsumerMessage("other", 0, 10, 0.0, 0, None, b"k", b"{}", None)

    monkeypatch.setattr(driver.Consumer, "getmany", fetched)
    seen = []
    async for tp, message in consumer.getmany(1.0):
        seen.append((tp.topic, message.offset, consumer._read_offset[tp]))
    assert seen == [("wo.events", 10, None), ("other", 10, 50)]  # what Faust's drain compares with


async def test_a_stalled_partition_is_explained_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from wostream.worker.route.acks import explain

    consumer = await _consumer()
    p0 = TP("wo.events", 0)
    monkeypatch.setattr(consumer, "assignment", set)
    assert explain(consumer, "wo.events", 0) == "not assigned here"
    monkeypatch.setattr(consumer, "assignment", lambda: {p0})
    monkeypatch.setattr(consumer, "highwater", lambda tp: 189)
    consumer._read_order.restart({("wo.events", 0): 59})
    assert explain(consumer, "wo.events", 0) == (
        "next offset 59, read started at 59; committed None; 0 acknowledged (lowest None, highest None); "
        "skipped by Faust and not routed since none; neither paused nor fetched, highwater 189; flow on"
    )


async def test_the_route_worker_makes_and_reads_no_leader_topic() -> None:
    """Its start-up step needs the broker (it declares a topic) and wostream elects no leader."""
    app = create_app(Settings(kafka="127.0.0.1:1"))  # nothing listens: any declare would fail
    await asyncio.wait_for(app._leader_assignor.on_start(), 2)  # type: ignore[attr-defined]
    assert [t for t in app.topics if "__leader" in str(t)] == []
    assert app.consumer.randomly_assigned_topics == set()


async def test_a_changelog_declare_the_broker_does_not_take_is_tried_again_not_raised(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raised, it ended the worker's start with a traceback (a broker restarting as the worker started)."""
    app = create_app(Settings(kafka="127.0.0.1:1", app_id="ws"))
    (table,) = app.tables.values()  # ticket memory's
    answers: list[Exception | None] = [NodeNotReadyError("node 1"), None]  # the broker back on the second

    async def declare(topic: faust.Topic) -> None:
        answer = answers.pop(0)
        if answer is not None:
            raise answer

    monkeypatch.setattr(faust.Topic, "declare", declare)
    monkeypatch.setattr(patience, "RETRY", 0.01)
    await asyncio.wait_for(table.changelog_topic.declare(), 2)
    assert answers == []
    lines = [r.getMessage() for r in caplog.records if "declare" in r.getMessage()]
    assert lines == [
        "Kafka did not take the declare of ws-tickets-changelog "
        "(NodeNotReadyError('node 1')); trying again in 0 s"
    ]


async def test_fausts_producer_and_consumer_wait_for_a_broker_instead_of_raising(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Their bootstrap raised KafkaConnectionError and ended the worker when a broker restarted meanwhile."""
    app = create_app(Settings(kafka="127.0.0.1:1"))  # nothing listens
    consumer, producer = app.consumer, app.producer
    assert isinstance(consumer, RouteConsumer) and isinstance(producer, patience.PatientProducer)
    thread = consumer._new_consumer_thread()
    for starting in (producer.on_start(), thread.on_start()):
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(starting, 0.5)
    waits = [r.getMessage() for r in caplog.records if " waits: " in r.getMessage()]
    refused = "KafkaConnectionError: Unable to bootstrap from [('127.0.0.1', 1, <AddressFamily.AF_INET: 2>)]"
    assert waits == [
        f"Faust's producer waits: {refused}; trying again in 5 s",
        f"Faust's consumer waits: {refused}; trying again in 5 s",
    ]
