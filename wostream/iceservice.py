"""Our Ice side: Glacier2's permissions verifier and session manager, the subscriber session, and `push`.

Servants run on Ice threads; anything that needs Kafka is handed to the worker's asyncio loop with
`run_coroutine_threadsafe` and its future returned, so Ice completes the dispatch when the loop is done.
Every dispatch is shielded: a failure becomes a clear Ice exception for the caller, never a dead adapter.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import Glacier2
import Ice

from wostream.credentials import verify_secret
from wostream.directory import Directory
from wostream.errors import Failed, Gone, Refused
from wostream.slice import PushRefused, SubscriberPrx, SubscriberSession, SubscriberSessionPrx

log = logging.getLogger(__name__)

# Publishes (base_code, session, proxy_or_None) to the callbacks topic; returns once it is on the broker.
Register = Callable[[str, str, str | None], Coroutine[Any, Any, None]]


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


class IceService:
    """The communicator, its adapter, and the push call used by delivery."""

    def __init__(self, config: Path, directory: Directory, register: Register) -> None:
        self.config = config
        self.directory = directory
        self.register = register
        self.communicator: Ice.CommunicatorI | None = None
        self._proxies: dict[tuple[str, int], Any] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.communicator = Ice.initialize([f"--Ice.Config={self.config}"])
        adapter = self.communicator.createObjectAdapter("Wostream")
        adapter.add(
            PermissionsVerifierI(self.directory), Ice.stringToIdentity("wostream/PermissionsVerifier")
        )
        adapter.add(
            SessionManagerI(self.directory, self._register_from_ice),
            Ice.stringToIdentity("wostream/SessionManager"),
        )
        adapter.activate()
        log.info("Ice adapter listening on %s", adapter.getEndpoints())

    async def stop(self) -> None:
        if self.communicator is not None:
            communicator, self.communicator = self.communicator, None
            await asyncio.get_running_loop().run_in_executor(None, communicator.destroy)

    def _register_from_ice(
        self, base_code: str, session: str, proxy: str | None
    ) -> concurrent.futures.Future[None]:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(self.register(base_code, session, proxy), self._loop)

    async def push(self, proxy: str, message: str, context: dict[str, str], timeout_ms: int) -> None:
        """One twoway call; returns on acknowledgement, raises Refused / Gone / Failed otherwise."""
        prx = self._proxy(proxy, timeout_ms)
        try:
            await Ice.wrap_future(prx.pushAsync(message, context))
        except PushRefused as exc:
            raise Refused(f"refused by subscriber: {exc.reason}") from exc
        except Ice.ObjectNotExistException as exc:
            raise Gone("callback no longer exists") from exc
        except Ice.InvocationTimeoutException as exc:
            raise Failed(f"no answer within {timeout_ms} ms") from exc
        except Ice.Exception as exc:
            raise Failed(f"{type(exc).__name__}") from exc

    def _proxy(self, proxy: str, timeout_ms: int) -> Any:
        key = (proxy, timeout_ms)
        prx = self._proxies.get(key)
        if prx is None:
            assert self.communicator is not None
            base = self.communicator.stringToProxy(proxy)
            prx = SubscriberPrx.uncheckedCast(base.ice_invocationTimeout(timeout_ms))
            if len(self._proxies) > 1000:
                self._proxies.clear()
            self._proxies[key] = prx
        return prx
