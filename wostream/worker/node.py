"""One worker process: builds the flows its role runs, and starts and stops them. Nothing else happens here.

    every role   config feed ─► Directory ◄─ Ice adapter (Glacier2 verifier + sessions) ─► CallbackBook
                 StatusBoard (figures from Kafka) ─► web port (/, /health, /subscribers, /metrics)
    route        Faust agents ─► RoutePipeline ─► push topics          (the Faust app runs this Node)
    deliver      DeliveryGroup ─► lanes ─► SingleDelivery / BatchDelivery ─► Ice calls through the routers

A `mode.Service`: the Faust app starts it as a dependency (`faust -A wostream.app worker`, roles route and
all); the deliver role runs it alone (`wostream worker` with WOSTREAM_ROLE=deliver). docs/architecture.md
draws the whole picture.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka.errors import KafkaError
from mode import Service

from wostream.broker.groups import group_refusal, refused_groups
from wostream.broker.preflight import refusal
from wostream.broker.producer import Producer
from wostream.broker.topics import TopicKeeper, core_topics, make_producer
from wostream.config.settings import Settings
from wostream.core.directory import Directory
from wostream.core.drift import Drift
from wostream.core.schedules import Schedules
from wostream.ice.adapter import IceService
from wostream.worker.delivery.dead_letters import DeadLetters
from wostream.worker.delivery.group import DeliveryGroup
from wostream.worker.delivery.presence import Presence
from wostream.worker.delivery.retry_memory import RetryMemory
from wostream.worker.delivery.settle import Settler
from wostream.worker.delivery.single import SingleDelivery
from wostream.worker.feed.callbacks import CallbackBook
from wostream.worker.feed.config_feed import ConfigFeed
from wostream.worker.lag import LoopLag
from wostream.worker.log_limits import limit_repeats
from wostream.worker.route.pipeline import RoutePipeline
from wostream.worker.route.push_topics import PushTopics
from wostream.worker.route.ticket_table import TicketTable
from wostream.worker.route.watch import RouteWatch
from wostream.worker.self_service import SelfService
from wostream.worker.stats import Stats
from wostream.worker.supervisor import Supervisor
from wostream.worker.web.board import StatusBoard
from wostream.worker.web.server import WebServer

log = logging.getLogger(__name__)

ADMISSION_RETRY = 10.0  # seconds between two attempts to be taken by the broker
START_RETRY = 5.0  # seconds between two attempts to start a Kafka client once admitted
Step = Callable[[], Awaitable[None]]


class Node(Service):
    def __init__(self, settings: Settings, tickets: TicketTable | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.tickets = tickets
        self.directory = Directory()
        self.schedules = Schedules()
        self.stats = Stats()
        self.drift = Drift()
        self.lag = LoopLag()
        self.loops = Supervisor()
        self.ice = IceService(settings, self.directory)
        self.feed = ConfigFeed(settings, self.directory, self.schedules, self.ice)
        self.board = StatusBoard(settings, self.directory, self.schedules)
        self.web = WebServer(settings, self)
        self.route: RoutePipeline | None = None
        self.delivery: DeliveryGroup | None = None
        self.watch: RouteWatch | None = None  # the Faust app sets it: it knows which partitions are ours
        self.ready = asyncio.Event()  # the flows of this role are built and started
        self.consuming = asyncio.Event()  # routing: Faust consumes (its tables recovered); set by the app
        self._producer: Producer | None = None
        self.refused: str | None = None  # why this worker cannot start yet (broker, Ice port)
        self._admitted = False

    async def admit(self) -> None:
        """The web port up (/health says "starting", or why the broker refuses us), then wait until the broker
        takes this worker. The Faust app calls it before its own clients start; once is enough."""
        if self._admitted:
            return
        # aiokafka logs every partition assignment at INFO: with a thousand subscribers, huge lines
        logging.getLogger("aiokafka").setLevel(logging.WARNING)
        limit_repeats()  # a broker away, or a login flood: a few lines a second, not thousands
        await self.web.maybe_start()
        await self._until_admitted()
        self._admitted = True

    async def on_start(self) -> None:
        settings = self.settings
        await self.admit()
        self.loops.spawn("event-loop lag probe", self.lag.run)
        await until_started(self, "producer", self._start_producer, self._stop_producer)
        producer = self._producer
        assert producer is not None
        self.ice.prepare()
        await until_started(self, "config feed", self.feed.start, self.feed.stop)
        self.loops.spawn("config feed", self.feed.run)
        await self.feed.ready.wait()
        callbacks = CallbackBook(settings, self.directory, producer)
        desk = SelfService(settings, self.board)
        await until_listening(self, lambda: self.ice.serve(callbacks, desk))
        if settings.routes:
            self._start_routing(producer)
        if settings.delivers:
            await self._start_delivery(producer, callbacks)
        self.loops.spawn("subscriber status", self.board.run)
        self.ready.set()
        log.info("wostream worker ready (role: %s)", settings.role)

    async def _start_producer(self) -> None:
        self._producer = make_producer(self.settings)
        await self._producer.start()

    async def _stop_producer(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def _until_admitted(self) -> None:
        """Until the broker takes this worker's principal, serves wostream's topics and lets it use its
        consumer groups: meanwhile one line says why (also on /health), and the worker waits instead of
        exiting (a Secret or an ACL is being fixed)."""
        while True:
            why = await refusal(self.settings)
            if why is None:
                try:
                    await TopicKeeper(self.settings).ensure(core_topics(self.settings))
                    refused = await refused_groups(self.settings)
                    if not refused:
                        self.refused = None
                        return
                    why = group_refusal(self.settings, refused)
                except (KafkaError, TimeoutError) as exc:
                    said = str(exc) or "no answer in time"
                    why = f"Kafka did not serve wostream's topics: {type(exc).__name__}: {said}"
            self.refused = why
            log.error("%s; trying again in %.0f s", why, ADMISSION_RETRY)
            await asyncio.sleep(ADMISSION_RETRY)

    def _start_routing(self, producer: Producer) -> None:
        settings, tickets = self.settings, self.tickets
        topics = PushTopics(settings, self.directory, producer)
        self.route = RoutePipeline(
            settings, self.directory, topics, producer, tickets, self.stats, self.drift
        )
        self.loops.spawn("route acknowledgements", self.route.acknowledge_in_order)
        self.loops.spawn("producer metadata", topics.warm)
        if self.watch is not None:
            self.loops.spawn("route watch", self.watch.run)
        if tickets is not None:
            ttl, every = settings.ticket_ttl, settings.sweep_interval
            self.loops.spawn(
                "ticket sweep", lambda: tickets.sweep_every(every, ttl, producer, settings.latest_topic)
            )

    async def _start_delivery(self, producer: Producer, callbacks: CallbackBook) -> None:
        settings, directory, stats = self.settings, self.directory, self.stats
        memory = RetryMemory(settings, directory, self.schedules, producer, stats)
        dead_letters = DeadLetters(settings, self.schedules, producer, stats)
        settler = Settler(settings, memory, dead_letters, callbacks, stats)
        assert self.ice.caller is not None
        single = SingleDelivery(
            settings, directory, self.schedules, Presence(directory), settler, self.ice.caller
        )
        self.delivery = DeliveryGroup(settings, directory, single, stats, self.loops)
        await until_started(self, "delivery group", self.delivery.start, self.delivery.stop)
        self.loops.spawn("delivery", self.delivery.run)
        self.loops.spawn("delivery topics", self.delivery.follow_subscriptions)
        self.loops.spawn("stale callbacks", self.ice.drop_stale_callbacks)

    def is_ready(self) -> bool:
        return self.ready.is_set() and (self.consuming.is_set() or not self.settings.routes)

    def problems(self) -> list[str]:
        """Why this worker should not be trusted right now: empty when it is healthy (/health says 200)."""
        if self.refused is not None:
            return [self.refused]
        if not self.ready.is_set():
            return ["starting: the configuration topics are not loaded yet"]
        if not self.is_ready():
            return ["starting: Faust is joining the raw topic's group and recovering ticket memory"]
        found = self.loops.problems()
        waited = self.route.oldest_wait() if self.route is not None else 0.0
        if waited > self.settings.stall_seconds:
            found.append(f"routing stalled: the oldest raw event has waited {waited:.0f} s to be handed on")
        if self.watch is not None and self.watch.problem is not None:
            found.append(self.watch.problem)
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
        await self.web.stop()


async def until_started(node: Node, what: str, start: Step, undo: Step) -> None:
    """Start a Kafka client. The broker may go away between admission and here (a restart): that is waited
    out, said on /health and in one line, not a crash of the worker with a traceback."""

    def why(exc: Exception) -> str:
        said, kind = str(exc), type(exc).__name__
        said = said if said.startswith(kind) else f"{kind}: {said}"  # aiokafka's errors name themselves
        return f"Kafka went away while the {what} started ({said})"

    await _until(node, start, (KafkaError, OSError, TimeoutError), why, undo)


async def until_listening(node: Node, listen: Callable[[], None]) -> None:
    """Open the Ice adapter. Its port may still be held (the process before this one on its way out, or a
    wrong endpoint in the ConfigMap): waited out, said on /health and in one line, not a traceback."""

    async def attempt() -> None:
        listen()

    await _until(node, attempt, (OSError,), lambda exc: getattr(exc, "strerror", None) or str(exc))


async def _until(
    node: Node,
    attempt: Step,
    errors: tuple[type[Exception], ...],
    why: Callable[[Exception], str],
    undo: Step | None = None,
) -> None:
    """Try `attempt` every START_RETRY seconds until it succeeds; meanwhile `node.refused` says why."""
    while True:
        try:
            await attempt()
        except errors as exc:
            node.refused = why(exc)
            log.error("%s; trying again in %.0f s", node.refused, START_RETRY)
            if undo is not None:
                with contextlib.suppress(Exception):
                    await undo()
            await asyncio.sleep(START_RETRY)
        else:
            node.refused = None
            return


def serve(settings: Settings, loglevel: str) -> None:
    """Run a worker without Faust (the deliver role) until SIGTERM or Ctrl-C: a bounded drain, then exit."""
    import mode.loop
    from mode import Worker

    mode.loop.use(settings.event_loop)  # before any loop is made
    Worker(Node(settings), loglevel=loglevel).execute_from_commandline()
