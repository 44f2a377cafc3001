"""Faust web pages for operators: / (a page), /health, /subscribers, /errors and /drift (JSON), /metrics."""

from __future__ import annotations

import time
from typing import Any

import faust
from faust.web import Request, Response, View

from wostream.worker.metrics import make_registry, render
from wostream.worker.page import page
from wostream.worker.runtime import Runtime


def subscribers_view(runtime: Runtime) -> list[dict[str, Any]]:
    """Every subscriber: its cluster-wide figures (from Kafka, the same on every worker) and, as extra detail,
    this worker's own counters (`delivered`, `failures`, `latencyP99Ms`: the pushes this worker made)."""
    out = []
    board = runtime.board.statuses
    for base_code, sub in sorted(runtime.directory.subscriptions.items()):
        s = runtime.stats.by_subscriber[base_code]
        p99 = s.percentile(0.99)
        status = board.get(base_code)
        out.append(
            {
                "baseCode": base_code,
                "name": sub.name,
                "enabled": sub.enabled,
                "paused": sub.paused,
                "online": runtime.directory.online(base_code),
                "state": status.state if status else "unknown",
                "backlog": status.backlog if status else None,
                "oldestWaitingSeconds": None
                if not status or status.oldest_waiting_s is None
                else round(status.oldest_waiting_s, 1),
                "donePerMinute": None
                if not status or status.per_minute is None
                else round(status.per_minute, 1),
                "dead": status.dead if status else s.dead,
                "retrying": status.retrying if status else s.retrying,
                "lastError": s.last_error or (status.last_error if status else None),
                "lastErrorAt": _iso(s.last_error_at),
                "delivered": s.delivered,
                "failures": s.failures,
                "lastDeliveryAt": _iso(s.last_delivery_at),
                "latencyP99Ms": None if p99 is None else round(p99 * 1000, 1),
            }
        )
    return out


def _iso(ts: float | None) -> str | None:
    return None if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def install_pages(app: faust.App, runtime: Runtime) -> None:
    registry = make_registry(runtime.stats, runtime.directory, runtime.lag, runtime.board)

    @app.page("/")
    class Index(View):
        async def get(self, request: Request) -> Response:
            meta = {
                "status": "ready" if runtime.ready.is_set() else "starting",
                "polled_at": runtime.board.polled_at,
                "quarantined": runtime.stats.quarantined,
                "config_errors": len(runtime.directory.errors),
                "unsupported": runtime.stats.unsupported,
            }
            return self.html(page(subscribers_view(runtime), dict(runtime.board.history), meta))

    @app.page("/metrics")
    class Metrics(View):
        async def get(self, request: Request) -> Response:
            return self.bytes(render(registry), content_type="text/plain; version=0.0.4")

    @app.page("/errors")
    class Errors(View):
        async def get(self, request: Request) -> Response:
            return self.json(
                {
                    "quarantine": list(runtime.stats.recent_quarantine),
                    "config": list(reversed(runtime.directory.errors)),
                }
            )

    @app.page("/drift")
    class DriftPage(View):
        async def get(self, request: Request) -> Response:
            return self.json(runtime.drift.snapshot())

    @app.page("/health")
    class Health(View):
        async def get(self, request: Request) -> Response:
            problems = runtime.problems()
            return self.json({"ready": not problems, "problems": problems}, status=503 if problems else 200)

    @app.page("/subscribers")
    class Subscribers(View):
        async def get(self, request: Request) -> Response:
            return self.json(subscribers_view(runtime))
