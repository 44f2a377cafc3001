"""Per-subscriber `e…Id` fields: our ids for people, projects and houses replaced by the subscriber's own.

Each subscriber keeps its own id spaces, so the same event carries different `e…Id` values per copy.
Rules come from `events.yaml`; this module only applies them. The body is shared by every copy of the
event, so it is never mutated: changed containers are copied, untouched ones are shared.

A field may be given more than once (`userId` and `userid`, or the same key twice): the source is used only
when every occurrence names the same id, and every occurrence of the target is filled. A source whose
occurrences disagree leaves the target as received, as an unknown `userType` does: guessing could hand a
subscriber somebody else's id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from wostream.core.catalogue import EnrichmentRule, enrichment_rules, ticket_rules
from wostream.core.keys import Keys
from wostream.core.models import IdKind, IdMaps
from wostream.core.walk import walk


@dataclass(frozen=True)
class _Context:
    """What every rule of one copy needs besides the object it applies to."""

    change_id: str
    base_code: str
    idmaps: IdMaps
    keys: Keys
    ticket: Mapping[str, str]  # required target -> the ticket's id its source names (`ticket_rules`)


def _our_id(value: object) -> str | None:
    """Ids arrive as strings (sometimes as integers); anything else cannot be looked up."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text or None


def _our_ids(entry: Mapping[str, Any], name: str, keys: Keys) -> set[str]:
    """The distinct usable ids the occurrences of `name` in `entry` hold (any spelling, any repeat)."""
    found = (_our_id(entry[key]) for key in keys.spellings(entry, name))
    return {our for our in found if our is not None}


def _id_kind(entry: Mapping[str, Any], rule: EnrichmentRule, ctx: _Context) -> IdKind | None:
    """The id space of the rule's value here; None when unknown or when two `userType`s disagree."""
    if rule.kind is not None:
        return rule.kind
    spelled = ctx.keys.spellings(entry, "userType")
    kinds = {rule.kind_for(entry[key], ctx.change_id) for key in spelled}
    kinds = kinds or {rule.kind_for(None, ctx.change_id)}
    return kinds.pop() if len(kinds) == 1 else None


def _their_id(entry: Mapping[str, Any], rule: EnrichmentRule, ctx: _Context) -> str | None:
    """The subscriber's id for one rule on one object, or None to leave the target as received.

    When the object has no usable source, a required `e…Id` of the kind comes from the ticket's own id
    (`ctx.ticket`), exactly as if the body had carried it: the id routing decided the scope with."""
    ours = _our_ids(entry, rule.source, ctx.keys)
    if not ours and rule.target in ctx.ticket:
        ours = {ctx.ticket[rule.target]}
    if len(ours) != 1:
        return None
    kind = _id_kind(entry, rule, ctx)
    return None if kind is None else ctx.idmaps.lookup(ctx.base_code, kind, ours.pop())


def _apply(entry: dict[str, Any], rules: list[EnrichmentRule], ctx: _Context) -> dict[str, Any]:
    """`entry` with the rules applied: a copy when something changed, else `entry` itself (to share it)."""
    copy: dict[str, Any] | None = None
    for rule in rules:
        theirs = _their_id(entry, rule, ctx)
        if theirs is None:
            continue
        for target in ctx.keys.spellings(entry, rule.target) or [rule.target]:
            if target in entry and entry[target] == theirs:
                continue
            copy = dict(entry) if copy is None else copy
            copy[target] = theirs
    return entry if copy is None else copy


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
    body: dict[str, Any],
    change_id: str,
    base_code: str,
    idmaps: IdMaps,
    keys: Keys | None = None,
    ticket_ids: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A new body with `base_code`'s own ids filled in; a missing mapping leaves the field as received.

    `keys`: the event's key groups (from intake), shared by every subscriber's copy. `ticket_ids`: the ids of
    the ticket itself routing used for this event, by source field (`tickets.ticket_ids`); an `e…Id` the
    kind's table marks required is filled from them when the body lacks the source (`ticket_rules`)."""
    if not idmaps.any_for(base_code):
        return dict(body)  # no id maps for this subscriber: the common case, skip the key scans
    ids = ticket_ids or {}
    ticket = {r.target: ids[r.source] for r in ticket_rules(change_id) if r.source in ids}
    ctx = _Context(change_id, base_code, idmaps, Keys() if keys is None else keys, ticket)
    top, nested = _grouped()
    out = _apply(body, top, ctx)
    out = dict(body) if out is body else out
    inside = _Context(change_id, base_code, idmaps, ctx.keys, {})  # a container's entries are people
    for container, rules in nested.items():
        for key in ctx.keys.spellings(body, container):
            new = _within(out[key], rules, inside)
            if new is not out[key]:
                out[key] = new
    return out


def _within(value: Any, rules: list[EnrichmentRule], ctx: _Context) -> Any:
    """The rules applied to every object a container holds, the way masking reaches them (`walk`): an object,
    an array's entries, or JSON text; the same value when nothing changed."""
    return walk(value, lambda entry: _apply(entry, rules, ctx), ctx.keys)
