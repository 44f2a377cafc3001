"""The soak's judge: what each subscriber received and dead-lettered, against what it was entitled to.

The expectation is computed here from the subscriptions and the offered raw events alone, importing nothing
of the routing code (`wostream.core`, `wostream.worker`), Kafka or Ice: a checker that reused the router
would agree with the router's bugs. Plain data in, plain data out, so it runs in a unit test in milliseconds.

Entitlement (the contract): an event is expected by a subscriber iff the subscriber is enabled, the changeId
is not "8" (never pushed) and is in its changeIds, the ticket's data area is in its dataAreas, and the
ticket's organId is in scope.organIds OR its communityId is in scope.communityIds ("*" in a list = all).
The ticket's data area, organId and communityId are the event's own (missing or empty = absent), else the
latest value an earlier event of the same ticket carried (ticket memory; every offered event feeds it, kind
8 included). Unknown values make an event *undecidable*: for everyone without a ticket (serviceOrderId), a
changeId or a data area; for one subscriber when its scope answer hangs on an unknown id (e.g. a
community-scoped subscriber and a ticket whose communityId was never seen). The service quarantines those,
so they are expected by nobody they are undecidable for; `Verdict.undecidable` counts them, once per event.
"""

from __future__ import annotations

import itertools
import json
import time
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypedDict

ALL = "*"
NEVER_PUSHED = "8"
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
class Subscription:
    """One operator YAML entry, read leniently: values as strings (YAML may give ints); missing = none."""

    base_code: str
    data_areas: frozenset[str]
    change_ids: frozenset[str]
    organ_ids: frozenset[str]
    community_ids: frozenset[str]
    enabled: bool = True

    @classmethod
    def from_config(cls, raw: Mapping[str, Any]) -> Subscription:
        scope: Mapping[str, Any] = raw.get("scope") or {}
        lists = raw.get("dataAreas"), raw.get("changeIds"), scope.get("organIds"), scope.get("communityIds")
        areas, kinds, organs, communities = map(_strings, lists)
        return cls(str(raw["baseCode"]), areas, kinds, organs, communities, bool(raw.get("enabled", True)))


@dataclass(frozen=True)
class Resolved:
    """An offered event as routing sees it: keys after ticket memory, and its place within its ticket."""

    event_id: str | None
    ticket: str | None
    position: int
    change_id: str | None
    data_area: str | None
    organ_id: str | None
    community_id: str | None


NOWHERE = Resolved(None, None, 0, None, None, None, None)  # a dead letter's event that was never offered


@dataclass(frozen=True)
class Expectation:
    expected: Mapping[str, frozenset[str]]  # baseCode -> expected event ids
    undecidable: int


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


def _strings(values: Iterable[Any] | None) -> frozenset[str]:
    return frozenset(str(v) for v in values or ())


def _text(value: Any) -> str | None:
    """A routing key's value; empty counts as absent, as the service reads it."""
    return None if value is None or value == "" else str(value)


def _body(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event's body: an object, or a JSON string of one (SPEC.md 4a allows both)."""
    data = event.get("data")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return {}
    return data if isinstance(data, Mapping) else {}


def resolve(offered: Sequence[Mapping[str, Any]]) -> list[Resolved]:
    """Each offered event with what it lacks taken from its ticket's earlier events (latest value wins)."""
    memory: dict[str, tuple[str | None, str | None, str | None]] = {}
    counts: dict[str, int] = {}
    out: list[Resolved] = []
    for event in offered:
        body = _body(event)
        ticket = _text(body.get("serviceOrderId"))
        own = (_text(event.get("dataArea")), _text(body.get("organId")), _text(body.get("communityId")))
        known = memory.get(ticket, (None, None, None)) if ticket else (None, None, None)
        keys = (own[0] or known[0], own[1] or known[1], own[2] or known[2])
        position = 0
        if ticket is not None:
            memory[ticket] = keys
            position = counts[ticket] = counts.get(ticket, -1) + 1
        out.append(
            Resolved(_text(event.get("eventId")), ticket, position, _text(event.get("changeId")), *keys)
        )
    return out


def _matches(value: str | None, allowed: frozenset[str]) -> bool | None:
    """One side of the scope: None when the answer hangs on a value nobody knows."""
    if ALL in allowed:
        return True
    if value is None:
        return None if allowed else False
    return value in allowed


def unreadable(event: Resolved) -> bool:
    """Undecidable for everyone: the service cannot route an event without a ticket, a kind or a data area."""
    return event.ticket is None or event.change_id is None or event.data_area is None


def entitled(sub: Subscription, event: Resolved) -> bool | None:
    """The contract of the module docstring, three-valued: None = undecidable (the service quarantines it)."""
    if unreadable(event):
        return None
    if not sub.enabled or event.change_id == NEVER_PUSHED:
        return False
    if not ({ALL, event.change_id} & sub.change_ids and {ALL, event.data_area} & sub.data_areas):
        return False
    sides = (_matches(event.organ_id, sub.organ_ids), _matches(event.community_id, sub.community_ids))
    return True if True in sides else None if None in sides else False


def expectations(
    subscriptions: Sequence[Mapping[str, Any]], offered: Sequence[Mapping[str, Any]]
) -> Expectation:
    """Every subscriber's expected event ids, and how many offered events were undecidable for someone.
    An offered event without an eventId cannot be recognised on arrival: it feeds ticket memory only."""
    subs = [Subscription.from_config(raw) for raw in subscriptions]
    expected: dict[str, set[str]] = {sub.base_code: set() for sub in subs}
    undecidable = 0
    for event in resolve(offered):
        verdicts = [(sub.base_code, entitled(sub, event)) for sub in subs]
        undecidable += unreadable(event) or any(v is None for _, v in verdicts)
        for code, verdict in verdicts:
            if verdict and event.event_id is not None:
                expected[code].add(event.event_id)
    return Expectation({code: frozenset(ids) for code, ids in expected.items()}, undecidable)


def _reordered(first: Iterable[Receipt]) -> int:
    """Adjacent pairs, within a ticket by first arrival of each id, whose seq goes down."""
    seqs: dict[str, list[int]] = {}
    for receipt in first:
        seqs.setdefault(receipt["ticket"], []).append(int(receipt["seq"]))
    return sum(b < a for s in seqs.values() for a, b in itertools.pairwise(s))


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
    first: dict[str, Receipt] = {}
    for receipt in accepted:
        first.setdefault(receipt["eventId"], receipt)
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
