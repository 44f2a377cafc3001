"""The Faust application factory. `wostream.app` holds the one global app that `faust -A` needs.

The route agent is thin: it reads raw bytes and hands them to the runtime's handoff, which routes, writes and
acknowledges them in order.
"""

from __future__ import annotations

import logging
from typing import Any

import faust

from wostream.broker.topics import core_topics, ensure_topics
from wostream.config.settings import Settings
from wostream.worker.handoff import Raw
from wostream.worker.runtime import Runtime
from wostream.worker.tickets import TicketTable
from wostream.worker.web import install_pages

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
    """Creates our topics before Faust's consumer subscribes (Faust declares only its internal ones)."""

    wostream_settings: Settings

    async def on_first_start(self) -> None:
        await super().on_first_start()
        await ensure_topics(self.wostream_settings, core_topics(self.wostream_settings))


def create_app(settings: Settings | None = None) -> faust.App:
    settings = settings or Settings()
    app = WostreamApp(
        settings.app_id,
        broker=settings.broker_url,
        store=settings.store,
        autodiscover=False,
        datadir=str(settings.datadir),
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_bind=settings.web_host,
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
    )
    app.wostream_settings = settings
    tickets = None
    if settings.ticket_memory:
        table = app.Table(
            "tickets", key_type=bytes, value_type=bytes, partitions=settings.partitions, use_partitioner=True
        )
        tickets = TicketTable(table)
    runtime = Runtime(settings, tickets, loop=app.loop, beacon=app.beacon)
    # instances are accepted here (App._prepare_subservice); app.service() only takes a class
    app._extra_services.append(runtime)  # type: ignore[arg-type]

    def route_agent(topic_name: str, rekey: bool) -> None:
        topic = app.topic(topic_name, key_type=bytes, value_type=bytes, partitions=settings.partitions)

        async def route_events(stream: Any) -> None:
            # acknowledged by the handoff, in order, once each chunk's records are confirmed by the broker;
            # a chunk is what arrived within CHUNK_WAIT, at most CHUNK_EVENTS
            async for events in stream.noack_take(CHUNK_EVENTS, within=CHUNK_WAIT):
                await runtime.ready.wait()
                await runtime.handoff.submit([_raw(event, rekey) for event in events])

        app.agent(topic, name=f"wostream.route.{'raw' if rekey else 'by-ticket'}")(route_events)

    # events keyed by their ticket are routed where they are read; the others are first re-sent keyed by it
    route_agent(settings.raw_topic, rekey=settings.ticket_memory)
    if settings.ticket_memory:
        route_agent(settings.rekey_topic, rekey=False)

        app.timer(interval=settings.sweep_interval)(runtime.sweep_tickets)

    install_pages(app, runtime)
    app.runtime = runtime  # type: ignore[attr-defined]
    return app
