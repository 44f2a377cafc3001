"""The worker's Ice side: one communicator, the adapter Glacier2 calls, and the `push` delivery uses.

Servants (`ice.servants`) run on Ice threads; what they need from Kafka is handed to the worker's asyncio loop
with `run_coroutine_threadsafe`, and Ice completes the dispatch when that future is done.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import Ice

from wostream.core.directory import Directory
from wostream.core.outcomes import Failed, Gone, Refused
from wostream.ice.contract import PushRefused, SubscriberPrx
from wostream.ice.servants import PermissionsVerifierI, SessionManagerI

log = logging.getLogger(__name__)

# Publishes (base_code, session, proxy_or_None) to the callbacks topic; returns once it is on the broker.
Register = Callable[[str, str, str | None], Coroutine[Any, Any, None]]


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
