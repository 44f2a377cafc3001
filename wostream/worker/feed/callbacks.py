"""The live callbacks every worker must know: registered by a session on one worker, pushed to by another.

A registration (or its end) is published to the compacted callbacks topic, keyed by session, and applied to
this worker's Directory at once so it can act before the topic brings it back; every other worker folds it
from the topic (`feed.config_feed`). Delivery forgets a callback the router says is gone.
"""

from __future__ import annotations

import logging
import time

from wostream.broker.producer import Producer
from wostream.config.settings import Settings
from wostream.core.directory import Callback, Directory
from wostream.records.state import callback_key, callback_value

log = logging.getLogger(__name__)


class CallbackBook:
    def __init__(self, settings: Settings, directory: Directory, producer: Producer) -> None:
        self.settings = settings
        self.directory = directory
        self.producer = producer

    async def register(self, base_code: str, session: str, proxy: str | None, batch: bool) -> None:
        """Publish a session's callback (None: its end) for every worker; returns once it is on the broker."""
        now = time.time()
        value = None if proxy is None else callback_value(proxy, now, batch)
        key = callback_key(base_code, session)
        await self.producer.send_and_wait(self.settings.callbacks_topic, key=key, value=value)
        callback = None if proxy is None else Callback(base_code, session, proxy, now, batch)
        self.directory.put_callback(base_code, session, callback)

    async def forget(self, base_code: str, session: str) -> None:
        """A callback found gone: dropped here at once, and for every worker (a tombstone), so none keeps
        pushing into the void. A failed publish only means other workers find it gone themselves."""
        self.directory.put_callback(base_code, session, None)
        try:
            key = callback_key(base_code, session)
            await self.producer.send_and_wait(self.settings.callbacks_topic, key=key, value=None)
        except Exception as exc:
            log.warning("could not publish the stale callback of %s: %s", base_code, exc)

    def live(self) -> list[Callback]:
        return [c for sessions in list(self.directory.callbacks.values()) for c in list(sessions.values())]
