"""Folds config-topic records into a `Directory` (and the retries topic into `Schedules`): decode, apply, and
report what cannot be used.

Anything may sit on a topic, so no record can stop the fold: whatever goes wrong with one record (malformed
JSON, hostile nesting, a decoder bug) becomes one line on /errors and the log, and the next record is applied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from wostream.config.errors import ConfigError
from wostream.core.directory import Directory
from wostream.core.schedules import Schedules
from wostream.records.config import idmap_from_record, subscription_from_record
from wostream.records.state import RetryRecord, decode_callback, decode_retry_or_park

Apply = Callable[[bytes, bytes | None], None]


class CallbackVet(Protocol):
    """Why a registered callback read back from Kafka must not be called (None: it may), before any push."""

    def why_not(self, proxy: str, session: str) -> str | None: ...


_SHOWN_KEY = 80  # bytes of a key quoted in a message: a hostile key must not make a huge log line


def shown(key: bytes) -> str:
    text = repr(key[:_SHOWN_KEY])
    return text + f"… ({len(key)} bytes)" if len(key) > _SHOWN_KEY else text


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConfigError):
        return "; ".join(exc.errors)[:500]
    return f"{type(exc).__name__}: {str(exc)[:200]}"


class Fold:
    """One applier per config topic, each shielded: a bad record is reported, never raised."""

    def __init__(
        self, directory: Directory, schedules: Schedules | None = None, vet: CallbackVet | None = None
    ) -> None:
        self.directory = directory
        self.schedules = schedules if schedules is not None else Schedules()
        self.vet = vet
        self.deferred = False  # inside a batch: the routing index is rebuilt once, when it ends

    def _guard(self, what: str, key: bytes, apply: Callable[[], None]) -> None:
        try:
            apply()
        except Exception as exc:  # any record, any failure: report it and go on with the next
            self.directory.error(f"{what} record {shown(key)} ignored: {_reason(exc)}")

    def subscription(self, key: bytes, value: bytes | None) -> None:
        def apply() -> None:
            sub = subscription_from_record(key, value)
            self.directory.put_subscription(key.decode("utf-8"), sub, reindex=not self.deferred)

        self._guard("subscription", key, apply)

    def idmap(self, key: bytes, value: bytes | None) -> None:
        def apply() -> None:
            item = idmap_from_record(key, value)
            self.directory.idmaps.put(item.base_code, item.kind, item.our_id, item.their_id)

        self._guard("id-map", key, apply)

    def callback(self, key: bytes, value: bytes | None) -> None:
        def apply() -> None:
            base_code, session, callback = decode_callback(key, value)
            why = None if callback is None or self.vet is None else self.vet.why_not(callback.proxy, session)
            if why is not None:
                raise ConfigError([f"the callback of {base_code} cannot be ours: {why}"])
            self.directory.put_callback(base_code, session, callback)

        self._guard("callback", key, apply)

    def retry(self, key: bytes, value: bytes | None) -> None:
        def apply() -> None:
            record = decode_retry_or_park(key, value)
            if isinstance(record, RetryRecord):
                self.schedules.put_retry(record.where, record.state)
            else:
                self.schedules.put_park(record.base_code, record.ticket, record.park)

        self._guard("retry", key, apply)
