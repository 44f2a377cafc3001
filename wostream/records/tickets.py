"""Records of ticket memory: the tickets table's values, and the latest event of each kind of each ticket.

A ticket's value is small and fixed in size (its routing keys and when it ended), and written only when one of
them changes. The latest events, which resync pushes, go to a compacted topic of their own, one record per
(ticket, changeId), every record of a ticket in the partition of the ticket's id (`latest_partition_key`): the
offsets of a ticket's records there are the order it was routed in, which is the order resync pushes them in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from wostream.core.models import Ticket
from wostream.records.headers import EVENT_ID, Headers, text_headers

SEP = "\x1f"
CHANGE_IDS = tuple(str(n) for n in range(1, 11))


def ticket_value(ticket: Ticket) -> bytes:
    doc = {
        "a": ticket.data_area,
        "o": ticket.organ_id,
        "c": ticket.community_id,
        "e": ticket.ended_at,
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def decode_ticket(value: bytes | None) -> Ticket | None:
    """The stored ticket, or None for a missing or unreadable value (routed as an unknown ticket)."""
    if not value:
        return None
    try:
        doc = json.loads(value)
        return Ticket(
            _text(doc.get("a")),
            _text(doc.get("o")),
            _text(doc.get("c")),
            None if doc.get("e") is None else float(doc["e"]),
        )
    except (ValueError, TypeError, AttributeError, RecursionError):
        return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def latest_key(ticket_id: str, change_id: str) -> bytes:
    return f"{ticket_id}{SEP}{change_id}".encode()


def latest_keys(ticket_id: str) -> list[bytes]:
    """Every key a ticket's latest events may have: what forgetting the ticket tombstones."""
    return [latest_key(ticket_id, change_id) for change_id in CHANGE_IDS]


def latest_partition_key(ticket_id: str) -> bytes:
    """What chooses the partition of every latest-event record of a ticket (and of their tombstones)."""
    return ticket_id.encode()


def latest_headers(event_id: str, at: float) -> Headers:
    return [(EVENT_ID, event_id.encode()), ("at", repr(at).encode())]


@dataclass(frozen=True)
class Latest:
    """The latest event of one kind of one ticket, as resync reads it back."""

    ticket_id: str
    change_id: str
    event_id: str
    raw: bytes
    at: float  # when it was routed
    offset: int  # a ticket's records are in one partition: this orders them


def decode_latest(
    key: bytes, value: bytes | None, headers: list[tuple[str, bytes]] | None, offset: int
) -> Latest | None:
    """A latest-event record, or None for a tombstone or a record this module could not have written."""
    if value is None:
        return None
    try:
        ticket_id, change_id = key.decode("utf-8").split(SEP, 1)
        meta = text_headers(headers)
        return Latest(ticket_id, change_id, meta[EVENT_ID], value, float(meta.get("at") or 0.0), offset)
    except (ValueError, KeyError, UnicodeDecodeError):
        return None
