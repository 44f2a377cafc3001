"""Records of the configuration topics: one per subscriber, one per id mapping.

Subscription values are the YAML entry's shape with `secretHash` only, decoded through the same validation as
the operator's file (`config.subscriptions`). Id-map keys are `<baseCode>\\x1f<kind>\\x1f<id>` with their id
as the value; a null value (tombstone) removes a subscriber or a mapping.
"""

from __future__ import annotations

import json

from wostream.config.errors import ConfigError
from wostream.config.idmaps import IdMapEntry, IdMapError, entry
from wostream.config.subscriptions import public_view, show, validate_wire_entry
from wostream.core.models import Subscription

KEY_SEPARATOR = "\x1f"  # ASCII unit separator: cannot occur in a baseCode or a kind, so the key splits back


def subscription_to_record(sub: Subscription) -> tuple[bytes, bytes]:
    """Key = baseCode, value = the entry as JSON (camelCase, `secretHash`, retry durations in seconds)."""
    body = {"baseCode": sub.base_code, "name": sub.name, "secretHash": sub.secret_hash}
    body.update(public_view(sub))
    value = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return sub.base_code.encode("utf-8"), value.encode("utf-8")


def subscription_from_record(key: bytes, value: bytes | None) -> Subscription | None:
    """Decode a config-topic record; None for a tombstone (the subscriber was removed).

    Raises ConfigError if it is malformed, whatever the bytes (deep nesting and huge numbers included).
    """
    try:
        base_code = key.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(["config record: key is not UTF-8"]) from None
    prefix = f"config record {show(base_code)}"
    if value is None:
        return None
    try:
        raw = json.loads(value.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ConfigError([f"{prefix}: value is not UTF-8 JSON ({type(exc).__name__})"]) from None
    sub = validate_wire_entry(raw, prefix)
    if sub.base_code != base_code:
        raise ConfigError(
            [f"{prefix} ({sub.base_code}): baseCode: {show(sub.base_code)} does not match the record key"]
        )
    return sub


def idmap_to_record(item: IdMapEntry) -> tuple[bytes, bytes | None]:
    """Key `<baseCode>\\x1f<kind>\\x1f<id>`, value their id (None: a tombstone that deletes the mapping)."""
    key = KEY_SEPARATOR.join((item.base_code, item.kind.value, item.our_id))
    return key.encode("utf-8"), None if item.their_id is None else item.their_id.encode("utf-8")


def idmap_from_record(key: bytes, value: bytes | None) -> IdMapEntry:
    """Decode an id-map record; raises IdMapError for anything `idmap_to_record` could not have written."""
    try:
        text = key.decode("utf-8")
        their_id = None if value is None else value.decode("utf-8")
    except UnicodeDecodeError:
        raise IdMapError(["id-map record: key or value is not UTF-8"]) from None
    parts = text.split(KEY_SEPARATOR, 2)  # the id is last, so even an id holding the separator splits right
    if len(parts) != 3:
        raise IdMapError([f"id-map record {text!r}: key must be baseCode, kind and id separated by \\x1f"])
    if their_id == "":
        raise IdMapError([f"id-map record {text!r}: empty value (a removal is a null value)"])
    found = entry(parts[0], parts[1], parts[2], their_id)
    if isinstance(found, str):
        raise IdMapError([f"id-map record {text!r}: {found}"])
    return found
