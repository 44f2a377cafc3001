"""Everything a worker runs beside Faust's agent: the config feed, the Ice adapter, delivery, one producer.

A `mode.Service`, started by the Faust app (so `faust -A wostream.app worker` runs it all), stopped with it.
The route agent's body is `handoff.submit` (see `handoff`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from mode import Service

from wostream.broker.topics import core_topics, ensure_topics, make_producer, subscriber_topics
from wostream.config.settings import Settings
from wostream.core.directory import Callback, Directory
from wostream.core.drift import Drift
from wostream.ice.adapter import IceService
from wostream.records.state import callback_key, callback_value
from wostream.worker.delivery.engine import DeliveryEngine
from wostream.worker.feed import ConfigFeed
from wostream.worker.handoff import Handoff
from wostream.worker.stats import Stats
from wostream.worker.supervisor import Supervisor
from wostream.worker.tickets import TicketTable

log = logging.getLogger(__name__)

Headers = Sequence[tuple[str, bytes]]


class Runtime(Service):
    def __init__(self, settings: Settings, tickets: TicketTable | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.tickets = tickets
        self.directory = Directory()
        self.stats = Stats()
        self.drift = Drift()
        self.ready = asyncio.Event()
        self._known_topics: set[str] = set()
        self._producer: AIOKafkaProducer | None = None
        self.feed = ConfigFeed(settings, self.directory)
        self.ice = IceService(
            settings.ice_config, self.directory, self._register_callback, settings.max_sessions
        )
        self.delivery: DeliveryEngine | None = None
        self.handoff = Handoff(
            settings, self.directory, self.stats, self.drift, self._ensure_push_topic, tickets
        )
        self.loops = Supervisor()

    @property
    def producer(self) -> AIOKafkaProducer:
        assert self._producer is not None, "runtime not started"
        return self._producer

    async def on_start(self) -> None:
        await ensure_topics(self.settings, core_topics(self.settings))
        self._producer = make_producer(self.settings)
        await self._producer.start()
        await self.feed.start()
        self.loops.spawn("config feed", self.feed.run)
        await self.feed.ready.wait()
        for base_code in list(self.directory.subscriptions):
            await self._ensure_subscriber_topics(base_code)
        self.directory.listeners.append(self._on_directory_change)
        self.handoff.start(self._producer)
        self.loops.spawn("route acknowledgements", self.handoff.acknowledge_in_order)
        self.ice.start()
        self.delivery = DeliveryEngine(
            self.settings, self.directory, self._producer, self.ice.push, self.stats, self.loops.watch
        )
        await self.delivery.start()
        self.loops.spawn("delivery", self.delivery.run)
        self.ready.set()
        log.info("wostream worker ready")

    async def sweep_tickets(self) -> None:
        """Forget tickets that ended long ago (a Faust timer; a failure is logged, never fatal)."""
        if self.tickets is None or self._producer is None or not self.ready.is_set():
            return
        try:
            await self.tickets.sweep(
                time.time(), self.settings.ticket_ttl, self._producer, self.settings.latest_topic
            )
        except Exception:
            log.exception("sweeping expired tickets failed; trying again at the next sweep")

    def problems(self) -> list[str]:
        """Why this worker should not be trusted right now: empty when it is healthy (/health says 200)."""
        if not self.ready.is_set():
            return ["starting: the configuration topics are not loaded yet"]
        found = self.loops.problems()
        waited = self.handoff.oldest_wait()
        if waited > self.settings.stall_seconds:
            found.append(f"routing stalled: the oldest raw event has waited {waited:.0f} s to be handed on")
        return found

    async def on_stop(self) -> None:
        self.ready.clear()
        await self.loops.stop()
        if self.delivery is not None:
            await self.delivery.stop()
        await self.ice.stop()
        await self.feed.stop()
        if self._producer is not None:
            await self._producer.stop()

    def _on_directory_change(self, base_code: str) -> None:
        if base_code in self.directory.subscriptions:
            self.add_future(self._ensure_quietly(base_code))

    async def _ensure_quietly(self, base_code: str) -> None:
        """A topic the broker cannot make now is made when the first copy needs it: never a crash."""
        try:
            await self._ensure_subscriber_topics(base_code)
        except Exception as exc:
            log.warning("could not make the topics of %s yet: %s", base_code, exc)

    async def _ensure_push_topic(self, topic: str) -> None:
        base_code = self.settings.base_code_of(topic)
        if base_code is not None:
            await self._ensure_subscriber_topics(base_code)

    async def _ensure_subscriber_topics(self, base_code: str) -> None:
        """Idempotent and cheap once known: the route handoff calls it for every copy it writes."""
        if self.settings.push_topic(base_code) in self._known_topics:
            return
        specs = subscriber_topics(self.settings, base_code)
        await ensure_topics(self.settings, specs)
        self._known_topics.update(s.name for s in specs)

    async def _register_callback(self, base_code: str, session: str, proxy: str | None) -> None:
        """Publish a (de)registration for every worker; applied locally at once so this worker acts on it."""
        now = time.time()
        value = None if proxy is None else callback_value(proxy, now)
        key = callback_key(base_code, session)
        await self.producer.send_and_wait(self.settings.callbacks_topic, key=key, value=value)
        callback = None if proxy is None else Callback(base_code, session, proxy, now)
        self.directory.put_callback(base_code, session, callback)
