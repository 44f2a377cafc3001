"""Subscriber sessions (`ice.session`): created for the router by the session manager, counted per subscriber
and per router, and forgotten the moment they end.

A session lives in the worker that created it; every worker sees every configuration change, so each ends its
own sessions of a subscriber whose secret was rotated, or that was disabled or removed (through the session's
control: Glacier2 drops the client, and pushes to its callback fail at once). A router that dies cannot call
`destroy`: each router holds one connection to this adapter, kept alive by heartbeats, so that connection
closing means the router is gone, and with it every session it created here.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import Glacier2
import Ice

from wostream.config.subscriptions import BASE_CODE_RE
from wostream.core.directory import Directory
from wostream.core.models import Subscription
from wostream.ice.callbacks import CallbackRule
from wostream.ice.contract import SubscriberSessionPrx
from wostream.ice.session import SessionService, SubscriberSessionI
from wostream.ice.verifier import REFUSED

log = logging.getLogger(__name__)

SUBSCRIBES_PER_MINUTE = 10
CATEGORY = "wostream-session"


@dataclass
class LiveSession:
    base_code: str
    session_id: str
    secret_hash: str  # the subscriber's secret hash when the session was created
    control: Any  # Glacier2.SessionControlPrx
    servant: Any  # the SubscriberSessionI
    router: str  # the router connection it was created through


def outdated(sub: Subscription | None, secret_hash: str) -> str | None:
    """Why a session opened with `secret_hash` must end now, or None."""
    if sub is None:
        return "the subscriber was removed"
    if not sub.enabled:
        return "the subscriber was disabled"
    if sub.secret_hash != secret_hash:
        return "the subscriber's secret was rotated"
    return None


@dataclass
class SessionRegistry:
    """Every live session of this worker, by subscriber and by router; nothing of a session outlives it."""

    max_per_subscriber: int = 4
    _by_code: dict[str, dict[str, LiveSession]] = field(default_factory=dict)
    _by_router: dict[str, dict[str, LiveSession]] = field(default_factory=dict)
    _watched: set[str] = field(default_factory=set)  # router connections with our close callback
    _lock: threading.Lock = field(default_factory=threading.Lock)  # servants run on Ice threads

    def add(self, live: LiveSession) -> bool:
        """Count a new session in; False (nothing added) when the subscriber already has the maximum."""
        with self._lock:
            sessions = self._by_code.setdefault(live.base_code, {})
            if len(sessions) >= self.max_per_subscriber:
                if not sessions:
                    del self._by_code[live.base_code]
                return False
            sessions[live.session_id] = live
            self._by_router.setdefault(live.router, {})[live.session_id] = live
            return True

    def remove(self, base_code: str, session_id: str) -> LiveSession | None:
        with self._lock:
            sessions = self._by_code.get(base_code, {})
            live = sessions.pop(session_id, None)
            if not sessions:
                self._by_code.pop(base_code, None)
            if live is not None:
                of_router = self._by_router.get(live.router, {})
                of_router.pop(session_id, None)
                if not of_router:
                    self._by_router.pop(live.router, None)
            return live

    def first_from(self, router: str) -> bool:
        """True once per router connection (until it closes): the one time to set its close callback."""
        with self._lock:
            if router in self._watched:
                return False
            self._watched.add(router)
            return True

    def router_closed(self, router: str) -> list[LiveSession]:
        """The sessions a closed router connection leaves behind; it may be watched again if it comes back."""
        with self._lock:
            self._watched.discard(router)
            return list(self._by_router.get(router, {}).values())

    def to_end(self, base_code: str, sub: Subscription | None) -> list[tuple[LiveSession, str]]:
        """The sessions of `base_code` that the subscription as it is now no longer allows, with why."""
        with self._lock:
            sessions = list(self._by_code.get(base_code, {}).values())
        found = ((s, outdated(sub, s.secret_hash)) for s in sessions)
        return [(s, why) for s, why in found if why is not None]

    def count(self, base_code: str | None = None) -> int:
        with self._lock:
            if base_code is None:
                return sum(len(s) for s in self._by_code.values())
            return len(self._by_code.get(base_code, {}))


class SessionManagerI(Glacier2.SessionManager):  # type: ignore[misc]
    """Creates sessions for a router, and ends them all if that router goes away without saying goodbye."""

    def __init__(
        self, directory: Directory, service: SessionService, rule: CallbackRule, registry: SessionRegistry
    ) -> None:
        self.directory = directory
        self._service = service
        self._rule = rule
        self._registry = registry

    def create(self, userId: str, control: Any, current: Ice.Current) -> Any:
        if control is None or current.con is None:
            raise Glacier2.CannotCreateSessionException("sessions are created through the router only")
        sub = self.directory.subscriptions.get(userId) if BASE_CODE_RE.fullmatch(userId) else None
        if sub is None or not sub.enabled:
            raise Glacier2.CannotCreateSessionException(REFUSED)
        session = SubscriberSessionI(userId, self._service, self._rule, self._registry)
        router = current.con.toString()
        first = self._registry.first_from(router)
        live = LiveSession(userId, session.session_id, sub.secret_hash, control, session, router)
        if not self._registry.add(live):
            limit = self._registry.max_per_subscriber
            log.warning("session for %r refused: %d sessions already", userId, limit)
            raise Glacier2.CannotCreateSessionException(f"this baseCode already has {limit} sessions")
        if first:  # once per connection: replacing a close callback deadlocks Ice for Python (SECURITY.md)
            adapter = current.adapter
            current.con.setCloseCallback(lambda _con: self._router_gone(router, adapter))
        ident = Ice.Identity(session.session_id, CATEGORY)
        proxy = current.adapter.add(session, ident)
        # the client may call its own session object, and nothing else behind the router
        control.identities().add([ident])
        return SubscriberSessionPrx.uncheckedCast(proxy)

    def _router_gone(self, router: str, adapter: Any) -> None:
        sessions = self._registry.router_closed(router)
        if sessions:
            log.warning("a router's connection closed: ending its %d sessions here", len(sessions))
        for live in sessions:
            self._registry.remove(live.base_code, live.session_id)
            live.servant.unsubscribe()
            with contextlib.suppress(Ice.Exception):  # already destroyed, or the adapter is going down
                adapter.remove(Ice.Identity(live.session_id, CATEGORY))
