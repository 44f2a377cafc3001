"""Login back-off: failed logins slow down further attempts per baseCode and per source address.

Throttled attempts are refused before the secret is even hashed, so a login flood costs the worker almost
nothing. The address limit is strict (an address guessing secrets gets up to `max_wait` between tries); the
baseCode limit is gentler (`max_wait_code`), because anyone can fail logins on someone else's code and must
not be able to lock its owner out for long. A success clears the baseCode's and the address's failures.
Memory is bounded: at most `max_keys` keys are remembered, the least recently failed go first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass
class _Failures:
    count: int
    last: float


@dataclass
class LoginThrottle:
    free_failures: int = 5  # failures a key may have before it must wait
    window: float = 600.0  # failures older than this are forgotten
    max_wait: float = 300.0  # per address
    max_wait_code: float = 30.0  # per baseCode
    max_keys: int = 100_000
    _failures: OrderedDict[str, _Failures] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # the verifier runs on Ice threads

    def wait(self, base_code: str, address: str, now: float) -> float:
        """Seconds before a login for `base_code` from `address` may be checked (0: check it now)."""
        with self._lock:
            return max(
                self._wait_for(f"code:{base_code}", now, self.max_wait_code),
                self._wait_for(f"addr:{address}", now, self.max_wait),
            )

    def failed(self, base_code: str, address: str, now: float) -> None:
        with self._lock:
            for key in (f"code:{base_code}", f"addr:{address}"):
                seen = self._failures.pop(key, None)
                fresh = seen is None or now - seen.last > self.window
                self._failures[key] = _Failures(1 if fresh or seen is None else seen.count + 1, now)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, base_code: str, address: str) -> None:
        with self._lock:
            self._failures.pop(f"code:{base_code}", None)
            self._failures.pop(f"addr:{address}", None)

    def _wait_for(self, key: str, now: float, ceiling: float) -> float:
        seen = self._failures.get(key)
        if seen is None or seen.count < self.free_failures or now - seen.last > self.window:
            return 0.0
        backoff = min(ceiling, 2.0 ** (seen.count - self.free_failures))
        return max(0.0, seen.last + backoff - now)
