"""Which callback proxies a session may register: only one that goes back through our own routers.

Glacier2 does not tell the back end a client's router category, so the proxy a client passes to `subscribe` is
checked for everything that can be checked, and then never used as given: it is rebuilt from its identity and
our own configuration of the routers' server endpoints. A proxy to anywhere else (a server-side request
forgery), with options, or with thousands of endpoints is refused with the reason. A category (20 random
characters Glacier2 mints per client connection) may be registered by one session only: the first to register
it owns it, so a client that learned another's category cannot have its events sent into the other's
connection.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import Ice

CATEGORY_LENGTH = 20  # what glacier2router mints for each client (RouterI.cpp)
MAX_NAME = 64


class Refusal(Exception):
    """Why a callback is not accepted (goes back to the client as SubscribeRefused)."""


def _host_port(endpoint: Any) -> tuple[str, str, int]:
    info = endpoint.getInfo()
    kind = info.type()
    while info is not None and not hasattr(info, "host"):
        info = info.underlying
    if info is None:
        raise Refusal("callback endpoint is not an IP endpoint")
    return str(kind), str(info.host), int(info.port)


def server_endpoints(communicator: Any, endpoints: str) -> dict[tuple[str, str, int], str]:
    """Our routers' server endpoints (an Ice endpoint list), keyed by (type, host, port)."""
    proxy = communicator.stringToProxy(f"x:{endpoints}")
    return {_host_port(e): e.toString() for e in proxy.ice_getEndpoints()}


def rebuild(cb: Any, communicator: Any, allowed: dict[tuple[str, str, int], str]) -> str:
    """The callback as we will call it (a proxy string), or Refusal with the reason."""
    ident = cb.ice_getIdentity()
    if len(ident.category) != CATEGORY_LENGTH or not 0 < len(ident.name) <= MAX_NAME:
        raise Refusal(
            "the callback's identity must be <name>@<the router category of this client> "
            "(Ice.Identity(name, router.getCategoryForClient()))"
        )
    if not cb.ice_isTwoway() or cb.ice_getFacet() or cb.ice_getAdapterId():
        raise Refusal("the callback must be a plain twoway proxy (no facet, adapter id, oneway or datagram)")
    given = cb.ice_getEndpoints()
    if not 0 < len(given) <= len(allowed):
        raise Refusal(f"the callback must have the router's server endpoint, not {len(given)} endpoints")
    chosen = []
    for endpoint in given:
        key = _host_port(endpoint)
        if key not in allowed:
            raise Refusal(
                "the callback must go through the router (an object adapter created with "
                "createObjectAdapterWithRouter), not to another address"
            )
        chosen.append(allowed[key])
    rebuilt = communicator.stringToProxy("x:" + ":".join(dict.fromkeys(chosen))).ice_identity(ident)
    return str(communicator.proxyToString(rebuilt))


def category_of(communicator: Any, proxy: str) -> str | None:
    try:
        return str(communicator.stringToProxy(proxy).ice_getIdentity().category)
    except Ice.Exception:
        return None


def owner_elsewhere(category: str, session: str, registered: Iterable[tuple[str, str]]) -> bool:
    """Whether another session already registered a callback in `category` ((session, category) pairs)."""
    return any(cat == category and other != session for other, cat in registered)
