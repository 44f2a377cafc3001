"""Writes a subscriber's dead letters, and the park that makes its ticket's later events follow them.

The dead topic must hold the event before its offset is committed, so a write that fails is tried again until
it succeeds (the broker being away is the only reason it fails); the park is written first, so a crash between
the two leaves the ticket parked with its dead event still to be written, never the reverse.
"""

from __future__ import annotations

import asyncio
import logging
import time

from wostream.broker.producer import Producer
from wostream.config.settings import Settings
from wostream.core.decisions import Dead
from wostream.core.schedules import Park, Schedules
from wostream.records.headers import DeadLetter, dead_letter_headers
from wostream.records.state import park_key, park_value
from wostream.worker.delivery.lanes import Record, source_of, ticket_of
from wostream.worker.stats import Stats

log = logging.getLogger(__name__)


class DeadLetters:
    def __init__(self, settings: Settings, schedules: Schedules, producer: Producer, stats: Stats) -> None:
        self.settings = settings
        self.schedules = schedules
        self.producer = producer
        self.stats = stats

    async def write(self, base_code: str, record: Record, event_id: str, step: Dead, first_at: float) -> None:
        """Into `wo.dead.<baseCode>`, in order; with `step.park` the ticket's later events follow it there."""
        dead = DeadLetter(event_id, step.reason, step.attempts, first_at, time.time(), source_of(record))
        ticket = ticket_of(record)
        headers = dead_letter_headers(dead, record.headers)
        while True:
            try:
                if step.park:
                    parked = Park(dead.event_id, time.time())
                    key = park_key(base_code, ticket)
                    await self.producer.send_and_wait(
                        self.settings.retries_topic, key=key, value=park_value(parked)
                    )
                    self.schedules.put_park(base_code, ticket, parked)
                topic = self.settings.dead_topic(base_code)
                await self.producer.send_and_wait(topic, key=record.key, value=record.value, headers=headers)
                break
            except Exception as exc:  # the dead topic must get it before the offset moves on
                log.error("dead-lettering %s for %s failed, retrying: %s", dead.event_id, base_code, exc)
                await asyncio.sleep(1.0)
        log.warning(
            "event %s of ticket %s dead-lettered for %s: %s", dead.event_id, ticket, base_code, dead.reason
        )
        self.stats.dead(base_code, dead.reason)
