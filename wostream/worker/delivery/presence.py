"""Which subscribers can be pushed to now: delivery waits here while a subscriber is offline or paused, so
its events are not tried, retried or counted as failures until it registers a callback again."""

from __future__ import annotations

import asyncio

from wostream.core.directory import Directory


class Presence:
    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self._online: dict[str, asyncio.Event] = {}
        directory.watch(self)

    def subscriber_changed(self, base_code: str) -> None:
        event = self._online.setdefault(base_code, asyncio.Event())
        if self.directory.online(base_code):
            event.set()
        else:
            event.clear()

    async def wait_online(self, base_code: str) -> None:
        event = self._online.setdefault(base_code, asyncio.Event())
        if self.directory.online(base_code):
            event.set()
        await event.wait()
