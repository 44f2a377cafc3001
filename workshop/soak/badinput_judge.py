"""The judge of the bad-input grammar: what the worker makes of a case, in-process, and what it should have.

A case goes the worker's way without Kafka: `route` with re-keying on (the raw agent when ticket memory is
on), then the records layer's `plan_all`, where a copy over the record limit becomes a quarantine reason; an
event read under another key than its ticket is routed a second time from the re-sent record. A tombstone
reaches `route` as b"", as the worker passes it. Ticket memory stays off: each case is judged on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workshop.soak.badinput_base import Case
from wostream.config.settings import Settings
from wostream.core.drift import Drift
from wostream.core.models import WILDCARD, IdKind, IdMaps, Subscription
from wostream.core.routing import SubscriptionIndex, route
from wostream.records.writes import Write, plan_all

SOURCE = "wo.events:0:0"  # where the worker would have read the record (it names it in quarantine records)
# Words one of which the quarantine reason must hold: by kind, then by category; else the field's name
# (the kind's last path component: "wrong-type:data.serviceOrderId" -> "serviceOrderId").
KIND_WORDS = {
    "not-json:empty": ("empty",),
    "wrong-type:dataArea-with-fallback": ("dataArea",),
    "big-number:digit-limit": ("digit",),
    "big-number:exponent-overflow": ("number", "exponent"),
}
CATEGORY_WORDS = {
    "not-json": ("JSON", "UTF-8"),
    "truncated": ("JSON", "UTF-8"),
    "huge": ("bytes",),
    "deep": ("nest",),
    "invalid-utf8": ("UTF-8",),
    "non-finite": ("NaN",),
    "tombstone": ("empty", "tombstone"),
    "change-id-spelling": ("changeId",),
    "duplicate-key": ("duplicate",),
}


def catch_all(base_code: str = "ALL") -> Subscription:
    """Every data area, kind and organisation; with masks, so masking meets every malformed body too."""
    return Subscription(
        base_code=base_code,
        name="catch-all",
        secret_hash="unused",
        data_areas=frozenset({WILDCARD}),
        change_ids=frozenset({WILDCARD}),
        organ_ids=frozenset({WILDCARD}),
        mask=("contactTel", "currentUser[].userTel"),
    )


def id_maps(base_code: str = "ALL") -> IdMaps:
    """Maps for the ids the examples carry, so enrichment runs on every body as well."""
    maps = IdMaps()
    maps.put(base_code, IdKind.COMMUNITY, "139912543382896", f"{base_code}-community")
    maps.put(base_code, IdKind.EMPLOYEE, "94781", f"{base_code}-employee")
    maps.put(base_code, IdKind.CUSTOMER, "110640113", f"{base_code}-customer")
    return maps


@dataclass(frozen=True)
class Outcome:
    rekeyed: bool  # first read under another key than its ticket
    unsupported: bool
    pushed: int  # copies written to a push topic
    event_ids: tuple[str, ...]  # of the copies routing made
    reasons: str  # the quarantine record's reasons; "" when none


@dataclass
class Router:
    """One catch-all subscriber, routed to as the worker would."""

    index: SubscriptionIndex = field(default_factory=lambda: SubscriptionIndex([catch_all()]))
    idmaps: IdMaps = field(default_factory=id_maps)
    drift: Drift = field(default_factory=Drift)
    settings: Settings = field(default_factory=lambda: Settings(max_record_bytes=1_000_000))

    def deliver(self, value: bytes | None, key: bytes | None) -> Outcome:
        """What the worker writes for one raw record."""
        raw = value or b""  # as the worker reads a tombstone
        first = result = route(raw, key, self.index, self.idmaps, self.drift, rekey=True)
        writes = plan_all(self.settings, result, raw, key, SOURCE, 0.0)
        if (
            result.rekey and writes[0].topic == self.settings.rekey_topic
        ):  # re-sent keyed by ticket, read back
            resent = writes[0]
            result = route(resent.value, resent.key, self.index, self.idmaps, self.drift)
            writes = plan_all(self.settings, result, resent.value, resent.key, SOURCE, 0.0)
        pushed = sum(w.topic.startswith(self.settings.push_prefix) for w in writes)
        event_ids = tuple(c.event_id for c in result.copies)
        return Outcome(first.rekey, result.unsupported, pushed, event_ids, self._reasons(writes))

    def _reasons(self, writes: list[Write]) -> str:
        found = [dict(w.headers)["reason"] for w in writes if w.topic == self.settings.quarantine_topic]
        return "; ".join(r.decode("utf-8", "replace") for r in found)


def reason_words(case: Case) -> tuple[str, ...]:
    if case.kind in KIND_WORDS:
        return KIND_WORDS[case.kind]
    if case.category in CATEGORY_WORDS:
        return CATEGORY_WORDS[case.category]
    return (case.kind.split(":", 1)[-1].rsplit(".", 1)[-1],)


def _bad_problems(case: Case, outcome: Outcome) -> list[str]:
    found = [] if outcome.reasons else ["not quarantined"]
    words = reason_words(case)
    if outcome.reasons and not any(w in outcome.reasons for w in words):
        found.append(f"reason names none of {words}: {outcome.reasons[:200]!r}")
    return found + ([f"{outcome.pushed} copies pushed"] if outcome.pushed else [])


def problems(case: Case, outcome: Outcome) -> list[str]:
    """How the outcome differs from what the case says must happen (empty: as it should)."""
    if not case.good:
        return _bad_problems(case, outcome)
    found = [f"quarantined: {outcome.reasons[:200]!r}"] if outcome.reasons else []
    if case.category == "wrong-key" and not outcome.rekeyed:
        found.append("not re-keyed")
    if case.unsupported:
        found += (
            [] if outcome.unsupported and not outcome.pushed else ["changeId 8 not counted as unsupported"]
        )
    elif outcome.pushed != 1:
        found.append(f"{outcome.pushed} copies pushed, expected 1")
    elif case.event_id is not None and outcome.event_ids != (case.event_id,):
        found.append(f"copy has event id {outcome.event_ids}, expected {case.event_id}")
    return found
