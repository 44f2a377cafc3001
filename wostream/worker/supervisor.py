"""Keeps the worker's long-running loops alive, and makes a loop that died visible on /health.

A loop that raises is logged with its traceback, counted, and started again after a backoff; for
`window` seconds after any crash `problems()` names it, which turns /health to 503 (a probe sees it; a loop
that keeps crashing keeps the worker unready, and Kubernetes restarts it). A loop that returns on its own
when it should run forever counts as a crash too. Nothing a loop does can fail silently.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0


@dataclass
class Crash:
    name: str
    reason: str
    at: float  # monotonic
    count: int


@dataclass
class Supervisor:
    window: float = 60.0
    crashes: dict[str, Crash] = field(default_factory=dict)
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _stopping: bool = False

    def spawn(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        """Run `run()` for the worker's life, restarting it whenever it ends."""
        self._tasks[name] = asyncio.create_task(self._keep(name, run), name=f"wostream-{name}")

    def watch(self, name: str, task: asyncio.Task[None]) -> None:
        """Report `task` if it dies of an exception (for tasks that come and go, e.g. one per partition)."""
        task.add_done_callback(lambda t: self._died(name, t))

    def _died(self, name: str, task: asyncio.Task[None]) -> None:
        if task.cancelled() or self._stopping:
            return
        exc = task.exception()
        if exc is not None:
            log.error("%s died", name, exc_info=exc)
            self._record(name, f"{type(exc).__name__}: {exc}")

    async def _keep(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        delay = 1.0
        while not self._stopping:
            started = time.monotonic()
            try:
                await run()
                reason = "returned although it should run for the worker's life"
                log.error("%s %s; starting it again", name, reason)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                log.exception("%s died; starting it again in %.0f s", name, delay)
            self._record(name, reason)
            delay = 1.0 if time.monotonic() - started > self.window else min(delay * 2, MAX_BACKOFF)
            await asyncio.sleep(delay)

    def _record(self, name: str, reason: str) -> None:
        previous = self.crashes.get(name)
        self.crashes[name] = Crash(
            name, reason[:500], time.monotonic(), 1 + (previous.count if previous else 0)
        )

    def problems(self) -> list[str]:
        """Loops that died within the window: what /health reports."""
        now = time.monotonic()
        return [
            f"{c.name} died {now - c.at:.0f} s ago ({c.count}x so far): {c.reason}"
            for c in self.crashes.values()
            if now - c.at <= self.window
        ]

    async def stop(self) -> None:
        self._stopping = True
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
