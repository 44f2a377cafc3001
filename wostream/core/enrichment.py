"""Per-subscriber `e…Id` fields: our ids for people, projects and houses replaced by the subscriber's own.

Each subscriber keeps its own id spaces, so the same event carries different `e…Id` values per copy.
Rules come from `events.yaml`; this module only applies them. The body is shared by every copy of the
event, so it is never mutated: changed containers are copied, untouched ones are shared.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from wostream.core.catalogue import EnrichmentRule, enrichment_rules
from wostream.core.keys import Keys
from wostream.core.models import IdKind, IdMaps


def _our_id(value: object) -> str | None:
    """Ids arrive as strings (sometimes as integers); anything else cannot be looked up."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text or None


def _their_id(
    entry: Mapping[str, Any],
    keys: Keys,
    rule: EnrichmentRule,
    context: tuple[str, str, IdMaps],
) -> tuple[str, str] | None:
    """(target key to write, the subscriber's id) for one rule on one object, or None to leave it."""
    change_id, base_code, idmaps = context
    source = keys.find(entry, rule.source)
    our = _our_id(entry[source]) if source is not None else None
    if our is None:
        return None
    user_type_key = keys.find(entry, "userType") if rule.kind is None else None
    user_type = entry[user_type_key] if user_type_key is not None else None
    kind: IdKind | None = rule.kind_for(user_type, change_id)
    if kind is None:
        return None
    theirs = idmaps.lookup(base_code, kind, our)
    if theirs is None:
        return None
    return keys.find(entry, rule.target) or rule.target, theirs


def _apply(
    entry: Mapping[str, Any],
    rules: list[EnrichmentRule],
    change_id: str,
    base_code: str,
    idmaps: IdMaps,
    keys: Keys,
) -> dict[str, Any] | None:
    """A copy of `entry` with the rules applied, or None when nothing changed (so callers can share it)."""
    copy: dict[str, Any] | None = None
    context = (change_id, base_code, idmaps)
    for rule in rules:
        found = _their_id(entry, keys, rule, context)
        if found is None:
            continue
        target, theirs = found
        if entry.get(target) == theirs:
            continue
        if copy is None:
            copy = dict(entry)
        copy[target] = theirs
    return copy


def _apply_within(
    value: Any, rules: list[EnrichmentRule], change_id: str, base_code: str, idmaps: IdMaps, keys: Keys
) -> Any | None:
    """Apply to an object or to each object of an array; None when nothing changed."""
    if isinstance(value, dict):
        return _apply(value, rules, change_id, base_code, idmaps, keys)
    if not isinstance(value, list):
        return None
    changed = False
    out: list[Any] = []
    for item in value:
        new = _apply(item, rules, change_id, base_code, idmaps, keys) if isinstance(item, dict) else None
        changed = changed or new is not None
        out.append(item if new is None else new)
    return out if changed else None


@cache
def _grouped() -> tuple[list[EnrichmentRule], dict[str, list[EnrichmentRule]]]:
    """Top-level rules, and the rules per container field (`currentUser`, `supUser`)."""
    top: list[EnrichmentRule] = []
    nested: dict[str, list[EnrichmentRule]] = {}
    for rule in enrichment_rules():
        if rule.within is None:
            top.append(rule)
        else:
            nested.setdefault(rule.within, []).append(rule)
    return top, nested


def enrich(
    body: dict[str, Any], change_id: str, base_code: str, idmaps: IdMaps, keys: Keys | None = None
) -> dict[str, Any]:
    """A new body with `base_code`'s own ids filled in; a missing mapping leaves the field as received.
    `keys`: the event's key groups (from intake), shared by every subscriber's copy."""
    if not any((base_code, kind) in idmaps.maps for kind in IdKind):
        return dict(body)  # no id maps for this subscriber: the common case, skip the key scans
    keys = Keys() if keys is None else keys
    top, nested = _grouped()
    out = _apply(body, top, change_id, base_code, idmaps, keys) or dict(body)
    for container, rules in nested.items():
        key = keys.find(body, container)
        if key is None:
            continue
        new = _apply_within(out[key], rules, change_id, base_code, idmaps, keys)
        if new is not None:
            out[key] = new
    return out
