"""The soak's fault schedule: when each fault happens, spread over the offering so that they overlap (a worker
is still restarting when the next fault comes, a subscriber reconnects while the broker is away)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Protocol


class Sizes(Protocol):
    @property
    def worker_kills(self) -> int: ...
    @property
    def disconnects(self) -> int: ...
    @property
    def router_restarts(self) -> int: ...
    @property
    def broker_restarts(self) -> int: ...


@dataclass(frozen=True)
class Schedule:
    faults: tuple[tuple[float, str], ...]  # (seconds after the offering starts, what)

    def __str__(self) -> str:
        counts = Counter(name.split()[0] if name.startswith("kill") else name for _, name in self.faults)
        return "faults: " + ", ".join(f"{name} ×{n}" for name, n in counts.items())


def _spread(n: int, first: float, last: float) -> list[float]:
    if n <= 0:
        return []
    if n == 1:
        return [first]
    return [first + (last - first) * i / (n - 1) for i in range(n)]


def schedule(plan: Sizes, seconds: float) -> Schedule:
    """Kills alternate between the workers (each restarted at once); the late subscriber comes halfway."""
    faults = [
        (at * seconds, f"kill w{1 + i % 2}") for i, at in enumerate(_spread(plan.worker_kills, 0.15, 0.85))
    ]
    faults += [(at * seconds, "disconnect") for at in _spread(plan.disconnects, 0.1, 0.9)]
    faults += [(at * seconds, "router restart") for at in _spread(plan.router_restarts, 0.35, 0.65)]
    faults += [(at * seconds, "broker restart") for at in _spread(plan.broker_restarts, 0.6, 0.8)]
    faults.append((0.5 * seconds, "late subscriber connects"))
    return Schedule(tuple(sorted(faults)))
