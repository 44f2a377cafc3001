"""The web port for operators and probes: /, /health, /subscribers, /errors, /drift and /metrics.

Served by aiohttp in whichever role a worker has (routing, delivery or both), from the worker's live state;
no page waits on the broker. The port lists every subscriber, so it answers only a Host it knows: an IP
literal (probes and scrapers dial addresses) or one of `web_allowed_hosts` (localhost by default). A page on
some other site that rebinds its own name to this address (DNS rebinding) is refused with 421.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from mode import Service

from wostream.config.settings import Settings
from wostream.worker.web import views
from wostream.worker.web.metrics import make_registry, render

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"


def host_allowed(host: str | None, names: list[str]) -> bool:
    """Whether a request's Host header (with or without a port) names this server for its operators."""
    if not host:
        return False
    if host.startswith("["):  # [v6] or [v6]:port
        name = host[1 : host.find("]")] if "]" in host else host
    elif host.count(":") == 1:  # name:port or v4:port
        name = host.split(":")[0]
    else:  # a name, a v4 address, or a bare v6 address
        name = host
    name = name.lower()
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return name in {n.lower() for n in names}


def _json(doc: object, status: int = 200) -> web.Response:
    return web.json_response(doc, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


class WebServer(Service):
    """A `mode.Service`: the worker's Node starts it first (so /health answers while the worker starts); under
    Faust it is also the app's registered web server, in place of Faust's own (`App.web_server`)."""

    def __init__(self, settings: Settings, node: views.Observed, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.node = node
        self._runner: web.AppRunner | None = None

    @property
    def web_url(self) -> str:
        return f"http://{self.settings.web_host}:{self.settings.web_port}/"

    def application(self) -> web.Application:
        node = self.node
        registry = make_registry(node.stats, node.directory, node.lag, node.board)
        allowed = self.settings.web_allowed_hosts

        @web.middleware
        async def known_host(request: web.Request, handler: Handler) -> web.StreamResponse:
            if not host_allowed(request.host, allowed):
                return web.Response(status=421, text="unknown Host: add it to WOSTREAM_WEB_ALLOWED_HOSTS\n")
            return await handler(request)

        async def index(_: web.Request) -> web.Response:
            return web.Response(text=views.index(node), content_type="text/html", charset="utf-8")

        async def metrics(_: web.Request) -> web.Response:
            return web.Response(body=render(registry), headers={"Content-Type": PROMETHEUS})

        async def health(_: web.Request) -> web.Response:
            doc, status = views.health(node)
            return _json(doc, status)

        async def subscribers(_: web.Request) -> web.Response:
            return _json(views.subscribers(node))

        async def errors(_: web.Request) -> web.Response:
            return _json(views.errors(node))

        async def drift(_: web.Request) -> web.Response:
            return _json(node.drift.snapshot())

        app = web.Application(middlewares=[known_host])
        for path, handler in (
            ("/", index),
            ("/metrics", metrics),
            ("/health", health),
            ("/subscribers", subscribers),
            ("/errors", errors),
            ("/drift", drift),
        ):
            app.router.add_get(path, handler)
        return app

    async def on_start(self) -> None:
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.web_host, self.settings.web_port)
        await site.start()
        log.info("web port on http://%s:%d/", self.settings.web_host, self.settings.web_port)

    async def on_stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
