"""The retry schedule: exponential backoff with full jitter, capped. A pure function of the attempt number."""

from __future__ import annotations

import random

from wostream.core.models import RetryPolicy


def backoff(attempt: int, policy: RetryPolicy, rand: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based).

    The ceiling doubles from `initial` up to `max`; the wait is drawn from [ceiling/2, ceiling] so that many
    events failing together do not retry in lockstep, while the schedule still grows visibly.
    """
    if attempt < 1:
        raise ValueError(f"attempt must be >= 1, got {attempt}")
    ceiling: float = min(policy.max, policy.initial * 2.0 ** min(attempt - 1, 60))
    r: float = (rand or random).random()
    return ceiling / 2 + r * ceiling / 2


def exhausted(attempt: int, policy: RetryPolicy) -> bool:
    """True when `attempt` failed attempts use up the policy: the event goes to the dead topic."""
    return attempt >= policy.attempts
