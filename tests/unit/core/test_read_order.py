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
    assert _judge(order, Q, [0, 1]) == [Route(), Route()]  # nothing committed: from the log's start


def test_with_nothing_committed_where_the_log_starts_is_asked_not_taken_from_the_first_event_read() -> None:
    order = ReadOrder()
    order.restart({Q: None})
    assert _judge(order, Q, [7]) == [Jump(0, 6)]
    assert order.settle(Q, 7, record=None, read=order.reads[Q]) == Route(hole=(0, 6))  # retention removed 0-6
    order.restart({Q: None})
    assert _judge(order, Q, [7]) == [Jump(0, 6)]
    assert order.settle(Q, 7, record=3, read=order.reads[Q]) == Refuse(seek=3, hole=(0, 2))


def test_records_faust_skipped_are_waited_for_and_read_again_in_order() -> None:
    order = ReadOrder()
    order.restart({P: 10, Q: 3})
    assert _judge(order, P, [10, 11, 14]) == [Route(), Route(), Jump(12, 13)]
    # the log has 12: read again from there
    assert order.settle(P, 14, record=12, read=order.reads[P]) == Refuse(seek=12)
    assert _judge(order, P, [15, 16]) == [Refuse(), Refuse()]  # the rest of the read before
    assert _judge(order, Q, [3]) == [Route()]  # another partition is not held up
    assert _judge(order, P, [12, 13, 14, 15]) == [Route()] * 4  # read again, in order


def test_a_read_again_that_skips_the_record_again_is_read_again_a_bounded_number_of_times() -> None:
    order = ReadOrder()
    order.restart({P: 10})
    assert _judge(order, P, [20]) == [Jump(10, 19)]
    assert order.settle(P, 20, record=10, read=order.reads[P]) == Refuse(seek=10)
    verdicts = _judge(order, P, [21, 22] + [15] * SEEKS)  # each new read starts past 10 again
    assert verdicts == [Refuse(), Refuse()] + [Refuse(seek=10)] * (SEEKS - 1) + [Refuse()]
    order.restart({P: 10})  # a rebalance: sought to the committed offset, awaited afresh
    assert _judge(order, P, [10]) == [Route()]


def test_a_hole_the_log_has_is_passed_and_named() -> None:
    order = ReadOrder()
    order.restart({P: 10})
    assert _judge(order, P, [12]) == [Jump(10, 11)]  # 10, 11: transaction markers
    assert order.settle(P, 12, record=None, read=order.reads[P]) == Route(hole=(10, 11))
    assert _judge(order, P, [13, 14]) == [Route(), Route()]
    assert _judge(order, P, [18]) == [Jump(15, 17)]  # 15: a marker, 16 a record Faust skipped
    assert order.settle(P, 18, record=16, read=order.reads[P]) == Refuse(seek=16, hole=(15, 15))
    assert _judge(order, P, [16, 17, 18]) == [Route()] * 3


def test_events_routed_before_and_read_again_are_routed_again_and_do_not_move_the_order_back() -> None:
    order = ReadOrder()
    order.restart({P: 10})
    assert _judge(order, P, [10, 11, 12, 10, 11, 13]) == [Route()] * 6
    assert _judge(order, P, [15]) == [Jump(14, 14)]


def test_a_revoked_partition_routes_nothing_until_it_is_sought_again() -> None:
    """What lost events in CI's soak: waiting for a skipped record, the partition was revoked, an event read
    before the rebalance was routed as if the partition started there, and committed past the record."""
    order = ReadOrder()
    order.restart({P: 10, Q: 3})
    assert _judge(order, P, [14]) == [Jump(10, 13)]
    assert order.settle(P, 14, record=10, read=order.reads[P]) == Refuse(seek=10)
    order.close([P])
    assert _judge(order, P, [15, 16, 10]) == [Refuse()] * 3  # nothing routed, nothing sought
    assert _judge(order, Q, [3]) == [Route()]  # a partition kept is not held up
    order.restart({P: 10})
    assert _judge(order, P, [10, 11]) == [Route(), Route()]


def test_what_the_log_said_about_a_read_that_is_over_is_not_used() -> None:
    order = ReadOrder()
    order.restart({P: 10})
    assert _judge(order, P, [14]) == [Jump(10, 13)]
    read = order.reads[P]
    order.restart({P: 8})  # a rebalance while the log was asked: sought to the committed offset 8
    assert order.settle(P, 14, record=10, read=read) == Refuse()  # not "wait for 10": 8 and 9 come first
    assert _judge(order, P, [8, 9, 10]) == [Route()] * 3
    order.close([P])
    assert order.settle(P, 14, record=None, read=order.reads[P] - 1) == Refuse()


def test_a_stalled_partition_is_described_as_the_read_order_sees_it() -> None:
    order = ReadOrder()
    assert order.describe(P) == "revoked or not sought yet (reads 0)"
    order.restart({P: 10})
    assert order.describe(P) == "next offset 10, read started at 10"
    assert _judge(order, P, [14]) == [Jump(10, 13)]
    order.settle(P, 14, record=10, read=order.reads[P])
    assert order.describe(P) == "next offset 10, read started at 10, waiting for 10 (read again 1 times)"
