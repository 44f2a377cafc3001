"""The routing decision: which subscribers get a raw event, and the exact bytes each one gets.

Pure: no Kafka, no Ice. The route agent calls `route` once per raw event and writes what it returns;
`route` never raises, because an exception escaping a Faust agent acks the event and loses it. Anything
unroutable comes back as a quarantine reason instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import simplejson

from wostream.core.catalogue import is_supported
from wostream.core.drift import Drift
from wostream.core.enrichment import enrich
from wostream.core.eventid import event_id
from wostream.core.intake import ParsedEvent, Rejection, parse_raw
from wostream.core.masking import mask
from wostream.core.models import WILDCARD, Copy, IdMaps, RouteResult, Subscription

UNSUPPORTED_CHANGE_ID = "8"
_CACHE_LIMIT = 4096  # distinct (dataArea, changeId) lookups remembered; data areas come from input

_ENCODER = simplejson.JSONEncoder(ensure_ascii=False, separators=(",", ":"), use_decimal=True)
_ASCII_ENCODER = simplejson.JSONEncoder(ensure_ascii=True, separators=(",", ":"), use_decimal=True)
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
            keys = (lookup, (data_area, WILDCARD), (WILDCARD, change_id), (WILDCARD, WILDCARD))
            merged = [sub for k in keys for sub in self._buckets.get(k, ())]
            found = tuple(sorted(merged, key=lambda s: s.base_code))
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[lookup] = found
        return found


def in_scope(sub: Subscription, organ_id: str | None, community_id: str | None) -> bool | None:
    """Whether the event is in the subscriber's scope; None when it cannot tell (event has neither id)."""
    if WILDCARD in sub.organ_ids or WILDCARD in sub.community_ids:
        return True
    if not sub.organ_ids and not sub.community_ids:
        return False
    if organ_id is None and community_id is None:
        return None
    return (organ_id is not None and organ_id in sub.organ_ids) or (
        community_id is not None and community_id in sub.community_ids
    )


def envelope(data_area: str, change_id: str, body: dict[str, Any]) -> bytes:
    """SPEC.md section 4 exactly: baseCode, dataArea, changeId, data (a JSON string), in that order.

    Assembled around simplejson's string encoder rather than encoding a dict: same bytes, and the
    `data` string is escaped once instead of going through the generic encoder a second time.
    """
    text = _frame(data_area, change_id, _ENCODER.encode(body))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate escape in the body cannot be written as UTF-8; \u-escape the body instead.
        return _frame(data_area, change_id, _ASCII_ENCODER.encode(body)).encode("utf-8")


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


def _copy(sub: Subscription, parsed: ParsedEvent, eid: str, idmaps: IdMaps) -> Copy:
    body = enrich(parsed.body, parsed.change_id, sub.base_code, idmaps)
    if sub.mask:
        body = mask(body, sub.mask)
    return Copy(
        base_code=sub.base_code,
        key=parsed.service_order_id,
        data_area=parsed.data_area,
        change_id=parsed.change_id,
        event_id=eid,
        envelope=envelope(parsed.data_area, parsed.change_id, body),
    )


def _unscoped_reason(base_codes: list[str]) -> str:
    return (
        "organId and communityId both missing from data: cannot check the scope of subscriber(s) "
        + ", ".join(base_codes)
    )


def _observe(drift: Drift | None, parsed: ParsedEvent) -> None:
    if drift is None:
        return
    try:
        drift.observe(parsed.change_id, parsed.body)
    except Exception:  # metrics must never cost an event
        pass


@dataclass
class _Progress:
    """What is known so far, so an internal error can still report the event's id and kind."""

    event_id: str | None = None
    change_id: str | None = None


def _route(
    raw: bytes, key: bytes | None, index: SubscriptionIndex, idmaps: IdMaps, drift: Drift | None, p: _Progress
) -> RouteResult:
    parsed = parse_raw(raw, key)
    if isinstance(parsed, Rejection):
        if parsed.change_id == UNSUPPORTED_CHANGE_ID:
            return RouteResult(event_id=None, change_id=parsed.change_id, unsupported=True)
        return RouteResult(event_id=None, change_id=parsed.change_id, quarantine=(parsed.reason,))
    p.change_id = parsed.change_id
    p.event_id = eid = event_id(parsed)
    _observe(drift, parsed)
    if not is_supported(parsed.change_id):
        return RouteResult(event_id=eid, change_id=parsed.change_id, unsupported=True)
    copies: list[Copy] = []
    unscoped: list[str] = []
    failures: list[str] = []
    for sub in index.candidates(parsed.data_area, parsed.change_id):
        verdict = in_scope(sub, parsed.organ_id, parsed.community_id)
        if verdict is None:
            unscoped.append(sub.base_code)
        elif verdict:
            try:
                copies.append(_copy(sub, parsed, eid, idmaps))
            except Exception as exc:  # one subscriber's failure must not cost the others their copy
                failures.append(internal_error(exc, f"subscriber {sub.base_code}"))
    reasons = ([_unscoped_reason(unscoped)] if unscoped else []) + failures
    return RouteResult(eid, parsed.change_id, tuple(copies), tuple(reasons))


def route(
    raw: bytes, key: bytes | None, index: SubscriptionIndex, idmaps: IdMaps, drift: Drift | None = None
) -> RouteResult:
    """Decide one raw event. Never raises: unexpected failures become a quarantine reason."""
    progress = _Progress()
    try:
        return _route(raw, key, index, idmaps, drift, progress)
    except Exception as exc:
        return RouteResult(progress.event_id, progress.change_id, quarantine=(internal_error(exc),))
