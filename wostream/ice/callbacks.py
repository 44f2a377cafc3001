"""Which callback proxies a session may register, and which registered ones delivery may call: only twoway
proxies that go back through our own routers, to an object named after the session that registered it.

Glacier2 does not tell the back end a client's router category, so the proxy a client passes to `subscribe` is
checked for everything that can be checked, and then never used as given: it is rebuilt from its identity and
our own configuration of the routers' server endpoints. A proxy to anywhere else (a server-side request
forgery), with options, or with thousands of endpoints is refused with the reason.

The identity's name must be the session's own identity name (`session.ice_getIdentity().name`, 32 random hex
characters only the session's client learns): Glacier2 routes a callback by its category to one client
connection, and the name picks the object there, so another session, even one that learned this client's
category, can only ever name objects the client does not have (its calls fail, and its own callback is dropped
as gone), never register this session's callback or refuse it. The same rule is checked again when a
registration is read back from the callbacks topic (`CallbackRule.valid`), before any push: a record that did
not come from a session of ours through our routers is never called.
"""

from __future__ import annotations

from typing import Any

import Ice

CATEGORY_LENGTH = 20  # what glacier2router mints for each client (RouterI.cpp)
HOW = "Ice.Identity(session.ice_getIdentity().name, router.getCategoryForClient())"


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


class CallbackRule:
    def __init__(self, communicator: Any, allowed: dict[tuple[str, str, int], str]) -> None:
        self.communicator = communicator
        self.allowed = allowed

    def accept(self, cb: Any, session_id: str) -> str:
        """The callback `session_id` registers, as we will call it (a proxy string), or Refusal with why."""
        ident = cb.ice_getIdentity()
        if len(ident.category) != CATEGORY_LENGTH:
            raise Refusal(f"the callback's identity must be {HOW}: its category is not the router's")
        if ident.name != session_id:
            raise Refusal(f"the callback's identity must be {HOW}: its name is not this session's")
        if not cb.ice_isTwoway() or cb.ice_getFacet() or cb.ice_getAdapterId():
            raise Refusal(
                "the callback must be a plain twoway proxy (no facet, adapter id, oneway or datagram)"
            )
        given = cb.ice_getEndpoints()
        if not 0 < len(given) <= len(self.allowed):
            raise Refusal(f"the callback must have the router's server endpoint, not {len(given)} endpoints")
        chosen = []
        for endpoint in given:
            key = _host_port(endpoint)
            if key not in self.allowed:
                raise Refusal(
                    "the callback must go through the router (an object adapter created with "
                    "createObjectAdapterWithRouter), not to another address"
                )
            chosen.append(self.allowed[key])
        rebuilt = self.communicator.stringToProxy("x:" + ":".join(dict.fromkeys(chosen))).ice_identity(ident)
        return str(self.communicator.proxyToString(rebuilt))

    def valid(self, proxy: str, session_id: str) -> str | None:
        """Why a registration read back from Kafka must not be called, or None: the same rule as `accept`."""
        try:
            return (
                None
                if self.accept(self.communicator.stringToProxy(proxy), session_id) == proxy
                else ("not as our routers would have it")
            )
        except Refusal as exc:
            return str(exc)
        except Ice.Exception as exc:
            return f"not a proxy ({type(exc).__name__})"
