"""The retry schedule of the records being delivered, kept where every worker finds it.

A record's schedule (attempts, first try, next try) is written to the compacted retries topic as it changes,
so whichever worker owns the partition after a restart or a rebalance resumes it instead of starting over;
waiting out a backoff is cancellable (a revoked partition never waits for it) and counted for the pages.
"""

from __future__ import annotations

import asyncio
import logging

from wostream.broker.producer import Producer
from wostream.config.settings import Settings
from wostream.core.directory import Directory
from wostream.core.models import RetryPolicy
from wostream.core.schedules import RetryState, RetryWhere, Schedules
from wostream.records.state import retry_key, retry_value
from wostream.worker.stats import Stats

log = logging.getLogger(__name__)


class RetryMemory:
    def __init__(
        self,
        settings: Settings,
        directory: Directory,
        schedules: Schedules,
        producer: Producer,
        stats: Stats,
    ) -> None:
        self.settings = settings
        self.directory = directory
        self.schedules = schedules
        self.producer = producer
        self.stats = stats
        self.default_policy = RetryPolicy(settings.retry_attempts, settings.retry_initial, settings.retry_max)

    def policy(self, base_code: str) -> RetryPolicy:
        sub = self.directory.subscriptions.get(base_code)
        return sub.retry if sub is not None and sub.retry is not None else self.default_policy

    def recall(self, where: RetryWhere) -> RetryState | None:
        return self.schedules.retries.get(where)

    async def remember(self, where: RetryWhere, state: RetryState | None) -> None:
        """Persist a record's schedule (None clears it) so any worker resumes it after a restart."""
        self.schedules.put_retry(where, state)
        value = None if state is None else retry_value(state)
        try:
            await self.producer.send_and_wait(self.settings.retries_topic, key=retry_key(*where), value=value)
        except Exception as exc:  # losing the memory only means a fresh schedule after a restart
            log.warning("could not persist the retry state of %s:%d: %s", where[0], where[1], exc)

    async def wait(self, base_code: str, seconds: float) -> None:
        self.stats.retrying(base_code, +1)
        try:
            await asyncio.sleep(seconds)  # cancellable: a revoke never waits for it
        finally:
            self.stats.retrying(base_code, -1)
