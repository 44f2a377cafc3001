"""What a subscriber may ask of wostream from its own session: what waits for it (the figures the operators'
pages show, from the latest poll of Kafka) and a resync of its own entitled events (`ops.resync`, for it
alone: another subscriber's events are never read for it, let alone pushed). The ice side limits how often."""

from __future__ import annotations

import asyncio
import logging
import time

from wostream.config.settings import Settings
from wostream.ice.contract import ResyncRefused, SubscriberStatus
from wostream.ops.resync import ResyncError, resync
from wostream.worker.web.board import StatusBoard

log = logging.getLogger(__name__)


class SelfService:
    def __init__(self, settings: Settings, board: StatusBoard) -> None:
        self.settings = settings
        self.board = board
        self._one_at_a_time = asyncio.Lock()  # a resync reads whole topics: one per worker at once

    def status(self, base_code: str) -> SubscriberStatus:
        s = self.board.statuses.get(base_code)
        if s is None:
            return SubscriberStatus("unknown", 0, -1, "", 0, 0)
        oldest = -1 if s.oldest_waiting_s is None else int(s.oldest_waiting_s)
        return SubscriberStatus(s.state, s.backlog, oldest, s.last_event_id or "", s.dead, s.retrying)

    async def resync(self, base_code: str, ticket: str | None, since: float | None) -> int:
        async with self._one_at_a_time:
            try:
                tickets = [ticket] if ticket is not None else None
                report = await resync(self.settings, base_code, tickets, since, False, time.time())
            except ResyncError as exc:
                raise ResyncRefused(str(exc)) from None
        log.info("subscriber %s asked for a resync: %d events queued", base_code, report.pushed)
        return report.pushed
