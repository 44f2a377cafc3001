"""A subscriber's state from the broker's facts: the rules operators and alerts rely on."""

from __future__ import annotations

import pytest

from wostream.core.models import Subscription
from wostream.core.schedules import RetryState
from wostream.core.subscriber_status import Facts, alarming, per_minute, retry_summary, state_of, status_of

SUB = Subscription("A", "A", "h", frozenset({"*"}), frozenset({"*"}), frozenset({"*"}))
NOW = 10_000.0
IDLE = Facts(backlog=0, oldest_at=None, done=100, dead=0)


@pytest.mark.parametrize(
    ("sub", "online", "facts", "retrying", "state"),
    [
        (SUB, True, IDLE, 0, "online"),
        (SUB, True, Facts(5, NOW - 10, 100, 0), 0, "online"),
        (SUB, True, Facts(5, NOW - 61, 100, 0), 0, "slow"),
        (SUB, True, IDLE, 2, "failing"),
        (SUB, False, Facts(5, NOW - 999, 100, 0), 2, "offline"),
        (Subscription(**{**SUB.__dict__, "paused": True}), True, IDLE, 0, "paused"),
        (Subscription(**{**SUB.__dict__, "enabled": False}), False, IDLE, 0, "disabled"),
    ],
)
def test_the_state_is_the_first_rule_that_holds(
    sub: Subscription, online: bool, facts: Facts, retrying: int, state: str
) -> None:
    assert state_of(sub, online, facts, retrying, NOW) == state


def test_the_rate_is_the_change_over_the_window() -> None:
    samples = [(NOW - 400, 0), (NOW - 300, 100), (NOW - 60, 400), (NOW, 700)]
    assert per_minute(samples, NOW) == pytest.approx((700 - 100) * 60 / 300)
    assert per_minute([(NOW, 5)], NOW) is None


def test_retries_are_counted_per_subscriber_with_the_latest_error() -> None:
    retries = {
        ("wo.push.A", 0, 1): RetryState(1, "e1", 2, 0.0, 10.0, "old"),
        ("wo.push.A", 0, 2): RetryState(2, "e2", 1, 0.0, 20.0, "new"),
        ("elsewhere", 0, 3): RetryState(3, "e3", 1, 0.0, 30.0, "x"),
    }

    def code(topic: str) -> str | None:
        return topic.removeprefix("wo.push.") if topic.startswith("wo.push.") else None

    assert retry_summary(retries, code) == ({"A": 2}, {"A": "new"})


def test_alarms_name_failing_subscribers_and_old_waiting_events() -> None:
    failing = status_of(SUB, True, IDLE, 1, NOW, last_error="refused")
    waiting = status_of(SUB, False, Facts(3, NOW - 400, 0, 0), 0, NOW)
    assert alarming([failing, waiting], 300) == [
        "A is failing (1 events being retried: refused)",
        "A's oldest waiting event is 400 s old (over 300 s)",
    ]
    assert alarming([status_of(SUB, True, IDLE, 0, NOW)], 300) == []
