"""Lenient reading of one raw event (docs/contract.md 4a and 6): bytes in, a parsed event or a reason out.

Only what routing needs is strict: `changeId`, a data area, `serviceOrderId`. The body is kept exactly
as received (key order, spelling, decimal text, a key given twice) because subscribers get it forwarded,
not re-modelled; only a field routing reads given twice with different values is refused.
Every failure is a `Rejection` with a one-line reason naming the field; nothing here raises on input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import simplejson

from wostream.core.catalogue import change_ids, routing_fields
from wostream.core.jsontext import loads, same
from wostream.core.keys import Keys

MAX_EVENT_BYTES = 4 * 1024 * 1024  # far above any real ticket event; bounds memory and parse time
MAX_DEPTH = 64  # real bodies nest 3 deep; deeper input is hostile or broken


@dataclass(frozen=True)
class ParsedEvent:
    change_id: str
    data_area: str | None  # None: not in the event (its ticket may know it)
    service_order_id: str
    body: dict[str, Any]  # as received; treat as read-only, it is shared by every subscriber's copy
    organ_id: str | None = None
    community_id: str | None = None
    event_id: str | None = None  # the producer's own id, when it sent one
    occurred_at: str | None = None
    key: str | None = None  # the Kafka key as text, informational: deliveries key by serviceOrderId
    # the body's keys as read once, for every later step (drift, enrichment, masking) and every copy
    keys: Keys = field(default_factory=Keys, compare=False, repr=False)


@dataclass(frozen=True)
class Rejection:
    reason: str
    change_id: str | None = None  # known when the event got that far (metrics, changeId 8)


class _Reject(Exception):
    """Internal short-cut from deep helpers to `parse_raw`; never escapes this module."""


def _find(keys: Keys, source: Mapping[str, Any], name: str, where: str = "") -> str | None:
    """The key of a field routing reads. The field may be given more than once (the same key twice, or two
    spellings such as `data` and `DATA`): fine when every occurrence holds the same value; with different
    values which one the producer meant is anybody's guess, so the event is refused, naming both."""
    spelled = keys.spellings(source, name)
    if not spelled:
        return None
    first = spelled[0]
    for other in spelled[1:]:
        if not same(source[first], source[other]):
            raise _Reject(
                f"{name}{where} is given twice with different values (duplicate keys "
                f"{_show(first)}: {_show(source[first])} and {_show(other)}: {_show(source[other])})"
            )
    return first


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _show(value: object) -> str:
    """A value as it appears in a reason: JSON-ish, short, one line."""
    if not _is_scalar(value):
        return _type_name(value)
    text: str = simplejson.dumps(value, use_decimal=True, ensure_ascii=True)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | Decimal)


def _text_id(value: object) -> str | None:
    """An id given as string or integer, as trimmed text; None for anything else, empty, or not encodable."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text if text and _utf8(text) else None


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _loads(text: str, what: str) -> Any:
    """Parse JSON text; a key given twice in one object is kept twice (`jsontext`), for routing to judge."""
    try:
        return loads(text)
    except InvalidOperation:  # a number literal Decimal cannot hold (e.g. an exponent of twenty digits)
        raise _Reject(f"{what} holds a number whose exponent is too large to read") from None
    except RecursionError:
        raise _Reject(f"{what} nests too deeply") from None
    except simplejson.JSONDecodeError as exc:
        if _non_finite_at(text, exc.pos):
            reason = f"{what} holds NaN or Infinity at char {exc.pos}; JSON does not allow them"
            raise _Reject(reason) from None
        raise _Reject(f"{what} is not valid JSON: {exc.msg} at char {exc.pos}") from None
    except ValueError as exc:  # e.g. an integer literal beyond Python's digit limit
        raise _Reject(f"{what} is not readable JSON: {_one_line(str(exc))}") from None


def _one_line(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _non_finite_at(text: str, pos: int) -> bool:
    tail = text[pos : pos + 9]
    return tail.startswith(("NaN", "Infinity", "-Infinity"))


def _depth_within(value: Any, text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether `value` nests at most `limit` containers deep; cheap unless the text has many brackets."""
    if text.count("[") + text.count("{") <= limit:
        return True
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return True


def _envelope(raw: bytes) -> dict[str, Any]:
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise _Reject(f"event is {type(raw).__name__}, not bytes")
    if not raw:
        raise _Reject("event is empty (a tombstone or an empty record): nothing to route")
    if len(raw) > MAX_EVENT_BYTES:
        raise _Reject(f"event is {len(raw)} bytes, more than the limit of {MAX_EVENT_BYTES}")
    try:
        text = bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Reject(f"event is not UTF-8: invalid byte at position {exc.start}") from None
    text = text.removeprefix("\ufeff")
    value = _loads(text, "event")
    if not isinstance(value, dict):
        raise _Reject(f"event is a JSON {_type_name(value)}, not an object")
    if not _depth_within(value, text):
        raise _Reject(f"event nests more than {MAX_DEPTH} levels deep")
    return value


def _change_id(envelope: Mapping[str, Any], keys: Keys) -> str:
    key = _find(keys, envelope, "changeId")
    if key is None:
        raise _Reject("changeId missing")
    value = envelope[key]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _Reject(f"changeId has type {_type_name(value)}; expected a string or integer")
    text = str(value).strip()
    if text not in change_ids():
        raise _Reject(f"changeId {_show(value)} is not a known event kind (1..10)")
    return text


def _body(envelope: Mapping[str, Any], keys: Keys) -> dict[str, Any]:
    key = _find(keys, envelope, "data")
    if key is None:
        raise _Reject("data missing")
    value = envelope[key]
    if isinstance(value, str):
        value = _loads(value, "data (a JSON string)")
        if not isinstance(value, dict):
            raise _Reject("data is a JSON string that does not hold an object")
        # The inner text was not covered by the envelope's depth check.
        if not _depth_within(value, envelope[key]):
            raise _Reject(f"data nests more than {MAX_DEPTH} levels deep")
        return value
    if not isinstance(value, dict):
        raise _Reject(f"data has type {_type_name(value)}; expected an object or a JSON string holding one")
    return value


def no_data_area() -> str:
    reads = routing_fields()
    fallbacks = " and ".join(f"data.{name}" for name in reads.data_area_fallbacks)
    return f"no data area: {reads.data_area}, {fallbacks} all missing or empty"


def _data_area(envelope: Mapping[str, Any], body: Mapping[str, Any], keys: Keys) -> str | None:
    """The event's own data area, or None: routing then asks the ticket's memory, or quarantines it."""
    reads = routing_fields()
    sources = [(envelope, reads.data_area), *((body, name) for name in reads.data_area_fallbacks)]
    for source, name in sources:
        where = "" if source is envelope else " in data"
        key = _find(keys, source, name, where)
        value = source[key] if key is not None else None
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise _Reject(f"{name}{where} has type {_type_name(value)}; expected a string")
        area = _text_id(value)
        if area is not None:
            return area
    return None


def _ticket_id(body: Mapping[str, Any], keys: Keys) -> str:
    name = routing_fields().ticket
    key = _find(keys, body, name, " in data")
    if key is None:
        raise _Reject(f"{name} missing from data")
    value = body[key]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _Reject(f"{name} in data has type {_type_name(value)}; expected a string or integer")
    text = str(value).strip()
    if not text:
        raise _Reject(f"{name} in data is empty")
    if not _utf8(text):
        raise _Reject(f"{name} in data is not valid Unicode text (a lone surrogate escape)")
    return text


def _optional_id(source: Mapping[str, Any], name: str, keys: Keys, where: str = "") -> str | None:
    key = _find(keys, source, name, where)
    return None if key is None else _text_id(source[key])


def _key_text(key: bytes | None) -> str | None:
    if key is None:
        return None
    try:
        return bytes(key).decode("utf-8")
    except (UnicodeDecodeError, TypeError):
        return None


def parse_raw(raw: bytes, key: bytes | None = None) -> ParsedEvent | Rejection:
    """Read one raw event; never raises on bad input (anything unexpected is the caller's to catch)."""
    change_id: str | None = None
    try:
        envelope = _envelope(raw)
        keys = Keys()
        change_id = _change_id(envelope, keys)
        body = _body(envelope, keys)
        reads = routing_fields()
        return ParsedEvent(
            change_id=change_id,
            data_area=_data_area(envelope, body, keys),
            service_order_id=_ticket_id(body, keys),
            body=body,
            organ_id=_optional_id(body, reads.organ, keys, " in data"),
            community_id=_optional_id(body, reads.community, keys, " in data"),
            event_id=_optional_id(envelope, "eventId", keys),
            occurred_at=_optional_id(envelope, "occurredAt", keys),
            key=_key_text(key),
            keys=keys,
        )
    except _Reject as exc:
        return Rejection(str(exc), change_id)
    except (RecursionError, MemoryError) as exc:
        return Rejection(f"event too large or too deeply nested to read ({type(exc).__name__})", change_id)
