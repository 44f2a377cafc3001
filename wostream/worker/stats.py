"""Per-subscriber delivery counters, kept in memory for /subscribers and /metrics. No I/O."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class SubscriberStats:
    delivered: int = 0
    failures: int = 0
    retrying: int = 0
    dead: int = 0
    last_error: str | None = None
    last_error_at: float | None = None
    last_delivery_at: float | None = None
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=2048))

    def percentile(self, q: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Stats:
    by_subscriber: dict[str, SubscriberStats] = field(default_factory=lambda: defaultdict(SubscriberStats))
    routed: int = 0
    push_partitions: int = 0  # push partitions this worker delivers now
    quarantined: int = 0
    unsupported: int = 0
    recent_quarantine: deque[dict[str, str]] = field(default_factory=lambda: deque(maxlen=50))
    observers: list[Callable[[str, float], None]] = field(default_factory=list)  # each push's latency

    def quarantine(self, source: str, reason: str) -> None:
        self.quarantined += 1
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.recent_quarantine.appendleft({"at": at, "source": source, "reason": reason})

    def delivered(self, base_code: str, seconds: float) -> None:
        s = self.by_subscriber[base_code]
        s.delivered += 1
        s.latencies.append(seconds)
        s.last_delivery_at = time.time()
        for observe in self.observers:
            observe(base_code, seconds)

    def failed(self, base_code: str, reason: str) -> None:
        s = self.by_subscriber[base_code]
        s.failures += 1
        s.last_error, s.last_error_at = reason, time.time()

    def retrying(self, base_code: str, delta: int) -> None:
        self.by_subscriber[base_code].retrying += delta

    def dead(self, base_code: str, detail: str) -> None:
        s = self.by_subscriber[base_code]
        s.dead += 1
        s.last_error, s.last_error_at = detail, time.time()
