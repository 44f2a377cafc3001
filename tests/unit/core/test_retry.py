from __future__ import annotations

import random

import pytest

from wostream.core.models import RetryPolicy
from wostream.core.retry import backoff, exhausted


def test_backoff_doubles_within_jitter_and_caps() -> None:
    policy = RetryPolicy(attempts=10, initial=1.0, max=8.0)
    rand = random.Random(7)
    waits = [backoff(n, policy, rand) for n in range(1, 7)]
    ceilings = [1, 2, 4, 8, 8, 8]
    for wait, ceiling in zip(waits, ceilings, strict=True):
        assert ceiling / 2 <= wait <= ceiling


def test_backoff_is_jittered() -> None:
    policy = RetryPolicy(attempts=10, initial=4.0, max=60.0)
    assert len({round(backoff(3, policy, random.Random(seed)), 6) for seed in range(20)}) > 10


def test_backoff_rejects_attempt_zero() -> None:
    with pytest.raises(ValueError, match="attempt must be >= 1, got 0"):
        backoff(0, RetryPolicy())


def test_exhausted_after_the_configured_attempts() -> None:
    policy = RetryPolicy(attempts=3)
    assert [exhausted(n, policy) for n in (1, 2, 3)] == [False, False, True]
