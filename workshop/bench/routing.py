"""Routing micro-benchmark: cost per event with 10 vs 1 000 subscriptions.

The index should make routing cost depend on the subscriptions that can match an event, not on how
many exist; the last line's ratio (cost with 1 000 / cost with 10) shows whether it does (target ≤ 1.2).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from workshop.workload import example_files
from wostream.core.models import WILDCARD, IdKind, IdMaps, Subscription, Ticket
from wostream.core.routing import Memory, SubscriptionIndex, route

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


def _router(index: SubscriptionIndex, maps: IdMaps, memory: bool) -> Callable[[bytes], int]:
    """Route one event, as the worker does (with ticket memory in a dict standing in for the table)."""
    tickets: dict[str, Ticket] = {}

    def route_one(raw: bytes) -> int:
        how = Memory(tickets.get, time.time()) if memory else None
        result = route(raw, None, index, maps, memory=how)
        if result.ticket is not None and result.ticket_id is not None:
            tickets[result.ticket_id] = result.ticket
        return len(result.copies)

    return route_one


CASES = {
    "10 subscriptions": (10, False),
    "1000 subscriptions": (1000, False),
    "1000 + ticket memory": (1000, True),
}


def bench_routing(seconds_per_case: float = 2.0) -> list[str]:
    """Printable lines: events/s per case, then the cost ratios (cost = seconds per event): 1 000 against 10
    subscriptions (target <= 1.2), and ticket memory on against off."""
    events, maps = corpus(), id_maps()
    indexes = {n: SubscriptionIndex(subscriptions(n)) for n in (10, 1000)}
    routers = {name: _router(indexes[n], maps, memory) for name, (n, memory) in CASES.items()}
    best: dict[str, float] = {}
    per_event: dict[str, float] = {}
    for _ in range(ROUNDS):
        for name, route_one in routers.items():
            elapsed, count, deliveries = _round(route_one, events, seconds_per_case / ROUNDS)
            best[name] = min(best.get(name, float("inf")), elapsed / count)
            per_event[name] = deliveries / count
    lines = [
        f"routing, {name:>20}: {1 / best[name]:,.0f} events/s "
        f"({best[name] * 1e6:.1f} µs/event, {per_event[name]:.2f} deliveries/event)"
        for name in CASES
    ]
    lines.append(f"ratio 1000/10 subscriptions {best['1000 subscriptions'] / best['10 subscriptions']:.2f}")
    lines.append(f"ratio memory on/off {best['1000 + ticket memory'] / best['1000 subscriptions']:.2f}")
    return lines
