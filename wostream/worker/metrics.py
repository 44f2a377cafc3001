"""Prometheus exposition of the worker's counters, collected on scrape from `Stats` and `Directory`."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from wostream.core.directory import Directory
from wostream.worker.lag import LoopLag
from wostream.worker.stats import Stats, SubscriberStats

Reader = Callable[[SubscriberStats], float]
PER_SUBSCRIBER: tuple[tuple[str, str, str, Reader], ...] = (
    ("counter", "wostream_delivered", "Events acknowledged by the subscriber", lambda s: s.delivered),
    ("counter", "wostream_push_failures", "Pushes that failed and were retried", lambda s: s.failures),
    ("counter", "wostream_dead_lettered", "Events sent to the dead topic", lambda s: s.dead),
    ("gauge", "wostream_retrying", "Partitions waiting out a backoff", lambda s: s.retrying),
)


class WostreamCollector(Collector):
    """Reads the live counters at scrape time: nothing to keep in sync, nothing done per event."""

    def __init__(self, stats: Stats, directory: Directory, lag: LoopLag) -> None:
        self.stats = stats
        self.directory = directory
        self.lag = lag

    def collect(self) -> Iterator[Metric]:
        codes = sorted(self.directory.subscriptions)
        per: dict[str, SubscriberStats] = {c: self.stats.by_subscriber[c] for c in codes}
        for kind, name, doc, read in PER_SUBSCRIBER:
            family = _family(kind, name, doc, ["base_code"])
            for code in codes:
                family.add_metric([code], read(per[code]))
            yield family
        online = GaugeMetricFamily(
            "wostream_online", "1 when the subscriber has a live callback", labels=["base_code"]
        )
        for code in codes:
            online.add_metric([code], 1.0 if self.directory.online(code) else 0.0)
        yield online
        yield CounterMetricFamily(
            "wostream_routed_copies", "Copies written to push topics", value=self.stats.routed
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
        yield CounterMetricFamily(
            "wostream_quarantined", "Raw events quarantined", value=self.stats.quarantined
        )
        yield CounterMetricFamily(
            "wostream_unsupported", "changeId 8 events, never pushed", value=self.stats.unsupported
        )


def _family(kind: str, name: str, doc: str, labels: list[str]) -> CounterMetricFamily | GaugeMetricFamily:
    cls = CounterMetricFamily if kind == "counter" else GaugeMetricFamily
    return cls(name, doc, labels=labels)


def make_registry(stats: Stats, directory: Directory, lag: LoopLag) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(WostreamCollector(stats, directory, lag))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
