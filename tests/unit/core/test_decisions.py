"""Delivery's decisions over every outcome of a push, without Kafka or Ice."""

from __future__ import annotations

import random

import pytest

from wostream.core.decisions import Ack, Attempted, Dead, Offline, Retry, admit, next_step, resume
from wostream.core.models import RetryPolicy
from wostream.core.outcomes import Failed, Gone, PushError, Refused
from wostream.core.schedules import Park, RetryState

POLICY = RetryPolicy(attempts=3, initial=1.0, max=10.0)
NOW = 1_000.0


def tried(attempts: int, remembered: bool = False) -> Attempted:
    return Attempted(offset=7, event_id="e7", attempts=attempts, first_at=900.0, remembered=remembered)


def test_a_first_acknowledgement_has_nothing_to_forget() -> None:
    assert next_step(None, tried(1), POLICY, NOW) == Ack(forget=False)


@pytest.mark.parametrize(("attempts", "remembered"), [(2, False), (1, True)])
def test_an_acknowledged_retry_clears_its_persisted_schedule(attempts: int, remembered: bool) -> None:
    assert next_step(None, tried(attempts, remembered), POLICY, NOW) == Ack(forget=True)


def test_a_gone_callback_is_offline_not_a_failure() -> None:
    assert next_step(Gone("callback no longer exists"), tried(3), POLICY, NOW) == Offline()


@pytest.mark.parametrize("error", [Refused("refused by subscriber: busy"), Failed("no answer within 10 ms")])
def test_a_failure_with_attempts_left_is_retried_with_backoff_and_remembered(error: PushError) -> None:
    step = next_step(error, tried(2), POLICY, NOW, random.Random(1))
    assert isinstance(step, Retry)
    assert NOW + 1.0 <= step.at <= NOW + 2.0, "attempt 2 waits within [ceiling/2, ceiling] of a 2 s ceiling"
    assert step.state == RetryState(7, "e7", 2, 900.0, step.at, str(error))


def test_an_exhausted_event_is_dead_and_parks_its_ticket() -> None:
    step = next_step(Refused("refused by subscriber: no"), tried(3), POLICY, NOW)
    assert step == Dead("refused by subscriber: no", 3, park=True)


def test_an_error_without_text_is_named_by_its_type() -> None:
    step = next_step(Failed(), tried(3), POLICY, NOW)
    assert step == Dead("Failed", 3, park=True)


def test_a_record_of_a_parked_ticket_waits_behind_the_dead_event() -> None:
    step = admit("T1", {}, Park("e1", at=50.0))
    assert step == Dead("parked: ticket T1 waits behind dead event e1", 0, park=False)


def test_a_record_replayed_after_the_park_passes_it() -> None:
    assert admit("T1", {"replayAt": "60.0"}, Park("e1", at=50.0)) is None


@pytest.mark.parametrize("replay_at", ["40.0", "not a time", ""])
def test_a_record_replayed_before_the_park_or_unreadably_waits(replay_at: str) -> None:
    assert isinstance(admit("T1", {"replayAt": replay_at}, Park("e1", at=50.0)), Dead)


def test_an_unparked_ticket_is_admitted() -> None:
    assert admit("T1", {}, None) is None


def test_a_fresh_record_starts_at_zero_attempts_now() -> None:
    assert resume(None, 7, "e7", NOW) == (Attempted(7, "e7", 0, NOW, remembered=False), 0.0)


def test_a_remembered_record_resumes_its_count_and_waits_out_its_backoff() -> None:
    memory = RetryState(7, "e7", 4, 900.0, NOW + 2.5, "refused")
    assert resume(memory, 7, "e7", NOW) == (Attempted(7, "e7", 4, 900.0, remembered=True), 2.5)
    overdue = RetryState(7, "e7", 4, 900.0, NOW - 5, "refused")
    assert resume(overdue, 7, "e7", NOW)[1] == 0.0
