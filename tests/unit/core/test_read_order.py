"""The read-order judge: a partition's events are routed in log order without holes. An event beyond the
next expected one is routed only if the log has no record in between; otherwise the partition waits for the
first record it skipped and is read again from it, a bounded number of times."""

from __future__ import annotations

from wostream.core.read_order import SEEKS, Jump, ReadOrder, Refuse, Route

P = ("wo.events", 0)
Q = ("wo.events", 1)


def _judge(order: ReadOrder, partition: tuple[str, int], offsets: list[int]) -> list[object]:
    return [order.judge(partition, offset) for offset in offsets]


def test_events_in_order_are_routed_from_the_committed_offset() -> None:
    order = ReadOrder()
    order.restart({P: 10, Q: None})
    assert _judge(order, P, [10, 11, 12]) == [Route(), Route(), Route()]
    assert _judge(order, Q, [7, 8]) == [Route(), Route()]  # nothing committed: the first read starts it


def test_records_faust_skipped_are_waited_for_and_read_again_in_order() -> None:
    order = ReadOrder()
    order.restart({P: 10})
    assert _judge(order, P, [10, 11, 14]) == [Route(), Route(), Jump(12, 13)]
    assert order.settle(P, 14, record=12) == Refuse(seek=12)  # the log has 12: read again from there
    assert _judge(order, P, [15, 16]) == [Refuse(), Refuse()]  # the rest of the read before
    assert _judge(order, Q, [3]) == [Route()]  # another partition is not held up
    assert _judge(order, P, [12, 13, 14, 15]) == [Route()] * 4  # read again, in order


def test_a_read_again_that_skips_the_record_again_is_read_again_a_bounded_number_of_times() -> None:
    order = ReadOrder()
    order.restart({P: 10})
    assert _judge(order, P, [20]) == [Jump(10, 19)]
    assert order.settle(P, 20, record=10) == Refuse(seek=10)
    verdicts = _judge(order, P, [21, 22] + [15] * SEEKS)  # each new read starts past 10 again
    assert verdicts == [Refuse(), Refuse()] + [Refuse(seek=10)] * (SEEKS - 1) + [Refuse()]
    order.restart({P: 10})  # a rebalance: sought to the committed offset, awaited afresh
    assert _judge(order, P, [10]) == [Route()]


def test_a_hole_the_log_has_is_passed_and_named() -> None:
    order = ReadOrder()
    order.restart({P: 10})
    assert _judge(order, P, [12]) == [Jump(10, 11)]  # 10, 11: transaction markers
    assert order.settle(P, 12, record=None) == Route(hole=(10, 11))
    assert _judge(order, P, [13, 14]) == [Route(), Route()]
    assert _judge(order, P, [18]) == [Jump(15, 17)]  # 15: a marker, 16 a record Faust skipped
    assert order.settle(P, 18, record=16) == Refuse(seek=16, hole=(15, 15))
    assert _judge(order, P, [16, 17, 18]) == [Route()] * 3


def test_events_routed_before_and_read_again_are_routed_again_and_do_not_move_the_order_back() -> None:
    order = ReadOrder()
    order.restart({P: 10})
    assert _judge(order, P, [10, 11, 12, 10, 11, 13]) == [Route()] * 6
    assert _judge(order, P, [15]) == [Jump(14, 14)]
