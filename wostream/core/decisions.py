"""What delivery does next with one record: pure decisions over plain values, carried out by the engine.

Kept free of Kafka and Ice, in the way aiokafka keeps its subscription state machine free of broker I/O, so
every outcome (acknowledged, refused, timed out, gone, exhausted, parked, replayed) is unit-tested in
microseconds and the consumer loop only does what these functions say.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from wostream.core.models import RetryPolicy
from wostream.core.outcomes import Gone, PushError
from wostream.core.retry import backoff, exhausted
from wostream.core.schedules import Park, RetryState

REPLAY_AT = "replayAt"


@dataclass(frozen=True)
class Ack:
    """Acknowledged: the record is done. `forget`: a persisted retry state must be cleared."""

    forget: bool


@dataclass(frozen=True)
class Offline:
    """The callback's session is gone: drop the callback, wait for the subscriber; not an attempt."""


@dataclass(frozen=True)
class Retry:
    """Failed, attempts left: try again at `at` (epoch seconds); `state` is what to persist meanwhile."""

    at: float
    state: RetryState


@dataclass(frozen=True)
class Dead:
    """Give up: into the dead topic. `park`: the ticket's later events follow it there (an exhausted event);
    False for an event that only waits behind an earlier dead one."""

    reason: str
    attempts: int
    park: bool


Step = Ack | Offline | Retry | Dead


@dataclass(frozen=True)
class Attempted:
    """A record's history so far: attempts made (persisted across restarts) and when the first was."""

    offset: int
    event_id: str
    attempts: int
    first_at: float
    remembered: bool  # a persisted retry state exists for it


def admit(ticket: str, headers: Mapping[str, str], park: Park | None) -> Dead | None:
    """A record of a parked ticket waits behind the dead event in the dead topic, unless it was replayed after
    the park was set (replay puts the dead events back before it lifts the parks)."""
    if park is None or _replayed_after(headers, park.at):
        return None
    return Dead(f"parked: ticket {ticket} waits behind dead event {park.event_id}", 0, park=False)


def _replayed_after(headers: Mapping[str, str], parked_at: float) -> bool:
    try:
        return float(headers.get(REPLAY_AT, "")) > parked_at
    except ValueError:
        return False


def resume(memory: RetryState | None, offset: int, event_id: str, now: float) -> tuple[Attempted, float]:
    """Where a record starts: its remembered schedule (attempts, first try, seconds left to wait) or anew."""
    if memory is None:
        return Attempted(offset, event_id, 0, now, remembered=False), 0.0
    wait = max(0.0, memory.next_at - now)
    return Attempted(offset, event_id, memory.attempts, memory.first_at, remembered=True), wait


def acknowledged(done: Attempted) -> Ack:
    """The subscriber took it; a schedule persisted for it (a retry came before) must be cleared."""
    return Ack(forget=done.attempts > 1 or done.remembered)


def next_step(
    outcome: PushError | None,
    done: Attempted,
    policy: RetryPolicy,
    now: float,
    rand: random.Random | None = None,
) -> Step:
    """After one push (`done.attempts` counts it): what happens to the record."""
    if outcome is None:
        return acknowledged(done)
    if isinstance(outcome, Gone):
        return Offline()
    error = str(outcome) or type(outcome).__name__
    if exhausted(done.attempts, policy):
        return Dead(error, done.attempts, park=True)
    at = now + backoff(done.attempts, policy, rand)
    return Retry(at, RetryState(done.offset, done.event_id, done.attempts, done.first_at, at, error))
