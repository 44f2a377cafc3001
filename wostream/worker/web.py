"""Faust web pages for operators: / (a page), /health, /subscribers, /errors and /drift (JSON), /metrics."""

from __future__ import annotations

import html
import time
from importlib.resources import files
from typing import Any

import faust
from faust.web import Request, Response, View

from wostream.worker.metrics import make_registry, render
from wostream.worker.runtime import Runtime


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


PAGE = (files("wostream.worker") / "index.html").read_text(encoding="utf-8")


def _row(s: dict[str, Any]) -> str:
    state = "paused" if s["paused"] else ("online" if s["online"] else "offline")
    if not s["enabled"]:
        state = "disabled"
    cells = [
        s["baseCode"],
        s["name"],
        f'<span class="{"on" if s["online"] else "off"}">{state}</span>',
        s["delivered"],
        s["failures"],
        s["retrying"],
        s["dead"],
        s["latencyP99Ms"] or "",
        f"{s['lastError'] or ''} {s['lastErrorAt'] or ''}",
    ]
    tds = (f"<td>{c if i == 2 else html.escape(str(c))}</td>" for i, c in enumerate(cells))
    return "<tr>" + "".join(tds) + "</tr>"


def install_pages(app: faust.App, runtime: Runtime) -> None:
    registry = make_registry(runtime.stats, runtime.directory, runtime.lag)

    @app.page("/")
    class Index(View):
        async def get(self, request: Request) -> Response:
            page = PAGE.format(
                status="ready" if runtime.ready.is_set() else "starting",
                quarantined=runtime.stats.quarantined,
                config_errors=len(runtime.directory.errors),
                unsupported=runtime.stats.unsupported,
                rows="".join(_row(s) for s in subscribers_view(runtime)),
            )
            return self.html(page)

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
