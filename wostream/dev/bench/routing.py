"""Routing micro-benchmark: cost per event with 10 vs 1 000 subscriptions.

The index should make routing cost depend on the subscriptions that can match an event, not on how
many exist; the last line's ratio (cost with 1 000 / cost with 10) shows whether it does (target ≤ 1.2).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from wostream.core.models import WILDCARD, IdKind, IdMaps, Subscription
from wostream.core.routing import SubscriptionIndex, route
from wostream.dev.workload import example_files

ROUNDS = 5  # alternate the cases in rounds and keep each case's best, so a noisy moment hits both alike


def _sub(
    code: str,
    areas: Iterable[str],
    change_ids: Iterable[str],
    organs: Iterable[str] = (),
    communities: Iterable[str] = (),
    mask: tuple[str, ...] = (),
) -> Subscription:
    return Subscription(
        base_code=code,
        name=code,
        secret_hash="unused",
        data_areas=frozenset(areas),
        change_ids=frozenset(change_ids),
        organ_ids=frozenset(organs),
        community_ids=frozenset(communities),
        mask=mask,
    )


def matching_subscriptions() -> list[Subscription]:
    """The few subscribers that receive the example events, identical in both cases."""
    return [
        _sub("A", {"fwwt"}, {"1", "2", "3", "5"}, {"671024"}),
        _sub("W", {WILDCARD}, {WILDCARD}, {WILDCARD}, mask=("contactTel", "currentUser[].userTel")),
        _sub("C", {"fwwt"}, {WILDCARD}, communities={"139912543382896"}),
    ]


def subscriptions(total: int) -> list[Subscription]:
    """`total` subscriptions: the matching few plus fillers over other data areas that never match."""
    subs = matching_subscriptions()
    for i in range(total - len(subs)):
        change_ids = {WILDCARD} if i % 7 == 0 else {str(1 + i % 10), str(1 + (i + 3) % 10)}
        subs.append(_sub(f"F{i:04d}", {f"area{i % 97}", f"zone{i % 13}"}, change_ids, {"671024", str(i)}))
    return subs


def id_maps() -> IdMaps:
    maps = IdMaps()
    for code in ("A", "W", "C"):
        maps.put(code, IdKind.COMMUNITY, "139912543382896", f"{code}-community")
        maps.put(code, IdKind.EMPLOYEE, "94781", f"{code}-employee")
        maps.put(code, IdKind.CUSTOMER, "110640113", f"{code}-customer")
    return maps


def corpus() -> list[bytes]:
    """The spec's examples (repaired) as raw events."""
    return [path.read_bytes() for path in example_files()]


def _round(route_one: Callable[[bytes], int], events: list[bytes], seconds: float) -> tuple[float, int, int]:
    """Route the corpus repeatedly for about `seconds`: (elapsed, events routed, deliveries made)."""
    count = deliveries = 0
    start = time.perf_counter()
    while True:
        for raw in events:
            deliveries += route_one(raw)
        count += len(events)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return elapsed, count, deliveries


def bench_routing(seconds_per_case: float = 2.0) -> list[str]:
    """Printable lines: events/s per case, and last `ratio <cost1000/cost10>` (cost = seconds per event)."""
    events = corpus()
    maps = id_maps()
    cases = {n: SubscriptionIndex(subscriptions(n)) for n in (10, 1000)}
    best: dict[int, float] = {}
    per_event: dict[int, float] = {}
    for _ in range(ROUNDS):
        for n, index in cases.items():

            def route_one(raw: bytes, index: SubscriptionIndex = index) -> int:
                return len(route(raw, None, index, maps).copies)

            elapsed, count, deliveries = _round(route_one, events, seconds_per_case / ROUNDS)
            best[n] = min(best.get(n, float("inf")), elapsed / count)
            per_event[n] = deliveries / count
    lines = [
        f"routing, {n:>4} subscriptions: {1 / best[n]:,.0f} events/s "
        f"({best[n] * 1e6:.1f} µs/event, {per_event[n]:.2f} deliveries/event)"
        for n in cases
    ]
    lines.append(f"ratio {best[1000] / best[10]:.2f}")
    return lines
