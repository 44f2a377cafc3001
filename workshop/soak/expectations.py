"""What each subscriber of the soak was entitled to, computed from the subscriptions and the offered raw
events alone, importing nothing of the routing code (`wostream.core`, `wostream.worker`), Kafka or Ice:
a checker that reused the router would agree with the router's bugs. Plain data in, plain data out.

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

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ALL = "*"
NEVER_PUSHED = "8"


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


def _strings(values: Iterable[Any] | None) -> frozenset[str]:
    return frozenset(str(v) for v in values or ())


def _text(value: Any) -> str | None:
    """A routing key's value; empty counts as absent, as the service reads it."""
    return None if value is None or value == "" else str(value)


def _body(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event's body: an object, or a JSON string of one (docs/contract.md 4a allows both)."""
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
