"""The stall judge: only a partition with events waiting and a committed offset that has not moved for the
limit is stalled; progress, catching up or leaving the watch resets it."""

from __future__ import annotations

from wostream.core.progress import Progress, Stall, describe

RAW = ("wo.events", 1)
OTHER = ("wo.events", 2)


def test_waiting_events_and_no_progress_for_the_limit_is_a_stall() -> None:
    p = Progress()
    assert p.stalled({RAW: (100, 150), OTHER: (7, 7)}, now=0.0, limit=30) == []
    assert p.stalled({RAW: (100, 160), OTHER: (7, 7)}, now=29.0, limit=30) == []
    stalled = p.stalled({RAW: (100, 170), OTHER: (7, 7)}, now=30.0, limit=30)
    assert stalled == [Stall("wo.events", 1, 70, 30.0)]


def test_progress_or_catching_up_resets_the_clock() -> None:
    p = Progress()
    p.stalled({RAW: (100, 150)}, now=0.0, limit=30)
    assert p.stalled({RAW: (101, 150)}, now=29.0, limit=30) == []  # moved
    assert p.stalled({RAW: (101, 150)}, now=58.0, limit=30) == []  # 29 s since it moved
    assert p.stalled({RAW: (150, 150)}, now=100.0, limit=30) == []  # caught up: idle is not stalled
    # an event arrives: the clock runs from when it was last seen caught up
    assert p.stalled({RAW: (150, 151)}, now=120.0, limit=30) == []
    assert p.stalled({RAW: (150, 151)}, now=130.0, limit=30) == [Stall("wo.events", 1, 1, 30.0)]


def test_a_partition_no_longer_watched_is_forgotten_and_nothing_committed_counts_from_the_start() -> None:
    p = Progress()
    p.stalled({RAW: (100, 150)}, now=0.0, limit=30)
    p.stalled({}, now=10.0, limit=30)  # revoked
    assert p.stalled({RAW: (100, 150)}, now=35.0, limit=30) == []  # assigned again: watched afresh
    assert p.stalled({OTHER: (-1, 40)}, now=0.0, limit=30) == []
    assert p.stalled({OTHER: (-1, 40)}, now=31.0, limit=30) == [Stall("wo.events", 2, 40, 31.0)]


def test_an_empty_partition_nothing_was_ever_committed_on_is_never_stalled() -> None:
    p = Progress()
    assert p.stalled({RAW: (-1, 0)}, now=0.0, limit=30) == []
    assert p.stalled({RAW: (-1, 0)}, now=3600.0, limit=30) == []
    # an event arrives: the clock runs from when it was last seen caught up
    assert p.stalled({RAW: (-1, 1)}, now=3601.0, limit=30) == []
    assert p.stalled({RAW: (-1, 1)}, now=3630.0, limit=30) == [Stall("wo.events", 1, 1, 30.0)]


def test_the_line_names_each_partition() -> None:
    assert describe([Stall("wo.events", 1, 70, 30.4), Stall("wo.events.by-ticket", 0, 3, 61)]) == (
        "routing stalled: no progress on wo.events[1] 70 waiting for 30 s, wo.events.by-ticket[0] 3 waiting "
        "for 61 s (a restart reassigns them)"
    )
