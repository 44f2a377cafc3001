"""Who may have a secret checked now: pure decisions over plain data, which the permissions verifier obeys.

What a check costs decides what is bounded (SECURITY.md, "Logins"):

- A generated secret (`wos_…`, keyed SHA-256) and an unknown baseCode (a keyed decoy) are checked in
  microseconds, every time, whatever anybody did before: nobody's failures can refuse their owner, a guess at
  256 random bits is hopeless, and a flood costs next to nothing. No lockout.
- A secret a person chose is checked with PBKDF2 (tens of milliseconds of a core), so those checks are
  bounded:
  * per baseCode and source network (IPv4 /24, IPv6 /64): after `free_failures` failures that network waits,
    twice as long after each further failure, up to `max_wait`; other networks are not affected;
  * per baseCode: at most `code_burst` checks at once and `code_per_minute` a minute from networks that never
    logged in to it, so guesses at one code are bounded however many addresses an attacker has; a network its
    owner logged in from before (`known`) is not held by this budget;
  * over all codes: at most `slow_per_second` slow checks a second (a burst of `slow_burst`), of which
    `known_per_second` (a burst of `known_burst`) are kept for known networks, which may also use the
    rest: a flood never takes more than that share of a core, and never all of it from an owner.
Memory is bounded: each table keeps its `max_keys` most recent entries.
"""

from __future__ import annotations

import ipaddress
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TypeVar

KNOWN_FOR = 30 * 86400.0  # seconds a network stays known after its last successful login


def network_of(address: str) -> str:
    """The source network an address belongs to: what one attacker rotates addresses within."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address[:64]
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@dataclass
class Bucket:
    """A token bucket: `rate` tokens a second, at most `burst` saved."""

    rate: float
    burst: float
    tokens: float = -1.0
    at: float = 0.0

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0: take it now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0

    def _refill(self, now: float) -> None:
        if self.tokens < 0:
            self.tokens, self.at = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now


V = TypeVar("V")


def _touch(table: OrderedDict[str, V], key: str, value: V, limit: int) -> None:
    """Set `key` as the most recent entry; the least recent go beyond `limit`."""
    table.pop(key, None)
    table[key] = value
    while len(table) > limit:
        table.popitem(last=False)


@dataclass
class LoginPolicy:
    free_failures: int = 5
    max_wait: float = 300.0
    code_burst: float = 10.0
    code_per_minute: float = 30.0
    slow_per_second: float = 10.0
    slow_burst: float = 20.0
    known_per_second: float = 2.0
    known_burst: float = 10.0
    max_keys: int = 100_000
    _failures: OrderedDict[str, tuple[int, float]] = field(default_factory=OrderedDict)  # code|network
    _known: OrderedDict[str, float] = field(default_factory=OrderedDict)  # code|network -> last success
    _codes: OrderedDict[str, Bucket] = field(default_factory=OrderedDict)  # code -> unknown networks' budget
    _slow: Bucket = field(init=False)
    _reserved: Bucket = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # the verifier runs on Ice threads

    def __post_init__(self) -> None:
        self._slow = Bucket(self.slow_per_second - self.known_per_second, self.slow_burst)
        self._reserved = Bucket(self.known_per_second, self.known_burst)

    def admit_slow(self, code: str, address: str, now: float) -> float:
        """Before a slow check of `code`'s secret from `address`: 0 to go ahead (the budgets are charged),
        else the seconds to wait (nothing is charged, nothing is checked)."""
        key = f"{code}|{network_of(address)}"
        with self._lock:
            wait = self._backoff(key, now)
            if wait > 0:
                return wait
            if self._is_known(key, now):  # the owner's share first, then the common budget
                bucket = self._reserved if self._reserved.wait(now) == 0 else self._slow
                wait = bucket.wait(now)
                if wait == 0:
                    bucket.take(now)
                return wait
            budgets = (self._code_bucket(code), self._slow)
            wait = max(b.wait(now) for b in budgets)
            if wait == 0:
                for b in budgets:
                    b.take(now)
            return wait

    def failed(self, code: str, address: str, now: float) -> None:
        key = f"{code}|{network_of(address)}"
        with self._lock:
            count, last = self._failures.get(key, (0, now))
            fresh = now - last > self.max_wait * 2
            _touch(self._failures, key, (1 if fresh else count + 1, now), self.max_keys)

    def succeeded(self, code: str, address: str, now: float) -> None:
        key = f"{code}|{network_of(address)}"
        with self._lock:
            self._failures.pop(key, None)
            _touch(self._known, key, now, self.max_keys)

    def _backoff(self, key: str, now: float) -> float:
        found = self._failures.get(key)
        if found is None:
            return 0.0
        count, last = found
        if count < self.free_failures:
            return 0.0
        return max(0.0, last + min(self.max_wait, 2.0 ** (count - self.free_failures)) - now)

    def _is_known(self, key: str, now: float) -> bool:
        last = self._known.get(key)
        return last is not None and now - last < KNOWN_FOR

    def _code_bucket(self, code: str) -> Bucket:
        bucket = self._codes.get(code) or Bucket(self.code_per_minute / 60.0, self.code_burst)
        _touch(self._codes, code, bucket, self.max_keys)
        return bucket
