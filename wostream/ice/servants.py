"""Our Glacier2 servants: the permissions verifier, the session manager and each subscriber's session.

Servants run on Ice threads; anything that needs Kafka is handed to the worker's asyncio loop by the
`register` callable, whose future Ice completes the dispatch with. Every dispatch is shielded: a failure
becomes a clear Ice exception for the caller, never a dead adapter.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import Glacier2
import Ice

from wostream.core.credentials import verify_secret
from wostream.core.directory import Directory
from wostream.ice.contract import SubscriberSession, SubscriberSessionPrx

log = logging.getLogger(__name__)


def admission_refusal(directory: Directory, base_code: str, secret: str) -> str | None:
    """Why a subscriber may not log in, or None. The reason goes back to the client through Glacier2."""
    sub = directory.subscriptions.get(base_code)
    if sub is None:
        return f"unknown baseCode {base_code!r}: this system is not registered"
    if not sub.enabled:
        return f"baseCode {base_code!r} is disabled"
    if not verify_secret(secret, sub.secret_hash):
        return f"wrong secret for baseCode {base_code!r}"
    return None


def _peer(current: Ice.Current) -> str:
    return str(current.ctx.get("_con.remoteAddress", "?")) if current.ctx else "?"


class PermissionsVerifierI(Glacier2.PermissionsVerifier):  # type: ignore[misc]
    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    def checkPermissions(self, userId: str, password: str, current: Ice.Current) -> tuple[bool, str]:  # noqa: N802
        reason = admission_refusal(self.directory, userId, password)
        if reason is not None:
            log.warning("login refused for %r from %s: %s", userId, _peer(current), reason)
            return False, reason
        log.info("login accepted for %r from %s", userId, _peer(current))
        return True, ""


class SubscriberSessionI(SubscriberSession):  # type: ignore[misc]
    """One subscriber's Glacier2 session; it can only ever register a callback for its own baseCode."""

    def __init__(self, base_code: str, register: Callable[[str, str, str | None], Any]) -> None:
        self.base_code = base_code
        self.session_id = uuid.uuid4().hex
        self._register = register
        self._subscribed = False

    def subscribe(self, cb: Any, current: Ice.Current) -> Any:
        if cb is None:
            return self._unsubscribe()
        proxy = current.adapter.getCommunicator().proxyToString(cb)
        self._subscribed = True
        log.info("subscriber %s registered its callback (session %s)", self.base_code, self.session_id[:8])
        return self._register(self.base_code, self.session_id, proxy)

    def destroy(self, current: Ice.Current) -> Any:
        try:
            current.adapter.remove(current.id)
        except Ice.NotRegisteredException:
            pass
        log.info("subscriber %s left (session %s)", self.base_code, self.session_id[:8])
        return self._unsubscribe()

    def _unsubscribe(self) -> Any:
        if not self._subscribed:
            return None
        self._subscribed = False
        return self._register(self.base_code, self.session_id, None)


class SessionManagerI(Glacier2.SessionManager):  # type: ignore[misc]
    def __init__(self, directory: Directory, register: Callable[[str, str, str | None], Any]) -> None:
        self.directory = directory
        self._register = register

    def create(self, userId: str, control: Any, current: Ice.Current) -> Any:  # noqa: N802
        if userId not in self.directory.subscriptions:
            raise Glacier2.CannotCreateSessionException(f"unknown baseCode {userId!r}")
        session = SubscriberSessionI(userId, self._register)
        ident = Ice.Identity(session.session_id, "wostream-session")
        proxy = current.adapter.add(session, ident)
        if control is not None:
            # the client may call its own session object, and nothing else behind the router
            control.identities().add([ident])
        return SubscriberSessionPrx.uncheckedCast(proxy)
