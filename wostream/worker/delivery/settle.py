"""Carries out what `core.decisions` says of a push nobody took: wait for the subscriber, retry later, or
dead-letter. Shared by one-at-a-time and batched delivery, so both keep exactly the same promises."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Literal, Protocol

from wostream.config.settings import Settings
from wostream.core.decisions import Attempted, Dead, Offline, Retry, next_step
from wostream.core.directory import Callback
from wostream.core.outcomes import PushError
from wostream.worker.delivery.dead_letters import DeadLetters
from wostream.worker.delivery.lanes import Lane, Record, where_of
from wostream.worker.delivery.retry_memory import RetryMemory
from wostream.worker.stats import Stats

log = logging.getLogger(__name__)

Settled = Literal["offline", "retrying", "dead"]


class Callbacks(Protocol):
    """Forgets a callback whose session the router says is gone (`worker.feed.callbacks`)."""

    async def forget(self, base_code: str, session: str) -> None: ...


class Settler:
    def __init__(
        self,
        settings: Settings,
        memory: RetryMemory,
        dead_letters: DeadLetters,
        callbacks: Callbacks,
        stats: Stats,
    ) -> None:
        self.settings = settings
        self.memory = memory
        self.dead_letters = dead_letters
        self.callbacks = callbacks
        self.stats = stats

    async def failure(
        self, lane: Lane, record: Record, trying: Attempted, error: PushError | None, callback: Callback
    ) -> Settled:
        """After a push of `record` (alone or heading a batch) that was not acknowledged."""
        step = next_step(error, trying, self.memory.policy(lane.base_code), time.time())
        if isinstance(step, Offline):
            await self.callbacks.forget(lane.base_code, callback.session)
            return "offline"
        if lane.stopping:  # revoked meanwhile: the partition's new owner retries it
            raise asyncio.CancelledError
        self.stats.failed(lane.base_code, str(error) or type(error).__name__)
        if isinstance(step, Dead):
            await self.dead(lane, record, trying.event_id, step, trying.first_at)
            await self.memory.remember(where_of(record), None)
            return "dead"
        if isinstance(step, Retry):
            await self._retry_later(lane, record, trying, step)
        return "retrying"

    async def dead(self, lane: Lane, record: Record, event_id: str, step: Dead, first_at: float) -> None:
        await self.dead_letters.write(lane.base_code, record, event_id, step, first_at)

    async def _retry_later(self, lane: Lane, record: Record, trying: Attempted, step: Retry) -> None:
        delay = max(0.0, step.at - time.time())
        log.info(
            "push to %s failed (event %s, attempt %d/%d): %s; retrying in %.1f s",
            lane.base_code,
            trying.event_id,
            trying.attempts,
            self.memory.policy(lane.base_code).attempts,
            step.state.last_error,
            delay,
        )
        await self.memory.remember(where_of(record), step.state)
        await self.memory.wait(lane.base_code, delay)
