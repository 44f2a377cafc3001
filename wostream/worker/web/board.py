"""Every subscriber's state, polled from Kafka every few seconds, with an hour of history for the trends.

Each worker polls for itself (the facts are the broker's, so they agree); the page, `/subscribers` and
`/metrics` read the latest poll and never wait on the broker themselves.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field

from aiokafka.errors import KafkaError

from wostream.broker.offsets import OffsetReader
from wostream.config.settings import Settings
from wostream.core.directory import Directory
from wostream.core.schedules import Schedules
from wostream.core.subscriber_status import Facts, Status, per_minute, retry_summary, status_of

log = logging.getLogger(__name__)

HISTORY = 3600.0  # seconds of samples kept per subscriber


@dataclass
class Sample:
    at: float
    done: int
    backlog: int


@dataclass
class StatusBoard:
    settings: Settings
    directory: Directory
    schedules: Schedules
    statuses: dict[str, Status] = field(default_factory=dict)
    history: dict[str, deque[Sample]] = field(default_factory=dict)
    polled_at: float | None = None

    async def run(self) -> None:
        """For the worker's life (supervised)."""
        reader = OffsetReader(self.settings)
        await reader.start()
        try:
            while True:
                try:
                    facts = await reader.facts(list(self.directory.subscriptions))
                    self.update(facts, time.time())
                except KafkaError as exc:  # the broker away for a while: keep the last figures, try again
                    log.warning("polling the subscribers' figures failed, retrying: %s", exc)
                await asyncio.sleep(self.settings.status_interval)
        finally:
            await reader.stop()

    def update(self, facts: dict[str, Facts], now: float) -> None:
        retrying, errors = retry_summary(self.schedules.retries, self.settings.base_code_of)
        statuses = {}
        for code, sub in list(self.directory.subscriptions.items()):
            found = facts.get(code, Facts(0, None, 0, 0))
            samples = self.history.setdefault(
                code, deque(maxlen=int(HISTORY / max(self.settings.status_interval, 1)))
            )
            samples.append(Sample(now, found.done, found.backlog))
            rate = per_minute([(s.at, s.done) for s in samples], now)
            online = self.directory.online(code)
            statuses[code] = status_of(sub, online, found, retrying.get(code, 0), now, rate, errors.get(code))
        self.statuses = statuses
        self.polled_at = now
        for gone in set(self.history) - set(statuses):
            del self.history[gone]
