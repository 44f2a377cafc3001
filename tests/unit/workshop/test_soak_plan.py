"""The soak's pure parts: the fault schedule, the offered events and the receipts the checker reads."""

from __future__ import annotations

import json
from collections import Counter

from workshop.soak.faults import schedule
from workshop.soak.receipts import receipts
from workshop.soak.run import POPULATION, ROLES, SMOKE, Plan, offered_events
from workshop.workload import LIFECYCLE


def test_the_full_plan_has_every_fault_the_issue_names_spread_over_the_offering() -> None:
    plan = schedule(Plan(), 100.0)
    names = Counter(name for _, name in plan.faults)
    assert names == {
        "kill w1": 2,
        "kill w2": 1,
        "disconnect": 5,
        "router restart": 1,
        "broker restart": 1,
        "late subscriber connects": 1,
    }
    times = [at for at, _ in plan.faults]
    assert times == sorted(times) and times[0] > 0 and times[-1] < 100.0
    kills = [at for at, name in plan.faults if name.startswith("kill")]
    assert kills == [15.0, 50.0, 85.0]  # w1, w2, w1: a worker is killed while the other restarts
    assert str(plan).startswith("faults: ")


def test_the_smoke_plan_kills_a_worker_of_each_role_disconnects_and_restarts_both_servers() -> None:
    faults = schedule(SMOKE, 10.0).faults
    names = {name for _, name in faults}
    assert {"kill w1", "kill w2", "disconnect", "router restart", "broker restart"} <= names
    assert (ROLES["w1"], ROLES["w2"]) == ("route", "deliver")
    broker, deliver = (at for at, name in faults if name in ("broker restart", "kill w2"))
    assert 0 < deliver - broker < 4.0, "the deliver worker dies while the broker's restart still settles"


def test_offered_events_are_whole_interleaved_ticket_lives_cut_at_n() -> None:
    events = offered_events(2 * 200 * len(LIFECYCLE) + 7)
    assert len(events) == 2 * 200 * len(LIFECYCLE) + 7
    by_ticket: dict[str, list[int]] = {}
    for event in events:
        by_ticket.setdefault(event["data"]["serviceOrderId"], []).append(int(event["data"]["seq"]))
    assert all(seqs == sorted(seqs) for seqs in by_ticket.values())
    assert events[0]["data"]["serviceOrderId"] != events[1]["data"]["serviceOrderId"]  # interleaved
    assert len({e["eventId"] for e in events}) == len(events)


def test_population_has_at_least_five_kinds_with_distinct_behaviours() -> None:
    assert len(POPULATION) >= 5
    assert [k.base_code for k in POPULATION if k.late] and [k.base_code for k in POPULATION if k.flaky]
    assert any("--refuse" in k.flags for k in POPULATION) and any("--delay" in k.flags for k in POPULATION)
    entry = next(k for k in POPULATION if k.communities).entry()
    assert entry["scope"] == {"organIds": [], "communityIds": ["139912543382896"]}
    assert entry["secret"] == "${SOAK_SECRET}"


def test_receipts_read_the_reference_subscribers_lines() -> None:
    data = json.dumps({"serviceOrderId": "S1", "seq": "3"})
    lines = [
        {"context": {"eventId": "S1-3", "attempt": "2"}, "receivedAt": 5.5, "message": {"data": data}},
        {"context": {"eventId": "S1-3"}, "receivedAt": 6.0, "refused": True, "message": {"data": data}},
    ]
    assert receipts(lines) == [
        {"eventId": "S1-3", "ticket": "S1", "seq": 3, "attempt": 2, "refused": False, "receivedAt": 5.5},
        {"eventId": "S1-3", "ticket": "S1", "seq": 3, "attempt": 1, "refused": True, "receivedAt": 6.0},
    ]
