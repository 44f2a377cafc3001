"""Kafka headers of the event topics: push copies, quarantine records, dead letters and replays.

Headers carry what the value must not (the envelope is exact: docs/contract.md section 4): the stable event
id, routing tags, and why an event was set aside. One module writes and reads them all, so the dead-letter
format and its inverse in replay cannot drift apart.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wostream.core.decisions import REPLAY_AT

Headers = list[tuple[str, bytes]]
RawHeaders = Iterable[tuple[str, bytes]] | None

EVENT_ID = "eventId"
REPLAY_OF = "replayOf"
RESYNC = "resync"  # a copy pushed again by `wostream resync`: the subscriber sees resync=1 in the context
REPLAY_HEADERS = (REPLAY_OF, REPLAY_AT)
DEAD_HEADERS = ("reason", "attempts", "firstAttemptAt", "lastAttemptAt", "source")


def push_headers(data_area: str, change_id: str, event_id: str) -> Headers:
    """A routed copy's tags: its data area and kind (the contract's message tag), and the stable event id."""
    return [("dataArea", data_area.encode()), ("changeId", change_id.encode()), (EVENT_ID, event_id.encode())]


def quarantine_headers(reasons: Sequence[str], source: str, event_id: str | None) -> Headers:
    headers = [("reason", "; ".join(reasons).encode()), ("source", source.encode())]
    if event_id:
        headers.append((EVENT_ID, event_id.encode()))
    return headers


def text_headers(headers: RawHeaders) -> dict[str, str]:
    """Header values as text (lenient: a header is informational, never a reason to fail)."""
    return {k: v.decode("utf-8", "replace") for k, v in (headers or ())}


@dataclass(frozen=True)
class DeadLetter:
    """Why and when an event was given up for one subscriber."""

    event_id: str
    reason: str
    attempts: int
    first_at: float
    last_at: float
    source: str  # topic:partition:offset of the push copy that died


def dead_letter_headers(dead: DeadLetter, original: RawHeaders) -> Headers:
    """The death certificate first, then the copy's own tags (not an earlier replay's marks)."""
    meta = {
        EVENT_ID: dead.event_id,
        "reason": dead.reason,
        "attempts": str(dead.attempts),
        "firstAttemptAt": iso(dead.first_at),
        "lastAttemptAt": iso(dead.last_at),
        "source": dead.source,
    }
    headers = [(k, v.encode()) for k, v in meta.items()]
    return headers + [(k, v) for k, v in (original or ()) if k not in meta and k not in REPLAY_HEADERS]


def replay_headers(dead_headers: RawHeaders, where: str, replay_at: float) -> Headers:
    """A dead letter's own tags (eventId, dataArea, changeId) plus where it died and when it came back."""
    kept = [(k, v) for k, v in (dead_headers or ()) if k not in DEAD_HEADERS and k not in REPLAY_HEADERS]
    source = dict(dead_headers or ()).get("source", where.encode())
    return [*kept, (REPLAY_OF, source), (REPLAY_AT, repr(replay_at).encode())]


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
