"""The read-order judge: a partition's events are routed in log order without holes; an event beyond the
next expected one makes the partition be read again from there, and only a hole the log itself has (seen
again on the read again) is passed."""

from __future__ import annotations

from wostream.core.read_order import ReadAgain, ReadOrder, Route

P = ("wo.events", 0)
Q = ("wo.events", 1)


def _judge(order: ReadOrder, partition: tuple[str, int], offsets: list[int]) -> list[object]:
    return [order.judge(partition, offset) for offset in offsets]


def test_events_in_order_are_routed_from_the_committed_offset() -> None:
    order = ReadOrder()
    order.restart({P: 10, Q: None})
    assert _judge(order, P, [10, 11, 12]) == [Route(), Route(), Route()]
    assert _judge(order, Q, [7, 8]) == [Route(), Route()]  # nothing committed: the first read starts it


def test_an_event_beyond_the_next_one_is_refused_and_the_partition_read_again_from_there() -> None:
    order = ReadOrder()
    order.restart({P: 10})
    assert _judge(order, P, [10, 11]) == [Route(), Route()]
    # 12 and 13 were dropped on the way: 14 must wait for them
    assert _judge(order, P, [14, 15, 16]) == [ReadAgain(12), ReadAgain(None), ReadAgain(None)]
    assert _judge(order, P, [12, 13, 14, 15]) == [Route(), Route(), Route(), Route()]  # read again
    assert _judge(order, Q, [3]) == [Route()]  # another partition is not held up


def test_a_hole_the_log_has_is_passed_once_the_read_again_shows_it_and_named() -> None:
    order = ReadOrder()
    order.restart({P: 10})
    assert _judge(order, P, [12, 13]) == [ReadAgain(10), ReadAgain(None)]  # 10, 11: transaction markers
    assert _judge(order, P, [12]) == [Route(hole=(10, 11))]  # the read again starts at 12 too
    assert _judge(order, P, [13, 14]) == [Route(), Route()]


def test_events_routed_before_and_read_again_are_routed_again_and_do_not_move_the_order_back() -> None:
    order = ReadOrder()
    order.restart({P: 10})
    assert _judge(order, P, [10, 11, 12, 10, 11, 13]) == [Route()] * 6
    assert _judge(order, P, [15]) == [ReadAgain(14)]
    assert _judge(order, P, [12]) == [Route()]  # a duplicate while waiting: harmless, still waiting
    assert _judge(order, P, [16, 14]) == [ReadAgain(None), Route()]


def test_a_seek_forgets_what_was_awaited() -> None:
    order = ReadOrder()
    order.restart({P: 10})
    assert _judge(order, P, [12]) == [ReadAgain(10)]
    order.restart({P: 20})  # a rebalance: sought to the committed offset
    assert _judge(order, P, [20, 21]) == [Route(), Route()]
