"""The soak checker: a perfect history passes, and each single fault is counted once, where it belongs.

The expected ids below are written by hand from the subscriptions, not computed: the tests check the
checker's entitlement model rather than repeat it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import pytest

from workshop.soak.checker import (
    DeadLetter,
    Receipt,
    Report,
    SubscriberRun,
    Verdict,
    check,
    render,
    reorder_examples,
    resume_seconds,
)
from workshop.soak.expectations import expectations

LIMIT = 3  # every subscriber's retry attempts limit
# ticket -> data area, organId, communityId, changeIds of its lifecycle (seq = index)
LIFECYCLES = {
    "T1": ("fwwt", "671024", "C1", ("1", "5", "2", "8", "4", "3")),
    "T2": ("fwwt", "700001", "C2", ("1", "5", "2", "10", "6", "3")),
    "T3": ("10008", "700001", "C3", ("1", "5", "9", "2", "7", "8", "3", "4")),
}


def event(
    event_id: str, change_id: str, area: str | None, organ: str | None = None, **body: str
) -> dict[str, Any]:
    ticket, seq = event_id.split("-")
    data = {"serviceOrderId": ticket, "seq": seq, **body} | ({"organId": organ} if organ else {})
    return {"eventId": event_id, "changeId": change_id, "data": data} | ({"dataArea": area} if area else {})


def lifecycle(ticket: str) -> list[dict[str, Any]]:
    """Only the creating event names the community; the evaluation (4) names neither area nor organisation."""
    area, organ, community, kinds = LIFECYCLES[ticket]
    out = []
    for seq, kind in enumerate(kinds):
        own = kind != "4"
        extra = {"communityId": community} if kind == "1" else {}
        out.append(event(f"{ticket}-{seq}", kind, area if own else None, organ if own else None, **extra))
    return out


def interleaved() -> list[dict[str, Any]]:
    """The tickets' events round-robin, each ticket's in its own order, as a producer would mix them."""
    lives = [lifecycle(ticket) for ticket in LIFECYCLES]
    return [life[step] for step in range(max(map(len, lives))) for life in lives if step < len(life)]


OFFERED = interleaved()
ORDER = [e["eventId"] for e in OFFERED]
SUBSCRIPTIONS: list[dict[str, Any]] = [
    {"baseCode": "STEADY", "dataAreas": ["*"], "changeIds": ["*"], "scope": {"organIds": ["*"]}},
    {
        "baseCode": "HRZD",
        "dataAreas": ["fwwt"],
        "changeIds": ["1", "2", "3", "5"],
        "scope": {"organIds": ["671024"], "communityIds": []},
    },
    {
        "baseCode": "COMM",
        "dataAreas": ["*"],
        "changeIds": ["*"],
        "scope": {"organIds": [], "communityIds": ["C3"]},
    },
]
EXPECTED = {
    "STEADY": {"T1-0", "T1-1", "T1-2", "T1-4", "T1-5", *(f"T2-{i}" for i in range(6))}
    | {"T3-0", "T3-1", "T3-2", "T3-3", "T3-4", "T3-6", "T3-7"},
    "HRZD": {"T1-0", "T1-1", "T1-2", "T1-5"},
    "COMM": {"T3-0", "T3-1", "T3-2", "T3-3", "T3-4", "T3-6", "T3-7"},
}


def receipt(event_id: str, refused: bool = False) -> Receipt:
    ticket, seq = event_id.split("-")
    at = float(ORDER.index(event_id))
    return {
        "eventId": event_id,
        "ticket": ticket,
        "seq": int(seq),
        "attempt": 1,
        "refused": refused,
        "receivedAt": at,
    }


def arrivals(code: str) -> list[Receipt]:
    return [receipt(i) for i in ORDER if i in EXPECTED[code]]


def verdict_with(code: str, received: Sequence[Receipt], dead: Sequence[DeadLetter] = ()) -> Verdict:
    runs = {c: SubscriberRun(arrivals(c), (), LIMIT) for c in EXPECTED} | {
        code: SubscriberRun(received, dead, LIMIT)
    }
    return check(SUBSCRIPTIONS, OFFERED, runs)


def clean(code: str) -> Report:
    n = len(EXPECTED[code])
    return Report(code, n, n, n, 0, 0, 0, 0, 0, 0, 0)


def assert_only(verdict: Verdict, code: str, passed: bool, **changed: int) -> None:
    """`code`'s report is the clean one with `changed`, every other one is clean, the verdict `passed`."""
    got = {r.base_code: r for r in verdict.reports}
    assert got[code] == Report(**asdict(clean(code)) | changed)
    assert [got[c] for c in got if c != code] == [clean(c) for c in got if c != code]
    assert verdict.passed is passed


def dead(event_id: str, reason: str, attempts: int) -> DeadLetter:
    return {"eventId": event_id, "reason": reason, "attempts": attempts}


def test_a_perfect_history_passes() -> None:
    verdict = check(SUBSCRIPTIONS, OFFERED, {c: SubscriberRun(arrivals(c), (), LIMIT) for c in EXPECTED})
    assert list(verdict.reports) == [clean(c) for c in EXPECTED]
    assert verdict.undecidable == 0
    assert verdict.passed


def test_the_generated_history_has_what_the_tests_rely_on() -> None:
    kinds = {e["changeId"] for e in OFFERED}
    assert "8" in kinds and not any("communityId" in e["data"] for e in OFFERED if e["changeId"] != "1")
    assert any("dataArea" not in e and "organId" not in e["data"] for e in OFFERED)


def test_one_lost_event() -> None:
    received = [r for r in arrivals("COMM") if r["eventId"] != "T3-3"]
    verdict = verdict_with("COMM", received)
    assert_only(verdict, "COMM", False, lost=1, received=6, distinct=6)
    assert render(verdict)[-1] == "VERDICT: FAIL (COMM lost 1)"


def test_one_duplicated_event_passes() -> None:
    received = [*arrivals("STEADY"), receipt("T2-1")]
    assert_only(verdict_with("STEADY", received), "STEADY", True, duplicates=1, received=19)


def test_one_reordered_pair() -> None:
    received = arrivals("STEADY")
    i, j = (ORDER.index(x) for x in ("T3-2", "T3-3"))
    received[i], received[j] = received[j], received[i]
    verdict = verdict_with("STEADY", received)
    assert_only(verdict, "STEADY", False, reordered=1)
    assert render(verdict)[-1] == "VERDICT: FAIL (STEADY reordered 1)"
    at2, at3 = float(ORDER.index("T3-2")), float(ORDER.index("T3-3"))  # their stamps (the lines swapped)
    assert reorder_examples(SubscriberRun(received, (), LIMIT)) == [
        f"T3-2 (attempt 1) at {at2:.3f} after T3-3 (attempt 1) at {at3:.3f}"
    ]


def test_one_unexpected_event_is_a_routing_leak() -> None:
    received = [*arrivals("HRZD"), receipt("T2-0")]
    assert_only(verdict_with("HRZD", received), "HRZD", False, unexpected=1, received=5)


def test_a_dead_letter_of_an_event_not_expected_is_a_leak_too_not_a_dead_expected_event() -> None:
    verdict = verdict_with("HRZD", arrivals("HRZD"), [dead("T2-0", "refused: busy", LIMIT)])
    assert_only(verdict, "HRZD", False, unexpected=1)


def test_one_unjustified_dead_letter() -> None:
    received = [r for r in arrivals("HRZD") if r["eventId"] != "T1-2"]
    verdict = verdict_with("HRZD", received, [dead("T1-2", "failed: no answer", 1)])
    assert_only(verdict, "HRZD", False, dead=1, dead_unjustified=1, received=3, distinct=3)


def test_an_exhausted_dead_letter_and_the_followers_parked_behind_it_are_justified() -> None:
    gone = {"T3-2", "T3-3", "T3-4"}
    received = [receipt("T3-2", refused=True)] * LIMIT + [
        r for r in arrivals("COMM") if r["eventId"] not in gone
    ]
    letters = [dead("T3-4", "parked: behind T3-3", 0), dead("T3-3", "parked: behind T3-2", 0)]
    verdict = verdict_with("COMM", received, [dead("T3-2", "refused: busy", LIMIT), *letters])
    assert_only(verdict, "COMM", True, dead=3, refusals=3, received=4, distinct=4)


@pytest.mark.parametrize(
    "head", [None, dead("T3-2", "failed: no answer", LIMIT - 1)], ids=["alone", "bad-head"]
)
def test_a_parked_dead_letter_without_a_legitimate_one_before_it_is_unjustified(
    head: DeadLetter | None,
) -> None:
    parked = dead("T3-3", "parked: behind T3-2", 0)
    gone = {"T3-3"} | ({head["eventId"]} if head else set())
    received = [r for r in arrivals("COMM") if r["eventId"] not in gone]
    verdict = verdict_with("COMM", received, [parked, head] if head else [parked])
    n = len(gone)
    assert_only(verdict, "COMM", False, dead=n, dead_unjustified=n, received=7 - n, distinct=7 - n)


def test_ticket_memory_fills_what_later_events_lack_and_kind_8_is_never_expected() -> None:
    subs: list[dict[str, Any]] = [
        {"baseCode": "COMM", "dataAreas": ["zz"], "changeIds": ["*"], "scope": {"communityIds": ["C9"]}},
        {"baseCode": "ORG", "dataAreas": ["b"], "changeIds": [2, 8, 10], "scope": {"organIds": ["O2"]}},
        {
            "baseCode": "OFF",
            "enabled": False,
            "dataAreas": ["*"],
            "changeIds": ["*"],
            "scope": {"organIds": ["*"]},
        },
    ]
    offered = [
        event("X-0", "1", "zz", "O1", communityId="C9"),
        event("X-1", "4", None),  # zz, O1, C9 from memory
        event("X-2", "8", None),  # in COMM's scope, but never pushed
        event("X-3", "2", "b", "O2"),  # the ticket moves: area b, organ O2, community still C9
        event("X-4", "10", None),  # the latest values: b, O2
        event("X-5", "8", None),
    ]
    got = expectations(subs, offered)
    assert got.expected == {"COMM": {"X-0", "X-1"}, "ORG": {"X-3", "X-4"}, "OFF": set()}
    assert got.undecidable == 0


def test_what_stays_unknown_is_undecidable_and_expected_by_nobody_it_is_undecidable_for() -> None:
    subs: list[dict[str, Any]] = [
        {"baseCode": "COMM", "dataAreas": ["*"], "changeIds": ["*"], "scope": {"communityIds": ["C9"]}},
        {"baseCode": "ALL", "dataAreas": ["*"], "changeIds": ["*"], "scope": {"communityIds": ["*"]}},
    ]
    offered = [
        event("Y-0", "2", None, "O1"),  # no data area, ever
        event("Z-0", "2", "zz", "O1"),  # COMM scopes by community; Z's is unknown
        {"eventId": "N-0", "changeId": "2", "dataArea": "zz", "data": {"organId": "O1"}},  # no ticket
    ]
    got = expectations(subs, offered)
    assert got.expected == {"COMM": set(), "ALL": {"Z-0"}}
    assert got.undecidable == 3


def test_resume_seconds_spans_the_fault_over_every_subscriber_and_ignores_refusals() -> None:
    def at(t: float, refused: bool = False) -> Receipt:
        return {"eventId": "e", "ticket": "T", "seq": 0, "attempt": 1, "refused": refused, "receivedAt": t}

    runs = [SubscriberRun([at(0.0), at(1.0), at(2.0), at(5.0, refused=True)], (), LIMIT)]
    runs.append(SubscriberRun([at(11.0), at(10.0)], (), LIMIT))
    faults = [("a", 3.0), ("before-any", -5.0), ("after-all", 20.0), ("on-a-receipt", 2.0)]
    assert [(r.name, r.at, r.seconds) for r in resume_seconds(runs, faults)] == [
        ("a", 3.0, 8.0),  # 2.0 -> 10.0: the refusal at 5.0 is no delivery
        ("before-any", -5.0, 5.0),  # from the fault itself to the first receipt
        ("after-all", 20.0, None),
        ("on-a-receipt", 2.0, 8.0),
    ]


def test_ticket_wait_is_the_longest_gap_of_one_ticket_across_the_fault_whatever_else_flows() -> None:
    def at(ticket: str, t: float, refused: bool = False) -> Receipt:
        return {"eventId": "e", "ticket": ticket, "seq": 0, "attempt": 1, "refused": refused, "receivedAt": t}

    flowing = [at("A", t) for t in (0.0, 1.0, 2.0, 3.0, 4.0)]  # another partition: never stops
    stalled = [at("B", 0.5), at("B", 1.9, refused=True), at("B", 9.5)]  # its partition stood still
    runs = [SubscriberRun(flowing, (), LIMIT), SubscriberRun(stalled, (), LIMIT)]
    (resume, late) = resume_seconds(runs, [("kill", 1.5), ("end", 10.0)])
    assert (resume.seconds, resume.ticket_wait) == (1.0, 9.0)  # 1.0 -> 2.0 overall; B 0.5 -> 9.5
    assert (late.seconds, late.ticket_wait) == (None, None)


def test_render() -> None:
    runs = {c: SubscriberRun(arrivals(c), (), LIMIT) for c in EXPECTED}
    lines = render(check(SUBSCRIPTIONS, OFFERED, runs, [("broker", 3.5), ("late", 99.0)]))
    assert lines[0] == (
        "STEADY   expected 18 received 18 distinct 18 lost 0 dup 0 reordered 0 unexpected 0 "
        "dead 0 (unjustified 0) refusals 0  ok"
    )
    assert lines[3:5] == [
        "fault broker at 3.5: resumed after 1.0 s, the longest a ticket waited across it 3.0 s",
        "fault late at 99.0: no receipt after it",
    ]
    assert lines[-1] == "VERDICT: PASS" and len(lines) == 7
