"""The routing decision: which subscribers get a raw event, and the exact bytes each one gets.

Pure: no Kafka, no Ice. The route agent calls `route` once per raw event and writes what it returns;
`route` never raises, because an exception escaping a Faust agent acks the event and loses it. Anything
unroutable comes back as a quarantine reason instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import simplejson

from wostream.core.catalogue import is_supported, routing_fields
from wostream.core.drift import Drift
from wostream.core.enrichment import enrich
from wostream.core.eventid import event_id
from wostream.core.intake import ParsedEvent, Rejection, no_data_area, parse_raw
from wostream.core.jsontext import escape_lone_surrogates
from wostream.core.masking import mask
from wostream.core.models import WILDCARD, Copy, IdMaps, RouteResult, Subscription, Ticket
from wostream.core.ticket_memory import fill, recall, remember, ticket_ids

UNSUPPORTED_CHANGE_ID = "8"
_CACHE_LIMIT = 4096  # distinct (dataArea, changeId) lookups remembered; data areas come from input

_ENCODER = simplejson.JSONEncoder(ensure_ascii=False, separators=(",", ":"), use_decimal=True)
_json_str = simplejson.encoder.encode_basestring  # a str as a JSON string literal, non-ASCII kept


def _normalised(values: frozenset[str], drop: frozenset[str] = frozenset()) -> frozenset[str]:
    """Trimmed values; a wildcard anywhere means the wildcard alone (so a subscription sits in one bucket)."""
    trimmed = frozenset(v.strip() for v in values) - drop
    return frozenset({WILDCARD}) if WILDCARD in trimmed else trimmed


class SubscriptionIndex:
    """Enabled subscriptions bucketed by (dataArea, changeId), wildcards in their own buckets.

    A lookup touches at most four buckets, so its cost depends on the subscriptions that can match an
    event, not on how many exist. Later entries with the same baseCode replace earlier ones.
    """

    def __init__(self, subscriptions: Iterable[Subscription]) -> None:
        latest: dict[str, Subscription] = {}
        for sub in subscriptions:
            latest[sub.base_code] = sub
        enabled = (s for s in latest.values() if s.enabled)
        self._subscriptions = tuple(sorted(enabled, key=lambda s: s.base_code))
        self._buckets: dict[tuple[str, str], list[Subscription]] = {}
        for sub in self._subscriptions:
            for area in _normalised(sub.data_areas):
                for change_id in _normalised(sub.change_ids, frozenset({UNSUPPORTED_CHANGE_ID})):
                    self._buckets.setdefault((area, change_id), []).append(sub)
        self._cache: dict[tuple[str, str], tuple[Subscription, ...]] = {}

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        """The indexed (enabled) subscriptions, by baseCode."""
        return self._subscriptions

    def __len__(self) -> int:
        return len(self._subscriptions)

    def candidates(self, data_area: str, change_id: str) -> tuple[Subscription, ...]:
        """Subscriptions whose data areas and changeIds cover the event, by baseCode; scope unchecked."""
        if change_id == UNSUPPORTED_CHANGE_ID:
            return ()
        lookup = (data_area, change_id)
        found = self._cache.get(lookup)
        if found is None:
            # an event's data area is a value, never a wildcard: "*" must not reach a subscriber twice
            keys = dict.fromkeys((lookup, (data_area, WILDCARD), (WILDCARD, change_id), (WILDCARD, WILDCARD)))
            merged = [sub for k in keys for sub in self._buckets.get(k, ())]
            found = tuple(sorted(merged, key=lambda s: s.base_code))
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[lookup] = found
        return found


def in_scope(sub: Subscription, organ_id: str | None, community_id: str | None) -> bool | None:
    """Whether the event is in the subscriber's scope; None when it cannot tell.

    It cannot tell when no id it knows matches and an id the subscription scopes by is unknown: a
    community-scoped subscriber and an event that names only its organisation. Deciding "no" there would drop
    the event silently for that subscriber.
    """
    if WILDCARD in sub.organ_ids or WILDCARD in sub.community_ids:
        return True
    if (organ_id is not None and organ_id in sub.organ_ids) or (
        community_id is not None and community_id in sub.community_ids
    ):
        return True
    if (sub.organ_ids and organ_id is None) or (sub.community_ids and community_id is None):
        return None
    return False


def envelope(data_area: str, change_id: str, body: dict[str, Any]) -> bytes:
    """docs/contract.md section 4 exactly: baseCode, dataArea, changeId, data (a JSON string), in that order.

    Assembled around simplejson's string encoder rather than encoding a dict: same bytes, and the
    `data` string is escaped once instead of going through the generic encoder a second time.

    One escaping style for every envelope, so integrators can diff and log them: text beyond ASCII is raw
    UTF-8 in `dataArea` and `data` alike, and the only `\\u` escapes are the control characters JSON requires
    and lone surrogates (a producer's `"\\udc80"`), which UTF-8 cannot carry: those are escaped where they
    stand, inside `data`'s JSON text, so the envelope itself parses with any JSON reader.
    """
    data = _ENCODER.encode(body)
    text = _frame(data_area, change_id, data)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        text = _frame(data_area, change_id, escape_lone_surrogates(data))
        return escape_lone_surrogates(text).encode("utf-8")  # dataArea: intake let none through, but be sure


def _frame(data_area: str, change_id: str, data: str) -> str:
    text: str = (
        '{"baseCode":"","dataArea":'
        + _json_str(data_area)
        + ',"changeId":'
        + _json_str(change_id)
        + ',"data":'
        + _json_str(data)
        + "}"
    )
    return text


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def internal_error(exc: BaseException, where: str = "") -> str:
    try:
        message = str(exc)
    except Exception:  # a broken __str__ must not break the quarantine path
        message = "<unprintable>"
    suffix = f" ({where})" if where else ""
    return _one_line(f"internal error: {type(exc).__name__}: {message}{suffix}")


def _copy(
    sub: Subscription,
    parsed: ParsedEvent,
    area: str,
    eid: str,
    idmaps: IdMaps,
    alike: dict[tuple[str, ...], bytes],
) -> Copy:
    """One subscriber's copy. Subscribers without id maps and with the same masks get the same bytes, built
    once (`alike`, per event): an event entitled to a thousand subscribers costs one envelope, not a
    thousand."""
    shared = not idmaps.any_for(sub.base_code)
    data = alike.get(sub.mask) if shared else None
    if data is None:
        ids = ticket_ids(parsed)
        body = enrich(parsed.body, parsed.change_id, sub.base_code, idmaps, parsed.keys, ids)
        if sub.mask:
            body = mask(body, sub.mask, parsed.keys)
        data = envelope(area, parsed.change_id, body)
        if shared:
            alike[sub.mask] = data
    return Copy(sub.base_code, parsed.service_order_id, area, parsed.change_id, eid, data)


def _unscoped_reason(event: ParsedEvent, base_codes: list[str]) -> str:
    reads = routing_fields()
    pairs = ((reads.organ, event.organ_id), (reads.community, event.community_id))
    missing = [name for name, value in pairs if not value]
    what = f"{missing[0]} and {missing[1]} both" if len(missing) == 2 else missing[0]
    return (
        f"{what} missing from data and unknown for ticket {event.service_order_id}: "
        f"cannot check the scope of subscriber(s) {', '.join(base_codes)}"
    )


def _observe(drift: Drift | None, parsed: ParsedEvent) -> None:
    if drift is None:
        return
    with contextlib.suppress(Exception):  # metrics must never cost an event
        drift.observe(parsed.change_id, parsed.body, parsed.keys.groups(parsed.body))


@dataclass
class _Progress:
    """What is known so far, so an internal error can still report the event's id and kind."""

    event_id: str | None = None
    change_id: str | None = None


@dataclass(frozen=True)
class Memory:
    """Ticket memory as routing sees it: a lookup, the clock, and how long an ended ticket is remembered.

    Routing only reads through `recall`; the ticket's new state comes back in `RouteResult.ticket` for the
    caller to store, so routing stays a pure function of its inputs.
    """

    recall: Callable[[str], Ticket | None]
    now: float
    ttl: float = 30 * 86400.0


def _copies(
    event: ParsedEvent, area: str, eid: str, index: SubscriptionIndex, idmaps: IdMaps
) -> tuple[tuple[Copy, ...], tuple[str, ...]]:
    """Each entitled subscriber's copy, and the reasons for the ones that could not be decided or made."""
    copies: list[Copy] = []
    unscoped: list[str] = []
    failures: list[str] = []
    alike: dict[tuple[str, ...], bytes] = {}
    for sub in index.candidates(area, event.change_id):
        verdict = in_scope(sub, event.organ_id, event.community_id)
        if verdict is None:
            unscoped.append(sub.base_code)
        elif verdict:
            try:
                copies.append(_copy(sub, event, area, eid, idmaps, alike))
            except Exception as exc:  # one subscriber's failure must not cost the others their copy
                failures.append(internal_error(exc, f"subscriber {sub.base_code}"))
    reasons = ([_unscoped_reason(event, unscoped)] if unscoped else []) + failures
    return tuple(copies), tuple(reasons)


def _route(
    raw: bytes,
    key: bytes | None,
    index: SubscriptionIndex,
    idmaps: IdMaps,
    how: tuple[Drift | None, Memory | None, bool],
    p: _Progress,
) -> RouteResult:
    drift, memory, rekey = how
    parsed = parse_raw(raw, key)
    if isinstance(parsed, Rejection):
        if parsed.change_id == UNSUPPORTED_CHANGE_ID:
            return RouteResult(event_id=None, change_id=parsed.change_id, unsupported=True)
        return RouteResult(event_id=None, change_id=parsed.change_id, quarantine=(parsed.reason,))
    p.change_id = parsed.change_id
    p.event_id = eid = event_id(parsed)
    ticket_id = parsed.service_order_id
    if rekey and key != ticket_id.encode("utf-8"):
        return RouteResult(eid, parsed.change_id, ticket_id=ticket_id, rekey=True)
    _observe(drift, parsed)
    known = None if memory is None else recall(memory.recall(ticket_id), memory.now, memory.ttl)
    stored = None if memory is None else remember(known, parsed, memory.now)
    if not is_supported(parsed.change_id):
        return RouteResult(eid, parsed.change_id, unsupported=True, ticket_id=ticket_id, ticket=stored)
    event = fill(parsed, known)
    if event.data_area is None:
        return RouteResult(eid, parsed.change_id, (), (no_data_area(),), ticket_id=ticket_id, ticket=stored)
    copies, reasons = _copies(event, event.data_area, eid, index, idmaps)
    return RouteResult(eid, parsed.change_id, copies, reasons, ticket_id=ticket_id, ticket=stored)


def route(
    raw: bytes,
    key: bytes | None,
    index: SubscriptionIndex,
    idmaps: IdMaps,
    drift: Drift | None = None,
    memory: Memory | None = None,
    rekey: bool = False,
) -> RouteResult:
    """Decide one raw event. Never raises: unexpected failures become a quarantine reason.

    With `memory`, what the event lacks comes from its ticket; with `rekey`, an event read under another Kafka
    key than its serviceOrderId is only marked to be re-sent keyed by it (so one partition sees the whole
    ticket).
    """
    progress = _Progress()
    try:
        return _route(raw, key, index, idmaps, (drift, memory, rekey), progress)
    except Exception as exc:
        return RouteResult(progress.event_id, progress.change_id, quarantine=(internal_error(exc),))
