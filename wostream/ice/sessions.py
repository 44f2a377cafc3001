"""The live Glacier2 sessions of this worker, so configuration changes can end them and limits can count them.

Sessions live in the worker that created them; every worker sees every configuration change, so each ends its
own sessions of a subscriber whose secret was rotated, or that was disabled or removed (through the session's
control: Glacier2 drops the client, and pushes to its callback fail at once).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from wostream.core.models import Subscription


@dataclass
class LiveSession:
    base_code: str
    session_id: str
    secret_hash: str  # the subscriber's secret hash when the session was created
    control: Any  # Glacier2.SessionControlPrx
    servant: Any  # SubscriberSessionI


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
    max_per_subscriber: int = 4
    _by_code: dict[str, dict[str, LiveSession]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # servants run on Ice threads

    def add(self, live: LiveSession) -> bool:
        """Count a new session in; False (nothing added) when the subscriber already has the maximum."""
        with self._lock:
            sessions = self._by_code.setdefault(live.base_code, {})
            if len(sessions) >= self.max_per_subscriber:
                return False
            sessions[live.session_id] = live
            return True

    def remove(self, base_code: str, session_id: str) -> None:
        with self._lock:
            self._by_code.get(base_code, {}).pop(session_id, None)

    def to_end(self, base_code: str, sub: Subscription | None) -> list[tuple[LiveSession, str]]:
        """The sessions of `base_code` that the subscription as it is now no longer allows, with why."""
        with self._lock:
            sessions = list(self._by_code.get(base_code, {}).values())
        found = ((s, outdated(sub, s.secret_hash)) for s in sessions)
        return [(s, why) for s, why in found if why is not None]

    def count(self, base_code: str) -> int:
        with self._lock:
            return len(self._by_code.get(base_code, {}))
