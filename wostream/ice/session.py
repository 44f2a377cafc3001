"""One subscriber's Glacier2 session: it registers a callback for its own baseCode only, named after the
session itself (so no other session can register it: `CallbackRule`), and answers what its subscriber may ask
of wostream itself: what waits for it, and a resync of its own entitled events.

Servants run on Ice threads; what needs the worker's loop (publishing a callback, a resync) goes through the
`SessionService`, whose futures Ice completes the dispatch with.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import time
import uuid
from collections import deque
from typing import Any, Protocol

import Ice

from wostream.ice.callbacks import CallbackRule, Refusal
from wostream.ice.contract import ResyncRefused, SubscribeRefused, SubscriberSession

log = logging.getLogger(__name__)

SUBSCRIBES_PER_MINUTE = 10
MAX_TICKET = 64  # characters of a serviceOrderId a resync may name
RESYNC_WINDOW = 7 * 86400.0  # how far back a resync may reach


class SessionService(Protocol):
    """What a session asks of its worker, from an Ice thread (the IceService carries it to the loop)."""

    def publish(
        self, base_code: str, session: str, proxy: str | None, batch: bool
    ) -> concurrent.futures.Future[None]:
        """Publish a session's callback (None: its end) for every worker."""
        ...

    def status(self, base_code: str) -> Any:
        """The subscriber's `SubscriberStatus` now."""
        ...

    def resync(
        self, base_code: str, ticket: str | None, since: float | None
    ) -> concurrent.futures.Future[int]:
        """Queue a resync of this subscriber's entitled events; raises ResyncRefused with the reason."""
        ...


class Registry(Protocol):
    def remove(self, base_code: str, session_id: str) -> Any: ...


class SubscriberSessionI(SubscriberSession):  # type: ignore[misc]
    def __init__(self, base_code: str, service: SessionService, rule: CallbackRule, registry: Registry):
        self.base_code = base_code
        self.session_id = uuid.uuid4().hex
        self._service = service
        self._rule = rule
        self._registry = registry
        self._proxy: str | None = None
        self._recent: deque[float] = deque(maxlen=SUBSCRIBES_PER_MINUTE)

    def subscribe(self, cb: Any, current: Ice.Current) -> Any:
        return self._register(cb, batch=False)

    def subscribeBatches(self, cb: Any, current: Ice.Current) -> Any:
        return self._register(cb, batch=True)

    def _register(self, cb: Any, batch: bool) -> Any:
        if cb is None:
            return self.unsubscribe()
        try:
            proxy = self._rule.accept(cb, self.session_id)
        except Refusal as exc:
            log.warning("callback of %s refused (session %s): %s", self.base_code, self.session_id[:8], exc)
            raise SubscribeRefused(str(exc)) from None
        if (proxy, batch) == (self._proxy, self._batch):
            return None  # the same callback again: nothing to publish
        now = time.monotonic()
        if len(self._recent) == self._recent.maxlen and now - self._recent[0] < 60:
            raise SubscribeRefused(f"more than {SUBSCRIBES_PER_MINUTE} callback changes a minute")
        self._recent.append(now)
        self._proxy, self._batch = proxy, batch
        how = "batches" if batch else "one event per call"
        log.info(
            "subscriber %s registered its callback (%s; session %s)", self.base_code, how, self.session_id[:8]
        )
        return self._service.publish(self.base_code, self.session_id, proxy, batch)

    _batch = False

    def status(self, current: Ice.Current) -> Any:
        return self._service.status(self.base_code)

    def resyncTicket(self, serviceOrderId: str, current: Ice.Current) -> Any:
        ticket = serviceOrderId.strip()
        if not ticket or len(ticket) > MAX_TICKET:
            raise ResyncRefused(f"a serviceOrderId of 1 to {MAX_TICKET} characters, please")
        return self._service.resync(self.base_code, ticket, None)

    def resyncSince(self, sinceEpochSeconds: int, current: Ice.Current) -> Any:
        oldest = time.time() - RESYNC_WINDOW
        if sinceEpochSeconds < oldest:
            raise ResyncRefused(f"a resync reaches back at most {RESYNC_WINDOW / 86400:.0f} days")
        return self._service.resync(self.base_code, None, float(sinceEpochSeconds))

    def destroy(self, current: Ice.Current) -> Any:
        with contextlib.suppress(Ice.NotRegisteredException):
            current.adapter.remove(current.id)
        self._registry.remove(self.base_code, self.session_id)
        log.info("subscriber %s left (session %s)", self.base_code, self.session_id[:8])
        return self.unsubscribe()

    def unsubscribe(self) -> Any:
        if self._proxy is None:
            return None
        self._proxy = None
        return self._service.publish(self.base_code, self.session_id, None, False)
