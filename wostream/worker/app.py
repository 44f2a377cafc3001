"""The Faust application factory (roles route and all). `wostream.app` holds the one global app `faust -A`
needs; tests and tools build their own with `create_app(settings)`.

The Faust app reads the raw topic (and its re-keyed copy) and keeps ticket memory in a Table; everything else
the worker does runs in its `Node`, which the app starts as a dependency. The agents are thin: each hands the
chunk Faust gathered to the route pipeline, which routes, writes and acknowledges in order.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import faust
from faust.types.auth import SASLMechanism

from wostream.broker.clients import ssl_context
from wostream.broker.pacing import pace_metadata_updates
from wostream.broker.topics import core_topics, ensure_topics, faust_topics
from wostream.config.settings import Settings
from wostream.worker.node import Node, until_started
from wostream.worker.route.acks import RouteConsumer, RouteTransport
from wostream.worker.route.acks import explain as explain_route
from wostream.worker.route.holes import LogHoles
from wostream.worker.route.patience import PatientTopic
from wostream.worker.route.pipeline import Raw
from wostream.worker.route.ticket_table import TicketTable
from wostream.worker.route.watch import RouteWatch

log = logging.getLogger(__name__)

CHUNK_EVENTS = 1000  # raw events routed and written together (one batch per topic partition)
# seconds an event may wait for others to join its chunk; measured against handing each event to a
# routing task of its own (P1, 50 000 events): 2 654 and 2 392 events/s against 2 154 and 1 951
CHUNK_WAIT = 0.002


def _raw(event: Any, rekey: bool) -> Raw:
    message = event.message
    source = f"{message.topic}:{message.partition}:{message.offset}"
    return Raw(event, bytes(event.value or b""), message.key, source, rekey)


class WostreamApp(faust.App):
    """Waits until the broker takes this worker, then creates our topics, before any of Faust's clients starts
    (Faust declares only its internal topics, and exits with a traceback on a broker that refuses it)."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        super().__init__(settings.app_id, **options)
        self.wostream_settings = settings
        self.wostream_node: Node | None = None

    async def on_first_start(self) -> None:
        await super().on_first_start()
        settings = self.wostream_settings
        assert self.wostream_node is not None, "create_app() sets the node"
        await self.wostream_node.admit()  # the web port up, then one line a try and /health until admitted
        renew(self.conf.broker_credentials, settings)  # a password file fixed meanwhile is read again
        topics = core_topics(settings) + faust_topics(settings)

        async def ensure() -> None:
            await ensure_topics(settings, topics)

        # the broker may restart right after admitting us: waited out and said, not a traceback and an exit
        await until_started(self.wostream_node, "topic check", ensure, _nothing)

    def _new_transport(self) -> Any:
        """Faust's Kafka transport, with a consumer that commits only what routing handed on (`acks.py`)."""
        settings = self.wostream_settings
        return RouteTransport(
            self.conf.broker_consumer, self, frozenset({settings.raw_topic, settings.rekey_topic})
        )

    def hand_on(self, event: Any) -> object:
        return self._route_consumer().hand_on(event.message)

    async def in_order(self, events: list[Any]) -> list[Any]:
        """The events routing may take now: none beyond a hole in what Faust handed over (`acks.py`)."""
        consumer = self._route_consumer()
        return [event for event in events if await consumer.admit(event.message)]

    def _route_consumer(self) -> RouteConsumer:
        consumer = self.consumer
        assert isinstance(consumer, RouteConsumer)
        if consumer.holes is None:
            consumer.holes = LogHoles(self.wostream_settings)
        return consumer


async def _nothing() -> None:
    """Nothing to undo after a failed topic check."""


def credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    """Faust's consumer, producer and topic creation reach the cluster as our own clients do."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = ssl_context(settings)
    if protocol == "SSL":
        return faust.SSLCredentials(context)
    return faust.SASLCredentials(
        username=settings.kafka_username,
        password=settings.kafka_secret(),
        ssl_context=context,
        mechanism=SASLMechanism(settings.kafka_sasl_mechanism),
    )


def renew(current: Any, settings: Settings) -> None:
    """Faust's credentials, in place, as they are now (Faust's clients read them when they start, after
    admission; replacing the object would come too late for the ones Faust configured already)."""
    if isinstance(current, faust.SASLCredentials):
        current.password = settings.kafka_secret()
        current.ssl_context = ssl_context(settings)
    elif isinstance(current, faust.SSLCredentials):
        current.context = ssl_context(settings) or current.context


def create_app(settings: Settings | None = None) -> WostreamApp:
    settings = settings or Settings()
    pace_metadata_updates()  # Faust's clients too
    if not settings.routes:
        raise ValueError(
            "WOSTREAM_ROLE=deliver runs without Faust: start it with `wostream worker`, not `faust -A`"
        )
    app = WostreamApp(
        settings,
        broker=settings.broker_url,
        broker_credentials=credentials(settings),
        store=settings.store,
        autodiscover=False,
        datadir=str(settings.datadir),
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication,
        key_serializer="raw",
        value_serializer="raw",
        broker_commit_interval=settings.commit_interval,
        # a killed worker's partitions move to the others after a few seconds, not Faust's default 60 s
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=settings.session_timeout / 3,
        producer_acks=-1,
        # Faust's producer writes the tickets table's changelog: one request per record by default (linger 0)
        # costs the worker and the broker more than routing the event
        producer_linger_ms=5,
        # An event is acknowledged only after it is handed on; with the broker away that can take a while,
        # and a rebalance must not wait for it (it is simply not committed, and is routed again).
        stream_wait_empty=False,
        web_tables_enabled=False,
        # wostream elects no leader: without this Faust makes and reads a leader topic as it starts
        topic_disable_leader=True,
        Topic=PatientTopic,  # the changelog's declare waits a broker restart out
    )
    tickets = None
    if settings.ticket_memory:
        table = app.Table(
            "tickets", key_type=bytes, value_type=bytes, partitions=settings.partitions, use_partitioner=True
        )
        tickets = TicketTable(table)
    node = Node(settings, tickets, loop=app.loop, beacon=app.beacon)
    app.wostream_node = node
    phases: dict[str, tuple[str, float]] = {}  # per route agent: what it is doing, since when

    def explain(topic: str, partition: int) -> str:
        """What the route side knows of a stalled partition: the consumer, the pipeline, the agents."""
        now = time.monotonic()
        said = [explain_route(app._route_consumer(), topic, partition)]
        said.append(node.route.describe() if node.route is not None else "no route pipeline")
        said += [f"agent {name} {what} for {now - since:.1f} s" for name, (what, since) in phases.items()]
        return "; ".join(said)

    node.watch = RouteWatch(settings, lambda: set(app.consumer.assignment()), node.consuming, explain)
    app.add_dependency(node)
    app.web_server(node.web)  # the worker's own web port, in place of Faust's

    async def consuming() -> None:
        """Faust runs its tasks once it consumes, its tables recovered: the worker is ready from then on."""
        node.consuming.set()

    app.task(consuming)

    def route_agent(topic_name: str, rekey: bool) -> None:
        topic = app.topic(topic_name, key_type=bytes, value_type=bytes, partitions=settings.partitions)

        async def route_events(stream: Any) -> None:
            # acknowledged by the pipeline, in order, once each chunk's records are confirmed by the broker;
            # a chunk is what arrived within CHUNK_WAIT, at most CHUNK_EVENTS
            name = "raw" if rekey else "by-ticket"
            phases[name] = ("waiting for events", time.monotonic())
            async for events in stream.noack_take(CHUNK_EVENTS, within=CHUNK_WAIT):
                phases[name] = (f"judging {len(events)} events", time.monotonic())
                await node.ready.wait()
                assert node.route is not None
                events = await app.in_order(events)
                phases[name] = (f"submitting {len(events)} events", time.monotonic())
                if events:
                    await node.route.submit([_raw(event, rekey) for event in events], app.hand_on)
                phases[name] = ("waiting for events", time.monotonic())

        app.agent(topic, name=f"wostream.route.{'raw' if rekey else 'by-ticket'}")(route_events)

    # events keyed by their ticket are routed where they are read; the others are first re-sent keyed by it
    route_agent(settings.raw_topic, rekey=settings.ticket_memory)
    if settings.ticket_memory:
        route_agent(settings.rekey_topic, rekey=False)
    return app
