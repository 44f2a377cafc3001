"""Prometheus exposition, collected on scrape: the cluster-wide figures of every subscriber (from the latest
poll of Kafka: the same on every worker), this worker's own counters, and a push-latency histogram.

Names follow Prometheus conventions: base units, `_total` for counters (added by the client library).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from wostream.core.directory import Directory
from wostream.core.subscriber_status import STATES, Status
from wostream.worker.lag import LoopLag
from wostream.worker.stats import Stats, SubscriberStats
from wostream.worker.web.board import StatusBoard

PUSH_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
Reader = Callable[[SubscriberStats], float]
THIS_WORKER: tuple[tuple[str, str, str, Reader], ...] = (
    (
        "counter",
        "wostream_delivered",
        "Events acknowledged by the subscriber (this worker)",
        lambda s: s.delivered,
    ),
    (
        "counter",
        "wostream_push_failures",
        "Pushes that failed and were retried (this worker)",
        lambda s: s.failures,
    ),
    ("counter", "wostream_dead_lettered", "Events this worker sent to the dead topic", lambda s: s.dead),
    ("gauge", "wostream_retrying", "Tickets waiting out a backoff on this worker", lambda s: s.retrying),
)
CLUSTER: tuple[tuple[str, str, Callable[[Status], float | None]], ...] = (
    (
        "wostream_backlog_events",
        "Events waiting in the subscriber's push topic (from Kafka)",
        lambda s: s.backlog,
    ),
    (
        "wostream_oldest_waiting_seconds",
        "Age of the subscriber's oldest waiting event, 0 when none waits (from Kafka)",
        lambda s: s.oldest_waiting_s or 0.0,
    ),
    ("wostream_dead_letters", "Events in the subscriber's dead topic (from Kafka)", lambda s: s.dead),
    (
        "wostream_retrying_events",
        "Events of the subscriber waiting out a backoff (cluster-wide)",
        lambda s: s.retrying,
    ),
)


class WostreamCollector(Collector):
    """Reads the live figures at scrape time: nothing to keep in sync, nothing done per event."""

    def __init__(self, stats: Stats, directory: Directory, lag: LoopLag, board: StatusBoard) -> None:
        self.stats = stats
        self.directory = directory
        self.lag = lag
        self.board = board

    def collect(self) -> Iterator[Metric]:
        yield from self._cluster()
        codes = sorted(self.directory.subscriptions)
        for kind, name, doc, read in THIS_WORKER:
            family = _family(kind, name, doc, ["base_code"])
            for code in codes:
                family.add_metric([code], read(self.stats.by_subscriber[code]))
            yield family
        online = GaugeMetricFamily(
            "wostream_online", "1 when the subscriber has a live callback", labels=["base_code"]
        )
        for code in codes:
            online.add_metric([code], 1.0 if self.directory.online(code) else 0.0)
        yield online
        yield GaugeMetricFamily(
            "wostream_push_partitions",
            "Push partitions this worker delivers now",
            value=self.stats.push_partitions,
        )
        yield CounterMetricFamily(
            "wostream_routed_copies", "Copies written to push topics", value=self.stats.routed
        )
        yield CounterMetricFamily(
            "wostream_quarantined", "Raw events quarantined", value=self.stats.quarantined
        )
        yield CounterMetricFamily(
            "wostream_unsupported", "changeId 8 events, never pushed", value=self.stats.unsupported
        )
        yield GaugeMetricFamily(
            "wostream_event_loop_lag_max_seconds",
            "Worst event-loop stall since the worker started",
            value=self.lag.worst,
        )
        yield GaugeMetricFamily(
            "wostream_event_loop_lag_recent_seconds",
            "Worst event-loop stall in about the last minute",
            value=self.lag.recent_worst(),
        )

    def _cluster(self) -> Iterator[Metric]:
        statuses = sorted(self.board.statuses.values(), key=lambda s: s.base_code)
        for name, doc, read in CLUSTER:
            family = GaugeMetricFamily(name, doc, labels=["base_code"])
            for s in statuses:
                family.add_metric([s.base_code], float(read(s) or 0.0))
            yield family
        state = GaugeMetricFamily(
            "wostream_state", "1 for the subscriber's current state", labels=["base_code", "state"]
        )
        for s in statuses:
            for name in STATES:
                state.add_metric([s.base_code, name], 1.0 if s.state == name else 0.0)
        yield state


def _family(kind: str, name: str, doc: str, labels: list[str]) -> CounterMetricFamily | GaugeMetricFamily:
    cls = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
    return cls(name, doc, labels=labels)


def make_registry(stats: Stats, directory: Directory, lag: LoopLag, board: StatusBoard) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WostreamCollector(stats, directory, lag, board))
    pushes = Histogram(
        "wostream_push_duration_seconds",
        "Time from a push to its acknowledgement by the subscriber (this worker)",
        ["base_code"],
        buckets=PUSH_BUCKETS,
        registry=registry,
    )
    stats.observers.append(lambda code, seconds: pushes.labels(code).observe(seconds))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
