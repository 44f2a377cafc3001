"""Everything a worker runs beside Faust's agent: the config feed, the Ice adapter, delivery, one producer.

A `mode.Service`, started by the Faust app (so `faust -A wostream.app worker` runs it all), stopped with it.
`route_one` is the route agent's body: pure routing in, Kafka writes out, nothing acknowledged before the
copies (or the quarantine record) are on the broker.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from mode import Service

from wostream.delivery import Delivery
from wostream.directory import Directory, callback_key, callback_value
from wostream.drift import Drift
from wostream.feed import ConfigFeed
from wostream.iceservice import IceService
from wostream.kafka import core_topics, ensure_topics, make_producer, subscriber_topics
from wostream.models import RouteResult
from wostream.routing import route
from wostream.settings import Settings
from wostream.stats import Stats

log = logging.getLogger(__name__)

Headers = Sequence[tuple[str, bytes]]


class Runtime(Service):
    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.directory = Directory()
        self.stats = Stats()
        self.drift = Drift()
        self.ready = asyncio.Event()
        self._known_topics: set[str] = set()
        self._producer: AIOKafkaProducer | None = None
        self.feed = ConfigFeed(settings, self.directory)
        self.ice = IceService(settings.ice_config, self.directory, self._register_callback)
        self.delivery: Delivery | None = None

    @property
    def producer(self) -> AIOKafkaProducer:
        assert self._producer is not None, "runtime not started"
        return self._producer

    async def on_start(self) -> None:
        await ensure_topics(self.settings, core_topics(self.settings))
        self._producer = make_producer(self.settings)
        await self._producer.start()
        await self.feed.start()
        await self.feed.ready.wait()
        for base_code in list(self.directory.subscriptions):
            await self._ensure_subscriber_topics(base_code)
        self.directory.listeners.append(self._on_directory_change)
        self.ice.start()
        self.delivery = Delivery(self.settings, self.directory, self._producer, self.ice.push, self.stats)
        await self.delivery.start()
        self.ready.set()
        log.info("wostream worker ready")

    async def on_stop(self) -> None:
        self.ready.clear()
        if self.delivery is not None:
            await self.delivery.stop()
        await self.ice.stop()
        await self.feed.stop()
        if self._producer is not None:
            await self._producer.stop()

    def _on_directory_change(self, base_code: str) -> None:
        if (
            base_code in self.directory.subscriptions
            and self.settings.push_topic(base_code) not in self._known_topics
        ):
            self.add_future(self._ensure_subscriber_topics(base_code))

    async def _ensure_subscriber_topics(self, base_code: str) -> None:
        specs = subscriber_topics(self.settings, base_code)
        await ensure_topics(self.settings, specs)
        self._known_topics.update(s.name for s in specs)

    async def _register_callback(self, base_code: str, session: str, proxy: str | None) -> None:
        """Publish a (de)registration for every worker; applied locally at once so this worker acts on it."""
        key = callback_key(base_code, session)
        value = None if proxy is None else callback_value(proxy, time.time())
        await self.producer.send_and_wait(self.settings.callbacks_topic, key=key, value=value)
        self.directory.apply_callback(key, value)

    # -- the route agent's body ----------------------------------------------------------------------------

    async def route_one(self, raw: bytes, key: bytes | None, source: str) -> RouteResult:
        result = route(raw, key, self.directory.index, self.directory.idmaps, self.drift)
        while True:
            try:
                await self._hand_on(result, raw, key, source)
                break
            except Exception as exc:  # broker trouble: the event is not acknowledged until it is handed on
                log.error("could not hand on event from %s, retrying: %s", source, exc)
                await asyncio.sleep(1.0)
        if result.quarantine:
            self.stats.quarantined += 1
            log.warning("quarantined event from %s: %s", source, "; ".join(result.quarantine))
        if result.unsupported:
            self.stats.unsupported += 1
        self.stats.routed += len(result.deliveries)
        return result

    async def _hand_on(self, result: RouteResult, raw: bytes, key: bytes | None, source: str) -> None:
        futures = []
        for d in result.deliveries:
            topic = self.settings.push_topic(d.base_code)
            if topic not in self._known_topics:
                await self._ensure_subscriber_topics(d.base_code)
            headers = [
                ("dataArea", d.data_area.encode()),
                ("changeId", d.change_id.encode()),
                ("eventId", d.event_id.encode()),
            ]
            futures.append(
                await self.producer.send(topic, key=d.key.encode(), value=d.envelope, headers=headers)
            )
        if result.quarantine:
            headers = [("reason", "; ".join(result.quarantine).encode()), ("source", source.encode())]
            if result.event_id:
                headers.append(("eventId", result.event_id.encode()))
            futures.append(
                await self.producer.send(self.settings.quarantine_topic, key=key, value=raw, headers=headers)
            )
        await asyncio.gather(*futures)
