"""The records one routed event becomes: a copy per entitled subscriber and, if needed, a quarantine record.

Every record is sized before it is written. A copy over the limit can never be written (the broker
refuses it on every try), so it becomes a quarantine reason naming the subscriber and the size instead; a raw
event too big to be kept in the quarantine with its headers is quarantined as a small stub that names its size
and where it still is. Routing therefore never waits on a write that cannot succeed.
"""

from __future__ import annotations

from dataclasses import dataclass

from wostream.config.settings import Settings
from wostream.core.models import Copy, RouteResult
from wostream.records.headers import Headers, push_headers, quarantine_headers
from wostream.records.tickets import latest_headers, latest_key, latest_partition_key

# Framing of one record in a batch (lengths, offsets, timestamps, attributes), estimated on the safe side.
RECORD_OVERHEAD = 256


@dataclass(frozen=True)
class Write:
    topic: str
    key: bytes | None
    value: bytes
    headers: Headers
    partition_key: bytes | None = None  # chooses the partition instead of `key` (the producer's partitioner)


def record_size(key: bytes | None, value: bytes, headers: Headers) -> int:
    return RECORD_OVERHEAD + len(key or b"") + len(value) + sum(len(k) + len(v) for k, v in headers)


def _copy(settings: Settings, copy: Copy) -> Write:
    headers = push_headers(copy.data_area, copy.change_id, copy.event_id)
    return Write(settings.push_topic(copy.base_code), copy.key.encode(), copy.envelope, headers)


def _too_big(what: str, size: int, limit: int) -> str:
    return f"{what} would be {size:,} bytes, over the {limit:,}-byte record limit"


def plan_all(
    settings: Settings, result: RouteResult, raw: bytes, key: bytes | None, source: str, now: float
) -> list[Write]:
    """Everything one routed event becomes: its copies and quarantine record, and with ticket memory the
    latest-event record resync reads; or, for an event read under another key than its ticket, the event
    re-sent keyed by its ticket (routed when it comes back)."""
    limit = settings.max_record_bytes
    if result.rekey and result.ticket_id is not None:
        rekeyed = Write(settings.rekey_topic, result.ticket_id.encode(), raw, [("source", source.encode())])
        if record_size(rekeyed.key, rekeyed.value, rekeyed.headers) <= limit:
            return [rekeyed]
        reason = _too_big("the event re-keyed by its ticket", len(raw), limit)
        return [quarantine(settings, [reason], raw, key, source, result.event_id)]
    writes = plan_writes(settings, result, raw, key, source)
    stored = result.ticket
    if stored is not None and result.ticket_id is not None and result.change_id and not result.unsupported:
        latest = Write(
            settings.latest_topic,
            latest_key(result.ticket_id, result.change_id),
            raw,
            latest_headers(result.event_id or "", now),
            latest_partition_key(result.ticket_id),
        )
        if record_size(latest.key, latest.value, latest.headers) <= limit:
            writes.append(latest)
    return writes


def plan_writes(
    settings: Settings, result: RouteResult, raw: bytes, key: bytes | None, source: str
) -> list[Write]:
    """The copies that fit, then the quarantine record if any reason (old or new) calls for one."""
    limit = settings.max_record_bytes
    writes: list[Write] = []
    reasons = list(result.quarantine)
    for copy in result.copies:
        write = _copy(settings, copy)
        size = record_size(write.key, write.value, write.headers)
        if size <= limit:
            writes.append(write)
        else:
            reasons.append(_too_big(f"the copy for {copy.base_code}", size, limit) + ": not pushed")
    if reasons:
        writes.append(quarantine(settings, reasons, raw, key, source, result.event_id))
    return writes


def quarantine(
    settings: Settings, reasons: list[str], raw: bytes, key: bytes | None, source: str, event_id: str | None
) -> Write:
    """The original bytes with the reasons, or, when they cannot fit, an empty stub saying where they are."""
    limit = settings.max_record_bytes
    headers = quarantine_headers(reasons, source, event_id)
    size = record_size(key, raw, headers)
    if size <= limit and len(headers[0][1]) <= limit // 4:
        return Write(settings.quarantine_topic, key, raw, headers)
    shown = [r if len(r) <= 300 else r[:297] + "..." for r in reasons[:20]]
    shown.append(_too_big("the original event with its reasons", size, limit) + f": it stays at {source}")
    return Write(
        settings.quarantine_topic,
        (key or b"")[:1024] or None,
        b"",
        quarantine_headers(shown, source, event_id),
    )
