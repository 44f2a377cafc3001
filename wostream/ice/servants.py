"""Our Glacier2 servants: the permissions verifier, the session manager and each subscriber's session.

Servants run on Ice threads; anything that needs Kafka is handed to the worker's asyncio loop by the
`Publisher` (the IceService), whose future Ice completes the dispatch with. Everything a client sends is
bounded and checked before it is used or logged, and every refusal is a clear Ice exception, never a dead
adapter (SECURITY.md lists the threats and the controls).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable
from typing import Any, Protocol

import Glacier2
import Ice

from wostream.config.subscriptions import BASE_CODE_RE
from wostream.core.credentials import verify_secret
from wostream.core.directory import Directory
from wostream.core.logins import LoginThrottle
from wostream.ice.callbacks import Refusal, category_of, owner_elsewhere, rebuild
from wostream.ice.contract import SubscribeRefused, SubscriberSession, SubscriberSessionPrx
from wostream.ice.sessions import LiveSession, SessionRegistry

log = logging.getLogger(__name__)

REFUSED = "wrong baseCode or secret"  # one answer for unknown, disabled and wrong: no list of who exists
MAX_SECRET = 1024  # characters; longer is refused before hashing
SUBSCRIBES_PER_MINUTE = 10


class Publisher(Protocol):
    """Publishes a session's callback (None: its end) for every worker, from an Ice thread."""

    def publish(self, base_code: str, session: str, proxy: str | None) -> concurrent.futures.Future[None]: ...

    def live_callbacks(self) -> Iterable[tuple[str, str]]:
        """(session, proxy) of every live callback, on every worker."""
        ...


def _peer(current: Ice.Current) -> str:
    return str(current.ctx.get("_con.remoteAddress", "?"))[:64] if current.ctx else "?"


def shown(user_id: str) -> str:
    """A userId as logs may show it: only if it is a well-formed baseCode."""
    return repr(user_id) if BASE_CODE_RE.fullmatch(user_id) else f"<not a baseCode, {len(user_id)} chars>"


class PermissionsVerifierI(Glacier2.PermissionsVerifier):  # type: ignore[misc]
    def __init__(self, directory: Directory, throttle: LoginThrottle, decoy_hash: str) -> None:
        self.directory = directory
        self.throttle = throttle
        self.decoy_hash = decoy_hash  # verified for unknown codes, so refusals take the same time

    def checkPermissions(self, userId: str, password: str, current: Ice.Current) -> tuple[bool, str]:
        peer = _peer(current)
        if not BASE_CODE_RE.fullmatch(userId) or len(password) > MAX_SECRET:
            log.warning("login refused from %s: %s or an oversize secret", peer, shown(userId))
            return False, REFUSED
        wait = self.throttle.wait(userId, peer, time.monotonic())
        if wait > 0:
            log.info("login for %r from %s refused unchecked: back-off %.0f s", userId, peer, wait)
            return (
                False,
                f"too many failed logins from this address or for this baseCode; try again in {wait:.0f} s",
            )
        sub = self.directory.subscriptions.get(userId)
        ok = verify_secret(password, sub.secret_hash if sub is not None else self.decoy_hash)
        if sub is None or not sub.enabled or not ok:
            self.throttle.failed(userId, peer, time.monotonic())
            why = "unknown" if sub is None else "disabled" if not sub.enabled else "wrong secret"
            log.warning("login refused for %r from %s (%s)", userId, peer, why)
            return False, REFUSED
        self.throttle.succeeded(userId, peer)
        log.info("login accepted for %r from %s", userId, peer)
        return True, ""


class SubscriberSessionI(SubscriberSession):  # type: ignore[misc]
    """One subscriber's Glacier2 session; it can only ever register a callback for its own baseCode."""

    def __init__(self, base_code: str, publisher: Publisher, checks: CallbackChecks) -> None:
        self.base_code = base_code
        self.session_id = uuid.uuid4().hex
        self._publisher = publisher
        self._checks = checks
        self._proxy: str | None = None
        self._recent: deque[float] = deque(maxlen=SUBSCRIBES_PER_MINUTE)

    def subscribe(self, cb: Any, current: Ice.Current) -> Any:
        if cb is None:
            return self.unsubscribe()
        try:
            proxy = self._checks.accept(cb, self.session_id)
        except Refusal as exc:
            log.warning("callback of %s refused (session %s): %s", self.base_code, self.session_id[:8], exc)
            raise SubscribeRefused(str(exc)) from None
        if proxy == self._proxy:
            return None  # the same callback again: nothing to publish
        now = time.monotonic()
        if len(self._recent) == self._recent.maxlen and now - self._recent[0] < 60:
            raise SubscribeRefused(f"more than {SUBSCRIBES_PER_MINUTE} callback changes a minute")
        self._recent.append(now)
        self._proxy = proxy
        log.info("subscriber %s registered its callback (session %s)", self.base_code, self.session_id[:8])
        return self._publisher.publish(self.base_code, self.session_id, proxy)

    def destroy(self, current: Ice.Current) -> Any:
        with contextlib.suppress(Ice.NotRegisteredException):
            current.adapter.remove(current.id)
        self._checks.sessions.remove(self.base_code, self.session_id)
        log.info("subscriber %s left (session %s)", self.base_code, self.session_id[:8])
        return self.unsubscribe()

    def unsubscribe(self) -> Any:
        if self._proxy is None:
            return None
        self._proxy = None
        return self._publisher.publish(self.base_code, self.session_id, None)


class CallbackChecks:
    """What every session's `subscribe` checks against: our routers, and who owns which category."""

    def __init__(
        self,
        communicator: Any,
        allowed: dict[tuple[str, str, int], str],
        publisher: Publisher,
        sessions: SessionRegistry,
    ) -> None:
        self.communicator = communicator
        self.allowed = allowed
        self.publisher = publisher
        self.sessions = sessions

    def accept(self, cb: Any, session_id: str) -> str:
        proxy = rebuild(cb, self.communicator, self.allowed)
        category = cb.ice_getIdentity().category
        known = ((s, category_of(self.communicator, p) or "") for s, p in self.publisher.live_callbacks())
        if owner_elsewhere(category, session_id, known):
            raise Refusal("this callback's router category is registered by another session")
        return proxy


class SessionManagerI(Glacier2.SessionManager):  # type: ignore[misc]
    """Creates sessions for a router, and ends them if that router goes away without saying goodbye.

    A router that dies cannot call `Session.destroy`: its sessions would stay counted (and their callbacks
    registered) forever. Each router holds one connection to this adapter, kept alive by heartbeats
    (`Ice.ACM.Client.Heartbeat` in its properties), so that connection closing means the router is gone, and
    with it every session it created here.
    """

    def __init__(self, directory: Directory, publisher: Publisher, checks: CallbackChecks) -> None:
        self.directory = directory
        self._publisher = publisher
        self._checks = checks
        self._by_router: dict[str, list[tuple[SubscriberSessionI, Ice.Identity]]] = {}
        self._lock = threading.Lock()

    def _follow_router(self, current: Ice.Current, session: SubscriberSessionI, ident: Ice.Identity) -> None:
        if current.con is None:
            return
        key = current.con.toString()
        with self._lock:
            known = key in self._by_router
            self._by_router.setdefault(key, []).append((session, ident))
        if not known:
            adapter = current.adapter
            current.con.setCloseCallback(lambda _con: self._router_gone(key, adapter))

    def _router_gone(self, key: str, adapter: Any) -> None:
        with self._lock:
            sessions = self._by_router.pop(key, [])
        if sessions:
            log.warning("a router's connection closed: ending its %d sessions here", len(sessions))
        for session, ident in sessions:
            self._checks.sessions.remove(session.base_code, session.session_id)
            session.unsubscribe()
            with contextlib.suppress(Ice.Exception):  # already destroyed, or the adapter is going down
                adapter.remove(ident)

    def create(self, userId: str, control: Any, current: Ice.Current) -> Any:
        if control is None:
            raise Glacier2.CannotCreateSessionException("sessions are created through the router only")
        sub = self.directory.subscriptions.get(userId) if BASE_CODE_RE.fullmatch(userId) else None
        if sub is None or not sub.enabled:
            raise Glacier2.CannotCreateSessionException(REFUSED)
        session = SubscriberSessionI(userId, self._publisher, self._checks)
        live = LiveSession(userId, session.session_id, sub.secret_hash, control, session)
        limit = self._checks.sessions.max_per_subscriber
        if not self._checks.sessions.add(live):
            log.warning("session for %r refused: %d sessions already", userId, limit)
            raise Glacier2.CannotCreateSessionException(f"this baseCode already has {limit} sessions")
        ident = Ice.Identity(session.session_id, "wostream-session")
        proxy = current.adapter.add(session, ident)
        self._follow_router(current, session, ident)
        # the client may call its own session object, and nothing else behind the router
        control.identities().add([ident])
        return SubscriberSessionPrx.uncheckedCast(proxy)
