"""The soak's judge: what each subscriber received and dead-lettered, against what it was entitled to
(`soak.expectations`): lost, duplicated, reordered, unexpected, unjustified dead letters, and how soon
deliveries resumed after each fault. Plain data in, plain data out, so it runs in a unit test in
milliseconds.
"""

from __future__ import annotations

import itertools
import time
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypedDict

from workshop.soak.expectations import NOWHERE, Resolved, expectations, resolve

PARKED = "parked:"


# One push, in arrival order; a refused one (the subscriber threw PushRefused) was not received.
class Receipt(TypedDict):
    eventId: str
    ticket: str
    seq: int
    attempt: int
    refused: bool
    receivedAt: float


class DeadLetter(TypedDict):
    eventId: str
    reason: str
    attempts: int


@dataclass(frozen=True)
class SubscriberRun:
    """What one subscriber saw in the run, and its retry attempts limit (judges dead letters as exhausted)."""

    received: Sequence[Receipt]
    dead: Sequence[DeadLetter]
    attempts: int


@dataclass(frozen=True)
class Report:
    """One subscriber's tally; `passed` ignores duplicates and refusals (at-least-once allows them)."""

    base_code: str
    expected: int
    received: int
    distinct: int
    lost: int
    duplicates: int
    reordered: int
    unexpected: int  # ids received or dead-lettered that were not expected: a routing leak
    dead: int
    dead_unjustified: int
    refusals: int

    def problems(self) -> list[str]:
        """What fails it, e.g. ["lost 3"]: loss, disorder, leaks and dead letters without a cause."""
        counts = ("lost", self.lost), ("reordered", self.reordered), ("unexpected", self.unexpected)
        return [f"{name} {n}" for name, n in (*counts, ("dead unjustified", self.dead_unjustified)) if n]

    @property
    def passed(self) -> bool:
        return not self.problems()


@dataclass(frozen=True)
class Resume:
    """How long deliveries stalled around a fault; `seconds` None = no accepted receipt after it at all.
    `ticket_wait`: the longest gap of one ticket of one subscriber across the fault (the stall of the
    partitions the fault hit, which deliveries elsewhere hide from `seconds`); None: no ticket spans it."""

    name: str
    at: float
    seconds: float | None
    ticket_wait: float | None = None


@dataclass(frozen=True)
class Verdict:
    reports: tuple[Report, ...]
    resumes: tuple[Resume, ...]
    undecidable: int

    @property
    def passed(self) -> bool:
        return all(report.passed for report in self.reports)


def _reordered(first: Iterable[Receipt]) -> int:
    """Adjacent pairs, within a ticket by first arrival of each id, whose seq goes down."""
    return len(inversions(first))


def inversions(first: Iterable[Receipt]) -> list[tuple[Receipt, Receipt]]:
    """The adjacent pairs `_reordered` counts, (earlier arrival, later arrival), in arrival order."""
    tickets: dict[str, list[Receipt]] = {}
    for receipt in first:
        tickets.setdefault(receipt["ticket"], []).append(receipt)
    pairs = (pair for arrived in tickets.values() for pair in itertools.pairwise(arrived))
    found = [(a, b) for a, b in pairs if int(b["seq"]) < int(a["seq"])]
    return sorted(found, key=lambda pair: pair[1]["receivedAt"])


def _first_arrivals(accepted: Iterable[Receipt]) -> dict[str, Receipt]:
    """Each event id's first accepted receipt, in arrival order."""
    first: dict[str, Receipt] = {}
    for receipt in accepted:
        first.setdefault(receipt["eventId"], receipt)
    return first


def reorder_examples(run: SubscriberRun, most: int = 5) -> list[str]:
    """The first reordered pairs of a run in words (which ids, which attempts, when): a soak that fails on
    order says where it happened, not only how often."""
    first = _first_arrivals(r for r in run.received if not r["refused"])
    return [
        f"{b['eventId']} (attempt {b['attempt']}) at {b['receivedAt']:.3f} after {a['eventId']} "
        f"(attempt {a['attempt']}) at {a['receivedAt']:.3f}"
        for a, b in inversions(first.values())[:most]
    ]


def _unjustified(dead: Sequence[DeadLetter], limit: int, where: Mapping[str, Resolved]) -> int:
    """Dead letters neither exhausted nor parked behind an earlier legitimate dead letter of their ticket."""
    earliest: dict[str, int] = {}  # ticket -> position of its first legitimate dead letter
    bad = 0
    placed = [(letter, where.get(letter["eventId"], NOWHERE)) for letter in dead]
    for letter, event in sorted(placed, key=lambda p: (p[1].ticket or "", p[1].position)):
        ticket, position = event.ticket, event.position
        behind = ticket is not None and earliest.get(ticket, position) < position
        if letter["attempts"] >= limit or (behind and letter["reason"].startswith(PARKED)):
            if ticket is not None:
                earliest.setdefault(ticket, position)  # sorted by position: the first is the earliest
        else:
            bad += 1
    return bad


def report(code: str, expected: frozenset[str], run: SubscriberRun, where: Mapping[str, Resolved]) -> Report:
    """One subscriber's tally (see `Report`); `where` places offered events by id, for parked letters."""
    accepted = [r for r in run.received if not r["refused"]]
    first = _first_arrivals(accepted)
    dead_ids = {d["eventId"] for d in run.dead}
    return Report(
        base_code=code,
        expected=len(expected),
        received=len(accepted),
        distinct=len(expected & first.keys()),
        lost=len(expected - first.keys() - dead_ids),
        duplicates=len(accepted) - len(first),
        reordered=_reordered(first.values()),
        unexpected=len((first.keys() | dead_ids) - expected),
        dead=len(dead_ids & expected),
        dead_unjustified=_unjustified(run.dead, run.attempts, where),
        refusals=len(run.received) - len(accepted),
    )


def resume_seconds(runs: Iterable[SubscriberRun], faults: Sequence[tuple[str, float]]) -> tuple[Resume, ...]:
    """The stall around each fault: from the last accepted receipt at or before it (or the fault itself, when
    nothing came before) to the first one after it, all subscribers merged. No receipt after it gives None:
    the run ended or never recovered, and `lost` says which; a number there would be invented."""
    runs = list(runs)
    times = sorted(r["receivedAt"] for run in runs for r in run.received if not r["refused"])
    tickets: list[list[float]] = []
    for run in runs:
        by_ticket: dict[str, list[float]] = {}
        for r in run.received:
            if not r["refused"]:
                by_ticket.setdefault(r["ticket"], []).append(r["receivedAt"])
        tickets.extend(sorted(t) for t in by_ticket.values())
    return tuple(
        replace(_resume(times, name, at), ticket_wait=_ticket_wait(tickets, at)) for name, at in faults
    )


def _ticket_wait(tickets: Sequence[Sequence[float]], at: float) -> float | None:
    gaps = []
    for times in tickets:
        after = bisect_right(times, at)
        if 0 < after < len(times):
            gaps.append(times[after] - times[after - 1])
    return max(gaps, default=None)


def _resume(times: Sequence[float], name: str, at: float) -> Resume:
    after = bisect_right(times, at)
    if after == len(times):
        return Resume(name, at, None)
    start = times[after - 1] if after > 0 else at
    return Resume(name, at, times[after] - start)


def check(
    subscriptions: Sequence[Mapping[str, Any]],
    offered: Sequence[Mapping[str, Any]],
    runs: Mapping[str, SubscriberRun],
    faults: Sequence[tuple[str, float]] = (),
) -> Verdict:
    """The soak's verdict. A subscription without a run received nothing; a run without a subscription was
    entitled to nothing (so all it got is unexpected)."""
    expectation = expectations(subscriptions, offered)
    where = {e.event_id: e for e in resolve(offered) if e.event_id is not None}
    codes = [*expectation.expected, *(code for code in runs if code not in expectation.expected)]
    empty = SubscriberRun((), (), 1)
    reports = tuple(
        report(code, expectation.expected.get(code, frozenset()), runs.get(code, empty), where)
        for code in codes
    )
    return Verdict(reports, resume_seconds(runs.values(), faults), expectation.undecidable)


def render(verdict: Verdict) -> list[str]:
    """One line per subscriber, one per fault, the undecidable count, then the verdict."""
    width = max((len(r.base_code) for r in verdict.reports), default=0) + 3
    lines = [_line(r, width) for r in verdict.reports]
    for resume in verdict.resumes:
        took = "no receipt after it" if resume.seconds is None else f"resumed after {resume.seconds:.1f} s"
        if resume.ticket_wait is not None:
            took += f", the longest a ticket waited across it {resume.ticket_wait:.1f} s"
        when = time.strftime("%H:%M:%S", time.localtime(resume.at)) if resume.at > 1e9 else f"{resume.at:.1f}"
        lines.append(f"fault {resume.name} at {when}: {took}")
    lines.append(f"undecidable {verdict.undecidable} (quarantined: not expected where undecidable)")
    failures = [f"{r.base_code} {problem}" for r in verdict.reports for problem in r.problems()]
    lines.append("VERDICT: PASS" if verdict.passed else f"VERDICT: FAIL ({', '.join(failures)})")
    return lines


def _line(r: Report, width: int) -> str:
    return (
        f"{r.base_code.ljust(width)}expected {r.expected} received {r.received} distinct {r.distinct} "
        f"lost {r.lost} dup {r.duplicates} reordered {r.reordered} unexpected {r.unexpected} "
        f"dead {r.dead} (unjustified {r.dead_unjustified}) refusals {r.refusals}  "
        f"{'ok' if r.passed else 'FAIL'}"
    )
