"""What every worker knows of its subscribers: subscriptions, id maps and live callbacks.

Plain state with typed setters and no I/O: `records.fold` decodes the compacted config topics into it, the Ice
servants, routing and delivery read from it. Each worker folds the whole of every config topic into its own
Directory (docs/architecture.md says why not a Faust GlobalTable).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

from wostream.core.models import IdMaps, Subscription
from wostream.core.routing import SubscriptionIndex

log = logging.getLogger(__name__)

MAX_ERRORS = 100  # configuration problems kept for /errors; older ones are in the log


@dataclass(frozen=True)
class Callback:
    """A subscriber's registered `Subscriber*` as `proxyToString()` output: a bearer token, never logged."""

    base_code: str
    session: str
    proxy: str
    registered_at: float
    batch: bool = False  # a BatchSubscriber: takes `pushBatch`


class SubscriberWatcher(Protocol):
    def subscriber_changed(self, base_code: str) -> None: ...


@dataclass
class Directory:
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    index: SubscriptionIndex = field(default_factory=lambda: SubscriptionIndex([]))
    idmaps: IdMaps = field(default_factory=IdMaps)
    callbacks: dict[str, dict[str, Callback]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    watchers: list[SubscriberWatcher] = field(default_factory=list)

    def put_subscription(self, base_code: str, sub: Subscription | None, reindex: bool = True) -> None:
        """Set or (None) remove a subscription; the routing index follows at once unless `reindex` is False
        (a batch of records rebuilds it once, at its end: a thousand rebuilds of a thousand would stall)."""
        if sub is None:
            self.subscriptions.pop(base_code, None)
        else:
            self.subscriptions[base_code] = sub
        if reindex:
            self.reindex()
        self._notify(base_code)

    def reindex(self) -> None:
        self.index = SubscriptionIndex(self.subscriptions.values())

    def put_callback(self, base_code: str, session: str, callback: Callback | None) -> None:
        sessions = self.callbacks.setdefault(base_code, {})
        if callback is None:
            sessions.pop(session, None)
        else:
            sessions[session] = callback
        self._notify(base_code)

    def callback_for(self, base_code: str) -> Callback | None:
        """The most recent live registration: a subscriber that reconnected wins over its stale session."""
        sessions = self.callbacks.get(base_code)
        if not sessions:
            return None
        return max(sessions.values(), key=lambda c: c.registered_at)

    def online(self, base_code: str) -> bool:
        sub = self.subscriptions.get(base_code)
        return sub is not None and sub.enabled and not sub.paused and self.callback_for(base_code) is not None

    def error(self, message: str) -> None:
        """A configuration record no worker could use: logged and kept for /errors."""
        log.error("%s", message)
        self.errors.append(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {message}")
        del self.errors[:-MAX_ERRORS]

    def watch(self, watcher: SubscriberWatcher) -> None:
        """`watcher` hears of every change to a subscriber's subscription or callbacks, on the event loop."""
        self.watchers.append(watcher)

    def _notify(self, base_code: str) -> None:
        for watcher in list(self.watchers):
            watcher.subscriber_changed(base_code)
