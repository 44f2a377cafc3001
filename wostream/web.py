"""Faust web pages for operators: /health (readiness) and /subscribers (JSON)."""

from __future__ import annotations

import time
from typing import Any

import faust
from faust.web import Request, Response, View

from wostream.runtime import Runtime


def subscribers_view(runtime: Runtime) -> list[dict[str, Any]]:
    out = []
    for base_code, sub in sorted(runtime.directory.subscriptions.items()):
        s = runtime.stats.by_subscriber[base_code]
        p99 = s.percentile(0.99)
        out.append(
            {
                "baseCode": base_code,
                "name": sub.name,
                "enabled": sub.enabled,
            "paused": sub.paused,
                "online": runtime.directory.online(base_code),
                "delivered": s.delivered,
                "failures": s.failures,
                "retrying": s.retrying,
                "dead": s.dead,
                "lastError": s.last_error,
                "lastErrorAt": _iso(s.last_error_at),
                "lastDeliveryAt": _iso(s.last_delivery_at),
                "latencyP99Ms": None if p99 is None else round(p99 * 1000, 1),
            }
        )
    return out


def _iso(ts: float | None) -> str | None:
    return None if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def install_pages(app: faust.App, runtime: Runtime) -> None:
    @app.page("/health")
    class Health(View):
        async def get(self, request: Request) -> Response:
            ready = runtime.ready.is_set()
            return self.json({"ready": ready}, status=200 if ready else 503)

    @app.page("/subscribers")
    class Subscribers(View):
        async def get(self, request: Request) -> Response:
            return self.json(subscribers_view(runtime))
