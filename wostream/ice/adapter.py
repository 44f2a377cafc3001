"""The worker's Ice side: one communicator, the adapter Glacier2 calls, and the `push` delivery uses.

Servants (`ice.servants`) run on Ice threads; what they need from Kafka is handed to the worker's asyncio loop
with `run_coroutine_threadsafe`, and Ice completes the dispatch when that future is done. Sessions follow the
configuration: when a subscriber's secret is rotated, or it is disabled or removed, this worker ends its
sessions of it (every worker does the same for its own).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import Ice

from wostream.core.credentials import hash_secret
from wostream.core.directory import Directory
from wostream.core.logins import LoginThrottle
from wostream.core.outcomes import Failed, Gone, Refused
from wostream.ice.callbacks import server_endpoints
from wostream.ice.contract import BatchRefused, BatchSubscriberPrx, PushRefused, SubscriberPrx
from wostream.ice.servants import CallbackChecks, PermissionsVerifierI, SessionManagerI
from wostream.ice.sessions import SessionRegistry

log = logging.getLogger(__name__)

# Publishes (base_code, session, proxy_or_None) to the callbacks topic; returns once it is on the broker.
Register = Callable[[str, str, str | None], Coroutine[Any, Any, None]]
MAX_REASON = 200  # characters of a subscriber's PushRefused reason that we keep (logs, pages, dead letters)


def ice_init(config: Path) -> Ice.InitializationData:
    """The property file, with `${VAR}` in values taken from the environment: a pod publishes its own address
    (`Wostream.PublishedEndpoints=ssl -h ${POD_IP} -p 4065`) from one ConfigMap shared by every pod."""
    props = Ice.createProperties()
    props.load(str(config))
    for key, value in props.getPropertiesForPrefix("").items():
        expanded = os.path.expandvars(value)
        if expanded != value:
            props.setProperty(key, expanded)
    data = Ice.InitializationData()
    data.properties = props
    return data


class IceService:
    """The communicator, its adapter, and the push call used by delivery."""

    def __init__(self, config: Path, directory: Directory, register: Register, max_sessions: int = 4) -> None:
        self.config = config
        self.directory = directory
        self.register = register
        self.sessions = SessionRegistry(max_per_subscriber=max_sessions)
        self.communicator: Ice.CommunicatorI | None = None
        self._proxies: dict[tuple[str, int], Any] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.communicator = communicator = Ice.initialize(ice_init(self.config))
        routers = communicator.getProperties().getProperty("Wostream.RouterServerEndpoints")
        if not routers:
            raise ValueError(
                f"{self.config}: Wostream.RouterServerEndpoints is not set (where callbacks may point)"
            )
        checks = CallbackChecks(
            communicator, server_endpoints(communicator, routers), self._callbacks, self.sessions
        )
        adapter = communicator.createObjectAdapter("Wostream")
        # a hash to verify unknown baseCodes against, so their refusals take as long as a wrong secret's
        verifier = PermissionsVerifierI(self.directory, LoginThrottle(), hash_secret(Ice.generateUUID()))
        adapter.add(verifier, Ice.stringToIdentity("wostream/PermissionsVerifier"))
        manager = SessionManagerI(self.directory, self._register_from_ice, checks)
        adapter.add(manager, Ice.stringToIdentity("wostream/SessionManager"))
        adapter.activate()
        self.directory.listeners.append(self._end_outdated_sessions)
        log.info("Ice adapter listening on %s", adapter.getEndpoints())

    async def stop(self) -> None:
        if self.communicator is not None:
            communicator, self.communicator = self.communicator, None
            await asyncio.get_running_loop().run_in_executor(None, communicator.destroy)

    def _callbacks(self) -> Iterator[tuple[str, str]]:
        for sessions in list(self.directory.callbacks.values()):
            for callback in list(sessions.values()):
                yield callback.session, callback.proxy

    def _end_outdated_sessions(self, base_code: str) -> None:
        """A directory listener (on the loop): end the sessions the subscription no longer allows."""
        for live, why in self.sessions.to_end(base_code, self.directory.subscriptions.get(base_code)):
            log.warning("ending session %s of %s: %s", live.session_id[:8], base_code, why)
            self.sessions.remove(base_code, live.session_id)
            live.servant.unsubscribe()
            try:
                live.control.destroyAsync()  # Glacier2 drops the client; not awaited on the loop
            except Ice.Exception as exc:
                log.warning("could not end session %s of %s: %s", live.session_id[:8], base_code, exc)

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
            raise Refused(f"refused by subscriber: {str(exc.reason)[:MAX_REASON]}") from exc
        except Ice.ObjectNotExistException as exc:
            raise Gone("callback no longer exists") from exc
        except Ice.InvocationTimeoutException as exc:
            raise Failed(f"no answer within {timeout_ms} ms") from exc
        except Ice.Exception as exc:
            raise Failed(f"{type(exc).__name__}") from exc

    async def push_batch(
        self, proxy: str, messages: list[str], context: dict[str, str], timeout_ms: int
    ) -> None:
        """One `pushBatch`; returns when every message is acknowledged, raises Refused (with `accepted`) /
        Gone / Failed otherwise."""
        prx = BatchSubscriberPrx.uncheckedCast(self._proxy(proxy, timeout_ms))
        try:
            await Ice.wrap_future(prx.pushBatchAsync(messages, context))
        except BatchRefused as exc:
            accepted = max(0, min(int(exc.accepted), len(messages)))
            raise Refused(f"refused by subscriber: {str(exc.reason)[:MAX_REASON]}", accepted) from exc
        except PushRefused as exc:
            raise Refused(f"refused by subscriber: {str(exc.reason)[:MAX_REASON]}") from exc
        except Ice.ObjectNotExistException as exc:
            raise Gone("callback no longer exists") from exc
        except Ice.InvocationTimeoutException as exc:
            raise Failed(f"no answer within {timeout_ms} ms") from exc
        except Ice.Exception as exc:
            raise Failed(f"{type(exc).__name__}") from exc

    async def takes_batches(self, proxy: str, timeout_ms: int = 2000) -> bool:
        """Whether a callback is a BatchSubscriber (asked once per registration; no answer: plain pushes)."""
        prx = self._proxy(proxy, timeout_ms)
        try:
            return bool(await Ice.wrap_future(prx.ice_isAAsync(BatchSubscriberPrx.ice_staticId())))
        except Ice.Exception:
            return False

    async def gone(self, proxy: str, timeout_ms: int = 2000) -> bool:
        """Whether a registered callback's session no longer exists (the router says ObjectNotExist): after
        a router or stack restart, callbacks registered before it are dead although nobody said goodbye. Any
        other failure (the router unreachable meanwhile) is not an answer: False."""
        prx = self._proxy(proxy, timeout_ms)
        try:
            await Ice.wrap_future(prx.ice_pingAsync())
        except Ice.ObjectNotExistException:
            return True
        except Ice.Exception:
            return False
        return False

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
