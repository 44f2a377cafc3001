from __future__ import annotations

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from wostream.worker.delivery.lanes import Lane, Record


def rec(offset: int, ticket: str) -> Record:
    return ConsumerRecord("wo.push.S", 0, offset, 0, 0, ticket.encode(), b"{}", None, 0, 0, [])


def lane_with(*records: tuple[int, str]) -> Lane:
    lane = Lane(TopicPartition("wo.push.S", 0), "S")
    lane.queue.extend(rec(o, t) for o, t in records)
    return lane


def test_records_go_to_one_chain_per_ticket_in_offset_order() -> None:
    lane = lane_with((10, "A"), (11, "B"), (12, "A"))
    assert [lane.take(16) for _ in range(4)] == [("A", True), ("B", True), ("A", False), None]
    assert [r.offset for r in lane.chains["A"]] == [10, 12]
    assert lane.load == 3 and lane.next_offset == 13


def test_commit_position_never_passes_an_unfinished_record() -> None:
    lane = lane_with((10, "A"), (11, "B"), (12, "C"))
    assert lane.done is None
    while lane.take(16):
        pass
    assert lane.done == 10
    assert lane.finish("B") is True  # B (offset 11) done first: 10 still open
    assert lane.done == 10
    assert lane.finish("A") is True
    assert lane.done == 12
    assert lane.finish("C") is True
    assert lane.done == 13 and lane.chains == {} and lane.load == 0


def test_a_new_ticket_waits_when_the_partition_has_enough_in_flight() -> None:
    lane = lane_with((1, "A"), (2, "B"), (3, "A"), (4, "C"))
    assert lane.take(2) == ("A", True)
    assert lane.take(2) == ("B", True)
    assert lane.take(2) == ("A", False), "a busy ticket may always queue behind itself"
    assert lane.take(2) is None, "C waits for a free slot"
    assert lane.finish("B") is True
    assert lane.take(2) == ("C", True)


def test_finish_keeps_the_chain_while_it_has_records() -> None:
    lane = lane_with((1, "A"), (2, "A"))
    lane.take(4)
    lane.take(4)
    assert lane.finish("A") is False and [r.offset for r in lane.chains["A"]] == [2]


def test_breaker_trips_on_failures_and_on_refusals_across_tickets_not_one_poison_ticket() -> None:
    from wostream.core.outcomes import Failed, Refused
    from wostream.worker.delivery.lanes import Breaker

    b = Breaker()
    for _ in range(5):
        b.observe(Refused("no"), "poison")
    assert not b.failing, "one ticket refused again and again: the subscriber itself is fine"
    b.observe(Refused("no"), "t2")
    b.observe(Refused("no"), "t3")
    assert b.failing, "refusals spanning three tickets: the subscriber is failing"
    b.observe(None, "t4")
    assert not b.failing and b.refused_tickets == set()
    b.observe(Failed("no answer within 1000 ms"), "t5")
    assert b.failing


def _rec(offset: int, ticket: str, size: int = 10, resync: bool = False) -> Record:
    headers = [("resync", b"1")] if resync else []
    return ConsumerRecord("t", 0, offset, 0, 0, ticket.encode(), b"x" * size, None, 0, size, headers)


def test_a_batch_takes_consecutive_records_within_its_bounds() -> None:
    lane = Lane(TopicPartition("t", 0), "A")
    lane.queue.extend(_rec(n, f"T{n % 3}") for n in range(10))
    batch = lane.take_batch(4, 1000)
    assert [r.offset for r in batch] == [0, 1, 2, 3]
    assert lane.done == 0 and lane.next_offset == 4
    lane.finish_batch(batch)
    assert lane.done == 4
    assert [r.offset for r in lane.take_batch(100, 25)] == [4, 5], "25 bytes hold two 10-byte records"


def test_a_batch_holds_one_record_over_the_byte_bound_and_never_mixes_resync() -> None:
    lane = Lane(TopicPartition("t", 0), "A")
    lane.queue.extend(
        [_rec(0, "T", 5000), _rec(1, "T"), _rec(2, "T", resync=True), _rec(3, "U", resync=True)]
    )
    assert [r.offset for r in lane.take_batch(10, 100)] == [0]
    assert [r.offset for r in lane.take_batch(10, 100)] == [1]
    assert [r.offset for r in lane.take_batch(10, 100)] == [2, 3]


def test_no_batch_while_chains_run_they_came_first() -> None:
    lane = Lane(TopicPartition("t", 0), "A")
    lane.queue.extend(_rec(n, "T") for n in range(3))
    assert lane.take(16) == ("T", True)
    assert lane.take_batch(10, 1000) == []
