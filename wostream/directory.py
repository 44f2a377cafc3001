"""What every worker knows: subscriptions, id maps and live callbacks, rebuilt from compacted topics.

Pure state with no Kafka import: `feed` reads the topics and calls `apply_*`; routing, the Ice servants and
delivery read from here. Faust's GlobalTable is unreliable with several workers (shared/notes/faust.md), so
each
worker folds the whole of every config topic into this object itself.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wostream.idmaps import apply_record as apply_idmap_record
from wostream.models import IdMaps, Subscription
from wostream.routing import SubscriptionIndex
from wostream.subscriptions import ConfigError, subscription_from_record

log = logging.getLogger(__name__)

SEP = "\x1f"


@dataclass(frozen=True)
class Callback:
    """A subscriber's registered `Subscriber*` as `proxyToString()` output: a bearer token, never logged."""

    base_code: str
    session: str
    proxy: str
    registered_at: float


def callback_key(base_code: str, session: str) -> bytes:
    """One record per session, so a late tombstone of an old session never hides a newer one."""
    return f"{base_code}{SEP}{session}".encode()


def callback_value(proxy: str, registered_at: float) -> bytes:
    return json.dumps({"proxy": proxy, "registeredAt": registered_at}).encode()


@dataclass(frozen=True)
class RetryState:
    """Where a partition's head record stands in its retry schedule, so a restart resumes it."""

    offset: int
    event_id: str
    attempts: int
    first_at: float
    next_at: float
    last_error: str

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "offset": self.offset,
                "eventId": self.event_id,
                "attempts": self.attempts,
                "firstAt": self.first_at,
                "nextAt": self.next_at,
                "lastError": self.last_error,
            },
            ensure_ascii=False,
        ).encode()


@dataclass(frozen=True)
class Park:
    """Why a ticket is parked (the dead event it waits behind) and since when."""

    event_id: str
    at: float


def retry_key(topic: str, partition: int, offset: int) -> bytes:
    """One record per event being retried: several tickets of one partition may be retrying at once."""
    return f"retry{SEP}{topic}{SEP}{partition}{SEP}{offset}".encode()


def park_key(base_code: str, ticket: str) -> bytes:
    """A ticket whose event was dead-lettered: its later events wait behind it in the dead topic."""
    return f"park{SEP}{base_code}{SEP}{ticket}".encode()


@dataclass
class Directory:
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    index: SubscriptionIndex = field(default_factory=lambda: SubscriptionIndex([]))
    idmaps: IdMaps = field(default_factory=IdMaps)
    callbacks: dict[str, dict[str, Callback]] = field(default_factory=dict)
    retries: dict[tuple[str, int, int], RetryState] = field(default_factory=dict)
    parked: dict[tuple[str, str], Park] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    listeners: list[Callable[[str], None]] = field(default_factory=list)

    def apply_subscription(self, key: bytes, value: bytes | None) -> None:
        try:
            sub = subscription_from_record(key, value)
        except ConfigError as exc:
            self._error(f"subscription record {key!r} ignored: {exc}")
            return
        base_code = key.decode("utf-8", "replace")
        if sub is None:
            self.subscriptions.pop(base_code, None)
        else:
            self.subscriptions[sub.base_code] = sub
        self.index = SubscriptionIndex(self.subscriptions.values())
        self._notify(base_code)

    def apply_idmap(self, key: bytes, value: bytes | None) -> None:
        try:
            apply_idmap_record(self.idmaps, key, value)
        except Exception as exc:  # a bad record must not stop the feed: report it
            self._error(f"id-map record {key!r} ignored: {exc}")

    def apply_callback(self, key: bytes, value: bytes | None) -> None:
        try:
            base_code, session = key.decode().split(SEP, 1)
            sessions = self.callbacks.setdefault(base_code, {})
            if value is None:
                sessions.pop(session, None)
            else:
                doc = json.loads(value)
                sessions[session] = Callback(
                    base_code, session, str(doc["proxy"]), float(doc["registeredAt"])
                )
        except (ValueError, KeyError, TypeError) as exc:
            self._error(f"callback record {key!r} ignored: {type(exc).__name__}")
            return
        self._notify(base_code)

    def apply_retry(self, key: bytes, value: bytes | None) -> None:
        """Retry states and parked tickets share one compacted topic; the key's first part tells which."""
        try:
            kind, a, b = key.decode().split(SEP, 2)
            doc = None if value is None else json.loads(value)
            if kind == "retry":
                partition, offset = b.split(SEP)
                self._apply_retry_state((a, int(partition), int(offset)), doc)
            elif kind == "park":
                if doc is None:
                    self.parked.pop((a, b), None)
                else:
                    self.parked[(a, b)] = Park(str(doc["eventId"]), float(doc["at"]))
            else:
                raise ValueError(kind)
        except (ValueError, KeyError, TypeError) as exc:
            self._error(f"retry record {key!r} ignored: {type(exc).__name__}")

    def _apply_retry_state(self, where: tuple[str, int, int], doc: dict[str, Any] | None) -> None:
        if doc is None:
            self.retries.pop(where, None)
            return
        self.retries[where] = RetryState(
            int(doc["offset"]),
            str(doc["eventId"]),
            int(doc["attempts"]),
            float(doc["firstAt"]),
            float(doc["nextAt"]),
            str(doc["lastError"]),
        )

    def callback_for(self, base_code: str) -> Callback | None:
        """The most recent live registration: a subscriber that reconnected wins over its stale session."""
        sessions = self.callbacks.get(base_code)
        if not sessions:
            return None
        return max(sessions.values(), key=lambda c: c.registered_at)

    def online(self, base_code: str) -> bool:
        sub = self.subscriptions.get(base_code)
        return sub is not None and sub.enabled and not sub.paused and self.callback_for(base_code) is not None

    def _notify(self, base_code: str) -> None:
        for listener in list(self.listeners):
            listener(base_code)

    def _error(self, message: str) -> None:
        log.error("%s", message)
        self.errors.append(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {message}")
        del self.errors[:-100]
