"""How late the event loop runs: the worker's one loop serves routing, delivery, Ice futures and the web, so
anything that holds it (folding a big config batch, a slow log handler) delays them all. A 50 ms timer's
lateness is sampled for the worker's life; the worst and the recent worst go to /metrics and /health."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

TICK = 0.05


@dataclass
class LoopLag:
    worst: float = 0.0  # seconds, since start
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=1200))  # about the last minute

    async def run(self) -> None:
        """Runs for the worker's life (supervised)."""
        while True:
            started = time.monotonic()
            await asyncio.sleep(TICK)
            late = max(0.0, time.monotonic() - started - TICK)
            self.recent.append(late)
            self.worst = max(self.worst, late)

    def recent_worst(self) -> float:
        return max(self.recent, default=0.0)
