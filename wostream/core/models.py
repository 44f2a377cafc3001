"""Plain data shared by the pure core (routing, subscriptions, id maps) and the adapters.

Nothing here imports Kafka or Ice: these values cross the boundary between the Faust/Ice edges and the
functions that decide what goes where, and they must stay cheap to build in unit tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

WILDCARD = "*"


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for one subscriber's failing callbacks; seconds, so the schedule is a pure function."""

    attempts: int = 12
    initial: float = 1.0
    max: float = 300.0


@dataclass(frozen=True)
class Subscription:
    """One registered third-party system, as an administrator configured it.

    `secret_hash` is the only form of the secret that ever leaves the CLI (see `credentials`).
    Sets may hold WILDCARD meaning "all"; an empty scope (both id sets empty) matches nothing.
    """

    base_code: str
    name: str
    secret_hash: str
    data_areas: frozenset[str]
    change_ids: frozenset[str]
    organ_ids: frozenset[str] = frozenset()
    community_ids: frozenset[str] = frozenset()
    mask: tuple[str, ...] = ()
    enabled: bool = True  # false: nothing is routed to it at all
    retry: RetryPolicy | None = None
    paused: bool = False  # true: routed and kept in its topic, but not delivered until unpaused
    partitions: int | None = None  # of its push topic; None: the deployment's default


class IdKind(StrEnum):
    """The id spaces a subscriber maps our ids into (docs/contract.md section 2, `e…Id` fields)."""

    COMMUNITY = "community"
    HOUSE = "house"
    CUSTOMER = "customer"
    EMPLOYEE = "employee"


@dataclass
class IdMaps:
    """Per subscriber and id kind: our id -> the subscriber's own id. Mutable: fed live from a topic."""

    maps: dict[tuple[str, IdKind], dict[str, str]] = field(default_factory=dict)

    def lookup(self, base_code: str, kind: IdKind, our_id: str) -> str | None:
        table = self.maps.get((base_code, kind))
        return None if table is None else table.get(our_id)

    def any_for(self, base_code: str) -> bool:
        """Whether `base_code` has any map at all (most subscribers have none: their copies are alike)."""
        return any((base_code, kind) in self.maps for kind in IdKind)

    def put(self, base_code: str, kind: IdKind, our_id: str, their_id: str | None) -> None:
        """Set a mapping; `their_id=None` deletes it (a tombstone on the id-map topic)."""
        table = self.maps.setdefault((base_code, kind), {})
        if their_id is None:
            table.pop(our_id, None)
        else:
            table[our_id] = their_id


@dataclass(frozen=True)
class Copy:
    """One copy of one event for one subscriber: what goes onto `wo.push.<base_code>`."""

    base_code: str
    key: str  # serviceOrderId: the Kafka key that keeps one ticket's events in one ordered partition
    data_area: str  # travels as the message tag (Kafka header `dataArea`)
    change_id: str
    event_id: str
    envelope: bytes  # UTF-8 JSON of docs/contract.md section 4, `data` a JSON string


@dataclass(frozen=True)
class Ticket:
    """What routing remembers of a ticket from its earlier events (see `core.ticket_memory`)."""

    data_area: str | None = None
    organ_id: str | None = None
    community_id: str | None = None
    ended_at: float | None = None  # when its "ended" event was routed


@dataclass(frozen=True)
class RouteResult:
    """The whole decision for one raw event.

    `quarantine` holds reasons; when non-empty the original bytes go to the quarantine topic with them
    (an event may be delivered to some subscribers and still be quarantined for others it could not be
    evaluated against). `event_id` is None only when the bytes could not be read as an event at all.
    """

    event_id: str | None
    change_id: str | None
    copies: tuple[Copy, ...] = ()
    quarantine: tuple[str, ...] = ()
    unsupported: bool = False  # changeId 8: accepted, counted, pushed to nobody
    ticket_id: str | None = None  # the event's serviceOrderId, once known
    ticket: Ticket | None = None  # the ticket's memory after this event, to store (None: nothing to store)
    rekey: bool = False  # read under another key than its ticket: to be re-sent keyed by ticket_id first
