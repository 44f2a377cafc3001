"""The worker's Ice side: one communicator, the adapter Glacier2 calls, and the calls delivery makes.

Servants (`ice.servants`) run on Ice threads; what they need from Kafka is handed to the worker's asyncio loop
with `run_coroutine_threadsafe`, and Ice completes the dispatch when that future is done. Sessions follow the
configuration: when a subscriber's secret is rotated, or it is disabled or removed, this worker ends its
sessions of it (every worker does the same for its own).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import os
import time
from pathlib import Path
from typing import Protocol

import Ice

from wostream.config.settings import Settings
from wostream.core.directory import Callback, Directory
from wostream.core.logins import LoginPolicy
from wostream.ice.callbacks import CallbackRule, server_endpoints
from wostream.ice.calls import Caller
from wostream.ice.contract import ResyncRefused, SubscriberStatus
from wostream.ice.sessions import SessionManagerI, SessionRegistry
from wostream.ice.verifier import PermissionsVerifierI

log = logging.getLogger(__name__)


class Registrar(Protocol):
    """Where the callbacks that sessions register are published for every worker (`worker.feed.callbacks`)."""

    async def register(self, base_code: str, session: str, proxy: str | None, batch: bool) -> None: ...

    async def forget(self, base_code: str, session: str) -> None: ...

    def live(self) -> list[Callback]: ...


class Desk(Protocol):
    """What a subscriber may ask of wostream from its session (`worker.self_service`)."""

    def status(self, base_code: str) -> SubscriberStatus: ...

    async def resync(self, base_code: str, ticket: str | None, since: float | None) -> int: ...


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
    """The communicator, its adapter with our Glacier2 servants, and the `Caller` delivery pushes with."""

    def __init__(self, settings: Settings, directory: Directory) -> None:
        self.config = settings.ice_config
        self.directory = directory
        self.batches = settings.batches  # whether subscribers that ask for batches get them
        self.resync_every = settings.resync_every
        self.sessions = SessionRegistry(max_per_subscriber=settings.max_sessions)
        self.communicator: Ice.CommunicatorI | None = None
        self.caller: Caller | None = None
        self.rule: CallbackRule | None = None
        self._registrar: Registrar | None = None
        self._desk: Desk | None = None
        self._resyncs: dict[str, float] = {}  # baseCode -> when its last resync was asked
        self._loop: asyncio.AbstractEventLoop | None = None

    def prepare(self) -> None:
        """The communicator and what reading callbacks back needs (before the configuration is folded)."""
        self.communicator = communicator = Ice.initialize(ice_init(self.config))
        self.caller = Caller(communicator)
        routers = communicator.getProperties().getProperty("Wostream.RouterServerEndpoints")
        if not routers:
            raise ValueError(
                f"{self.config}: Wostream.RouterServerEndpoints is not set (where callbacks may point)"
            )
        self.rule = CallbackRule(communicator, server_endpoints(communicator, routers))

    def why_not(self, proxy: str, session: str) -> str | None:
        """A callback read back from Kafka is checked as `subscribe` checked it (`fold.CallbackVet`)."""
        assert self.rule is not None, "IceService.prepare() first"
        return self.rule.valid(proxy, session)

    def serve(self, registrar: Registrar, desk: Desk) -> None:
        """Activate the adapter Glacier2 calls: the verifier and the session manager.

        Raises OSError naming the endpoints when its port is held; nothing is half-made, so it may be called
        again."""
        assert self.communicator is not None and self.rule is not None, "IceService.prepare() first"
        self._loop = asyncio.get_running_loop()
        self._registrar = registrar
        self._desk = desk
        communicator = self.communicator
        try:
            adapter = communicator.createObjectAdapter("Wostream")
        except Ice.SocketException as exc:  # the port is held: an OSError the worker waits out and names
            where = communicator.getProperties().getProperty("Wostream.Endpoints")
            why = os.strerror(exc.error) if exc.error else str(exc).split(":", 1)[-1].strip()
            raise OSError(exc.error, f"the Ice adapter cannot listen on {where}: {why}") from None
        verifier = PermissionsVerifierI(self.directory, LoginPolicy())
        adapter.add(verifier, Ice.stringToIdentity("wostream/PermissionsVerifier"))
        manager = SessionManagerI(self.directory, self, self.rule, self.sessions)
        adapter.add(manager, Ice.stringToIdentity("wostream/SessionManager"))
        adapter.activate()
        self.directory.watch(self)
        log.info("Ice adapter listening on %s", adapter.getEndpoints())

    async def stop(self) -> None:
        if self.communicator is not None:
            communicator, self.communicator = self.communicator, None
            await asyncio.get_running_loop().run_in_executor(None, communicator.destroy)

    def subscriber_changed(self, base_code: str) -> None:
        """A directory watcher (on the loop): end the sessions the subscription no longer allows."""
        for live, why in self.sessions.to_end(base_code, self.directory.subscriptions.get(base_code)):
            log.warning("ending session %s of %s: %s", live.session_id[:8], base_code, why)
            self.sessions.remove(base_code, live.session_id)
            live.servant.unsubscribe()
            try:
                live.control.destroyAsync()  # Glacier2 drops the client; not awaited on the loop
            except Ice.Exception as exc:
                log.warning("could not end session %s of %s: %s", live.session_id[:8], base_code, exc)

    def publish(
        self, base_code: str, session: str, proxy: str | None, batch: bool
    ) -> concurrent.futures.Future[None]:
        """From an Ice thread: publish a session's callback on the loop; Ice completes the dispatch. Batches
        only where the subscriber asked for them (`subscribeBatches`) and the deployment allows them."""
        assert self._loop is not None and self._registrar is not None
        registering = self._registrar.register(base_code, session, proxy, batch and self.batches)
        return asyncio.run_coroutine_threadsafe(registering, self._loop)

    def status(self, base_code: str) -> SubscriberStatus:
        assert self._desk is not None
        return self._desk.status(base_code)

    def resync(
        self, base_code: str, ticket: str | None, since: float | None
    ) -> concurrent.futures.Future[int]:
        """From an Ice thread: at most one resync per subscriber every `resync_every` s, on the loop."""
        assert self._loop is not None and self._desk is not None
        now = time.monotonic()
        last = self._resyncs.get(base_code)
        if last is not None and now - last < self.resync_every:
            wait = math.ceil(self.resync_every - (now - last))  # never "try again in 0 s"
            raise ResyncRefused(f"one resync every {self.resync_every:.0f} s: try again in {wait} s")
        self._resyncs[base_code] = now
        return asyncio.run_coroutine_threadsafe(self._desk.resync(base_code, ticket, since), self._loop)

    async def drop_stale_callbacks(self) -> None:
        """For the worker's life (supervised): ask the router whether each registered callback still has a
        session, and drop (for every worker) those it says are gone. Often at first (a restarted stack finds
        its subscribers' old callbacks dead within seconds), then every 15 s."""
        assert self._registrar is not None and self.caller is not None
        registrar, caller = self._registrar, self.caller
        started = time.monotonic()
        limit = asyncio.Semaphore(50)

        async def check(callback: Callback) -> None:
            async with limit:
                if await caller.gone(callback.proxy):
                    log.info(
                        "callback of %s (session %s) is gone: dropped",
                        callback.base_code,
                        callback.session[:8],
                    )
                    await registrar.forget(callback.base_code, callback.session)

        while True:
            await asyncio.gather(*(check(c) for c in registrar.live()))
            await asyncio.sleep(2.0 if time.monotonic() - started < 60 else 15.0)
