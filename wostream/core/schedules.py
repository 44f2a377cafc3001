"""Where delivery stands with the events it could not hand over yet: retry schedules and parked tickets.

Plain state, folded from the retries topic by every worker (`records.fold`), written by delivery as it goes,
so that whichever worker owns a push partition after a restart or a rebalance resumes a schedule instead of
starting over, and keeps a parked ticket behind its dead event.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryState:
    """Where one event stands in its retry schedule, so a restart resumes it instead of starting over."""

    offset: int
    event_id: str
    attempts: int
    first_at: float
    next_at: float
    last_error: str


@dataclass(frozen=True)
class Park:
    """Why a ticket is parked (the dead event it waits behind) and since when."""

    event_id: str
    at: float


RetryWhere = tuple[str, int, int]  # push topic, partition, offset


@dataclass
class Schedules:
    retries: dict[RetryWhere, RetryState] = field(default_factory=dict)
    parked: dict[tuple[str, str], Park] = field(default_factory=dict)  # (baseCode, ticket)

    def put_retry(self, where: RetryWhere, state: RetryState | None) -> None:
        if state is None:
            self.retries.pop(where, None)
        else:
            self.retries[where] = state

    def put_park(self, base_code: str, ticket: str, park: Park | None) -> None:
        if park is None:
            self.parked.pop((base_code, ticket), None)
        else:
            self.parked[(base_code, ticket)] = park
