"""Each subscriber's state as operators see it, from facts every worker and the CLI read the same way from
Kafka.

The figures come from the broker, not from one worker's memory, so every worker's page, `/subscribers`,
`/metrics` and `wostream status` tell the same story, and a restart loses nothing: what waits for a subscriber
is its push topic's end offsets minus the delivery group's committed offsets; the age of the oldest waiting
event is the timestamp of the record at the committed offset; dead letters are its dead topic's records. The
rules that turn these facts into a state are plain functions here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from wostream.core.models import Subscription
from wostream.core.schedules import RetryState, RetryWhere

SLOW_AFTER = 60.0  # seconds the oldest waiting event may wait before an online subscriber counts as slow
STATES = ("online", "slow", "failing", "offline", "paused", "disabled")


@dataclass(frozen=True)
class Facts:
    """What the broker says of one subscriber's topics at one moment."""

    backlog: int  # records not yet acknowledged or dead-lettered
    oldest_at: float | None  # record timestamp (epoch seconds) of the oldest of them
    done: int  # records acknowledged or dead-lettered since its topic began (the committed offsets)
    dead: int  # records in its dead topic
    last_event_id: str | None = None  # the event id of the newest record below the committed offsets


@dataclass(frozen=True)
class Status:
    base_code: str
    name: str
    state: str
    online: bool
    backlog: int
    oldest_waiting_s: float | None
    dead: int
    retrying: int  # events waiting out a backoff (cluster-wide: the retries topic)
    per_minute: float | None  # records done a minute, over the last window; None until known
    last_error: str | None
    last_event_id: str | None = None  # the last event handed on (acknowledged, or dead-lettered)


def state_of(sub: Subscription, online: bool, facts: Facts, retrying: int, now: float) -> str:
    """The first that holds: disabled, paused, offline (no live session), failing (events being retried),
    slow (its oldest waiting event older than SLOW_AFTER), online."""
    if not sub.enabled:
        return "disabled"
    if sub.paused:
        return "paused"
    if not online:
        return "offline"
    if retrying:
        return "failing"
    age = waiting(facts, now)
    return "slow" if age is not None and age > SLOW_AFTER else "online"


def waiting(facts: Facts, now: float) -> float | None:
    if not facts.backlog or facts.oldest_at is None:
        return None
    return max(0.0, now - facts.oldest_at)


def per_minute(samples: Sequence[tuple[float, int]], now: float, window: float = 300.0) -> float | None:
    """Records done a minute from (time, done) samples: the change over the last `window` seconds."""
    recent = [(t, done) for t, done in samples if now - t <= window]
    if len(recent) < 2 or recent[-1][0] <= recent[0][0]:
        return None
    (t0, d0), (t1, d1) = recent[0], recent[-1]
    return max(0, d1 - d0) * 60.0 / (t1 - t0)


def retry_summary(
    retries: Mapping[RetryWhere, RetryState], base_code_of: Callable[[str], str | None]
) -> tuple[dict[str, int], dict[str, str]]:
    """Per subscriber, from the retries topic: events waiting out a backoff, and the latest error."""
    counts: dict[str, int] = {}
    errors: dict[str, str] = {}
    for (topic, _, _), state in sorted(retries.items(), key=lambda kv: kv[1].next_at):
        code = base_code_of(topic)
        if code is not None:
            counts[code] = counts.get(code, 0) + 1
            errors[code] = state.last_error
    return counts, errors


def status_of(
    sub: Subscription,
    online: bool,
    facts: Facts,
    retrying: int,
    now: float,
    rate: float | None = None,
    last_error: str | None = None,
) -> Status:
    return Status(
        base_code=sub.base_code,
        name=sub.name,
        state=state_of(sub, online, facts, retrying, now),
        online=online,
        backlog=facts.backlog,
        oldest_waiting_s=waiting(facts, now),
        dead=facts.dead,
        retrying=retrying,
        per_minute=rate,
        last_error=last_error,
        last_event_id=facts.last_event_id,
    )


def alarming(statuses: Sequence[Status], max_age: float) -> list[str]:
    """Why an alert should fire (`wostream status` exits non-zero): failing subscribers, old waiting
    events."""
    found = []
    for s in statuses:
        if s.state == "failing":
            found.append(
                f"{s.base_code} is failing ({s.retrying} events being retried: {s.last_error or '?'})"
            )
        if (
            s.oldest_waiting_s is not None
            and s.oldest_waiting_s > max_age
            and s.state not in ("paused", "disabled")
        ):
            found.append(
                f"{s.base_code}'s oldest waiting event is {s.oldest_waiting_s:.0f} s old "
                f"(over {max_age:.0f} s)"
            )
    return found
