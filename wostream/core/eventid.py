"""A stable id per event, carried beside every copy so subscribers and our retries can spot duplicates.

Delivery is at-least-once: a replayed or re-serialised raw event must get the same id, so when the
producer sends none we hash the event's meaning (kind, area, ticket, body with sorted keys and exact
decimals), not its bytes.
"""

from __future__ import annotations

import hashlib

import simplejson

from wostream.core.intake import ParsedEvent

ID_LENGTH = 32  # hex chars of sha256: 128 bits, plenty against accidental collisions


def canonical(parsed: ParsedEvent) -> bytes:
    """The event's identity as bytes: independent of key order, whitespace and escaping of the input."""
    text: str = simplejson.dumps(
        [parsed.change_id, parsed.data_area, parsed.service_order_id, parsed.body],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        use_decimal=True,
    )
    # surrogatepass: a lone surrogate escape in the body must not make hashing fail; it is still stable.
    return text.encode("utf-8", "surrogatepass")


def event_id(parsed: ParsedEvent) -> str:
    """The producer's `eventId` when it gave one, else a deterministic content hash."""
    if parsed.event_id is not None:
        return parsed.event_id
    return hashlib.sha256(canonical(parsed)).hexdigest()[:ID_LENGTH]
