"""Records of the worker-state topics: live callbacks, retry schedules and parked tickets.

Keys join their parts with the ASCII unit separator, which cannot occur in a baseCode, a topic name or a
ticket id we key by; values are small JSON documents. Decoders raise `RecordError` on anything an encoder
here could not have written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from wostream.core.directory import Callback
from wostream.core.schedules import Park, RetryState, RetryWhere

SEP = "\x1f"


class RecordError(ValueError):
    """A record that cannot be decoded; the message names what is wrong, never a secret."""


def callback_key(base_code: str, session: str) -> bytes:
    """One record per session, so a late tombstone of an old session never hides a newer one."""
    return f"{base_code}{SEP}{session}".encode()


def callback_value(proxy: str, registered_at: float, batch: bool = False) -> bytes:
    return json.dumps({"proxy": proxy, "registeredAt": registered_at, "batch": batch}).encode()


def decode_callback(key: bytes, value: bytes | None) -> tuple[str, str, Callback | None]:
    """(baseCode, session, callback or None for a tombstone)."""
    base_code, session = _split(key, 2)
    if value is None:
        return base_code, session, None
    doc = _json(value)
    try:
        batch = doc.get("batch") is True
        callback = Callback(base_code, session, str(doc["proxy"]), float(doc["registeredAt"]), batch)
        return base_code, session, callback
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordError(f"callback value: {type(exc).__name__}") from None


def retry_key(topic: str, partition: int, offset: int) -> bytes:
    """One record per event being retried: several tickets of one partition may be retrying at once."""
    return f"retry{SEP}{topic}{SEP}{partition}{SEP}{offset}".encode()


def retry_value(state: RetryState) -> bytes:
    doc = {
        "offset": state.offset,
        "eventId": state.event_id,
        "attempts": state.attempts,
        "firstAt": state.first_at,
        "nextAt": state.next_at,
        "lastError": state.last_error,
    }
    return json.dumps(doc, ensure_ascii=False).encode()


def park_key(base_code: str, ticket: str) -> bytes:
    """A ticket whose event was dead-lettered: its later events wait behind it in the dead topic."""
    return f"park{SEP}{base_code}{SEP}{ticket}".encode()


def park_value(park: Park) -> bytes:
    return json.dumps({"eventId": park.event_id, "at": park.at}).encode()


@dataclass(frozen=True)
class RetryRecord:
    where: RetryWhere
    state: RetryState | None  # None: the event is done (acknowledged or dead)


@dataclass(frozen=True)
class ParkRecord:
    base_code: str
    ticket: str
    park: Park | None  # None: the ticket flows again (replayed)


def decode_retry_or_park(key: bytes, value: bytes | None) -> RetryRecord | ParkRecord:
    """Retry states and parks share one compacted topic; the key's first part tells which."""
    kind, a, b = _split(key, 3)
    doc = None if value is None else _json(value)
    try:
        if kind == "retry":
            partition, offset = b.split(SEP)
            return RetryRecord((a, int(partition), int(offset)), None if doc is None else _retry_state(doc))
        if kind == "park":
            return ParkRecord(a, b, None if doc is None else Park(str(doc["eventId"]), float(doc["at"])))
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordError(f"{kind} record: {type(exc).__name__}") from None
    raise RecordError(f"unknown record kind {kind[:20]!r}")


def _retry_state(doc: dict[str, Any]) -> RetryState:
    return RetryState(
        int(doc["offset"]),
        str(doc["eventId"]),
        int(doc["attempts"]),
        float(doc["firstAt"]),
        float(doc["nextAt"]),
        str(doc["lastError"]),
    )


def _split(key: bytes, parts: int) -> list[str]:
    try:
        fields = key.decode("utf-8").split(SEP, parts - 1)
    except UnicodeDecodeError:
        raise RecordError("key is not UTF-8") from None
    if len(fields) != parts:
        raise RecordError(f"key must have {parts} parts separated by \\x1f")
    return fields


def _json(value: bytes) -> dict[str, Any]:
    """A JSON object, or RecordError; hostile input (deep nesting, huge numbers) included."""
    try:
        doc = json.loads(value)
    except (ValueError, RecursionError) as exc:
        raise RecordError(f"value is not JSON ({type(exc).__name__})") from None
    if not isinstance(doc, dict):
        raise RecordError("value is not a JSON object")
    return doc
