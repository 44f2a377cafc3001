"""Everything a worker runs beside Faust's agent: the config feed, the Ice adapter, delivery, one producer.

A `mode.Service`, started by the Faust app (so `faust -A wostream.app worker` runs it all), stopped with it.
The route agent's body is `handoff.submit`, a chunk at a time (see `handoff`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from mode import Service

from wostream.broker.topics import TopicKeeper, core_topics, make_producer, subscriber_topics
from wostream.config.settings import Settings
from wostream.core.directory import Callback, Directory
from wostream.core.drift import Drift
from wostream.ice.adapter import IceService
from wostream.records.state import callback_key, callback_value
from wostream.worker.delivery.engine import DeliveryEngine
from wostream.worker.feed import ConfigFeed
from wostream.worker.handoff import Handoff
from wostream.worker.lag import LoopLag
from wostream.worker.stats import Stats
from wostream.worker.status import StatusBoard
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
        self.topics = TopicKeeper(settings)
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
        self.lag = LoopLag()
        self._topics_changed = asyncio.Event()
        self.board = StatusBoard(settings, self.directory)

    @property
    def producer(self) -> AIOKafkaProducer:
        assert self._producer is not None, "runtime not started"
        return self._producer

    async def on_start(self) -> None:
        # aiokafka logs every partition assignment at INFO: with a thousand subscribers, huge lines
        logging.getLogger("aiokafka").setLevel(logging.WARNING)
        self.loops.spawn("event-loop lag probe", self.lag.run)
        await self.topics.ensure(core_topics(self.settings))
        self._producer = make_producer(self.settings)
        await self._producer.start()
        await self.feed.start()
        self.loops.spawn("config feed", self.feed.run)
        await self.feed.ready.wait()
        self.handoff.start(self._producer)
        self.loops.spawn("route acknowledgements", self.handoff.acknowledge_in_order)
        self.ice.start()
        self.delivery = DeliveryEngine(
            self.settings,
            self.directory,
            self._producer,
            self.ice.push,
            self.ice.push_batch,
            self.stats,
            self.loops.watch,
        )
        await self.delivery.start()
        self.loops.spawn("delivery", self.delivery.run)
        self.loops.spawn("delivery topics", self.delivery.follow_subscriptions)
        self.directory.listeners.append(lambda _code: self._topics_changed.set())
        self.loops.spawn("producer metadata", self._warm_producer)
        self.loops.spawn("stale callbacks", self._drop_stale_callbacks)
        self.loops.spawn("subscriber status", self.board.run)
        self.ready.set()
        log.info("wostream worker ready")

    async def _warm_producer(self) -> None:
        """For the worker's life (supervised): once subscribers stop changing for a second, load the metadata
        of every subscriber's topics in one request. Left to itself the producer asks for each topic it has
        not written to yet, and each request carries every topic it knows: a thousand new subscribers would
        cost a million topic descriptions on the first event for all of them."""
        while True:
            await self._topics_changed.wait()
            while True:
                self._topics_changed.clear()
                try:
                    await asyncio.wait_for(self._topics_changed.wait(), 1.0)
                except TimeoutError:
                    break
            topics = {spec.name for spec in core_topics(self.settings)}
            # push topics only: a dead topic is written rarely, and every topic named here is decoded again on
            # each refresh
            topics |= {self.settings.push_topic(code) for code in list(self.directory.subscriptions)}
            await self.producer.client.set_topics(sorted(topics))

    async def _drop_stale_callbacks(self) -> None:
        """For the worker's life (supervised): ask the router whether each registered callback still has a
        session, and drop (for every worker) those it says are gone. Often at first (a restarted stack finds
        its subscribers' old callbacks dead within seconds), then every 15 s."""
        started = time.monotonic()
        limit = asyncio.Semaphore(50)

        async def check(callback: Callback) -> None:
            async with limit:
                if await self.ice.gone(callback.proxy):
                    log.info(
                        "callback of %s (session %s) is gone: dropped",
                        callback.base_code,
                        callback.session[:8],
                    )
                    await self._register_callback(callback.base_code, callback.session, None)

        while True:
            callbacks = [
                c for sessions in list(self.directory.callbacks.values()) for c in list(sessions.values())
            ]
            await asyncio.gather(*(check(c) for c in callbacks))
            await asyncio.sleep(2.0 if time.monotonic() - started < 60 else 15.0)

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

    async def _ensure_push_topic(self, topic: str) -> None:
        """Cheap once known (the handoff asks for every copy it writes); the publisher normally made it."""
        base_code = self.settings.base_code_of(topic)
        if base_code is None or topic in self.topics.known:
            return
        sub = self.directory.subscriptions.get(base_code)
        await self.topics.ensure(subscriber_topics(self.settings, base_code, sub.partitions if sub else None))

    async def _register_callback(self, base_code: str, session: str, proxy: str | None) -> None:
        """Publish a (de)registration for every worker; applied locally at once so this worker acts on it."""
        batch = proxy is not None and self.settings.batches and await self.ice.takes_batches(proxy)
        now = time.time()
        value = None if proxy is None else callback_value(proxy, now, batch)
        key = callback_key(base_code, session)
        await self.producer.send_and_wait(self.settings.callbacks_topic, key=key, value=value)
        callback = None if proxy is None else Callback(base_code, session, proxy, now, batch)
        self.directory.put_callback(base_code, session, callback)
