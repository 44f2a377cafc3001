"""The read-order judge: a partition's events are routed in log order without holes; an event beyond the
next expected one is routed only if the log has nothing in between, else its partition is held until it is
read again (a rebalance's seek)."""

from __future__ import annotations

from wostream.core.read_order import Held, Jump, ReadOrder, Route

P = ("wo.events", 0)
Q = ("wo.events", 1)


def _judge(order: ReadOrder, partition: tuple[str, int], offsets: list[int]) -> list[object]:
    return [order.judge(partition, offset) for offset in offsets]


def test_events_in_order_are_routed_from_the_committed_offset() -> None:
    order = ReadOrder()
    order.restart({P: 10, Q: None})
    assert _judge(order, P, [10, 11, 12]) == [Route(), Route(), Route()]
    assert _judge(order, Q, [7, 8]) == [Route(), Route()]  # nothing committed: the first read starts it


def test_events_faust_skipped_hold_the_partition_until_it_is_read_again() -> None:
    order = ReadOrder()
    order.restart({P: 10})
    assert _judge(order, P, [10, 11, 14]) == [Route(), Route(), Jump(12, 13)]
    assert order.settle(P, 14, hole=False) == Held(12)  # the log has events at 12 and 13
    assert _judge(order, P, [15, 12]) == [Held(12), Held(12)]  # nothing of P, even what was skipped
    assert _judge(order, Q, [3]) == [Route()]  # another partition is not held up
    order.restart({P: 12})  # the rebalance's seek to the committed offset
    assert _judge(order, P, [12, 13, 14]) == [Route(), Route(), Route()]


def test_a_hole_the_log_has_is_passed() -> None:
    order = ReadOrder()
    order.restart({P: 10})
    assert _judge(order, P, [12]) == [Jump(10, 11)]  # 10, 11: transaction markers
    assert order.settle(P, 12, hole=True) == Route()
    assert _judge(order, P, [13, 14]) == [Route(), Route()]


def test_events_routed_before_and_read_again_are_routed_again_and_do_not_move_the_order_back() -> None:
    order = ReadOrder()
    order.restart({P: 10})
    assert _judge(order, P, [10, 11, 12, 10, 11, 13]) == [Route()] * 6
    assert _judge(order, P, [15]) == [Jump(14, 14)]
