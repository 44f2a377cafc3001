"""The event tables (`tables/events.yaml`, shipped as `wostream.tables`): event kinds, their fields, what
routing reads, personal data, and the id-enrichment rules.

Loaded once per process and exposed as frozen values, so routing code reads plain attributes instead of
walking YAML. Also home of the lenient field-name match every body reader shares: producers spell keys
as they like (`userid`, `"hangRemark "`), and one definition of "the same field" keeps intake, drift,
enrichment and masking in agreement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Any

import yaml

from wostream.core.models import IdKind

CATALOGUE_FILE = files("wostream.tables") / "events.yaml"


def norm(name: str) -> str:
    """The lenient identity of a field name: trimmed and case-folded."""
    return name.strip().lower()


def find_key(body: Mapping[str, Any], name: str) -> str | None:
    """The key of `body` that spells `name`: the exact spelling if present, else the first lenient match."""
    if name in body:
        return name
    wanted = norm(name)
    for key in body:
        if isinstance(key, str) and norm(key) == wanted:
            return key
    return None


def lenient_index(body: Mapping[str, Any]) -> dict[str, str]:
    """Each lenient identity in `body` -> its first key: build once, then look up many names cheaply."""
    index: dict[str, str] = {}
    for key in body:
        if isinstance(key, str):
            index.setdefault(norm(key), key)
    return index


def lookup_key(body: Mapping[str, Any], index: Mapping[str, str], name: str) -> str | None:
    """`find_key` with a prebuilt `lenient_index` of the same body."""
    return name if name in body else index.get(norm(name))


@dataclass(frozen=True)
class FieldSpec:
    name: str
    required: bool
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventKind:
    change_id: str
    name_en: str
    name_zh: str
    group: str
    supported: bool
    fields: tuple[FieldSpec, ...]  # ticket header first, then the kind's own fields
    # Fields keyed by their lenient identity, for matching variant spellings; derived once.
    by_norm: Mapping[str, FieldSpec] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_norm", MappingProxyType({norm(f.name): f for f in self.fields}))

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)


@dataclass(frozen=True)
class EnrichmentRule:
    """Fill `target` with the subscriber's id for the value at `source` (optionally inside `within`).

    `kind` is a fixed id space, or None when the neighbouring `userType` decides (`by_user_type`).
    `ticket`: the source is an id of the ticket itself, which ticket memory keeps (`tickets.ticket_ids`).
    """

    source: str
    target: str
    kind: IdKind | None
    default: IdKind | None = None
    default_for: Mapping[str, IdKind] = field(default_factory=dict)
    within: str | None = None
    ticket: bool = False

    def kind_for(self, user_type: object, change_id: str) -> IdKind | None:
        """The id space of this value, or None when the userType names none we know."""
        if self.kind is not None:
            return self.kind
        if user_type is None:
            return self.default_for.get(change_id, self.default)
        if isinstance(user_type, bool) or not isinstance(user_type, str | int):
            return None
        return user_types().get(str(user_type).strip())


@dataclass(frozen=True)
class RoutingFields:
    """The names of what routing reads (the tables' `routing`): everything else is the body's own."""

    ticket: str
    data_area: str  # in the envelope
    data_area_fallbacks: tuple[str, ...]  # in the body, in order
    organ: str
    community: str


@dataclass(frozen=True)
class Catalogue:
    kinds: Mapping[str, EventKind]
    user_types: Mapping[str, IdKind]
    enrichment: tuple[EnrichmentRule, ...]
    routing: RoutingFields
    personal: tuple[str, ...]  # mask paths of personal data


def _field(raw: Mapping[str, Any]) -> FieldSpec:
    return FieldSpec(str(raw["name"]), bool(raw["required"]), tuple(str(i) for i in raw.get("items", ())))


def _kind(change_id: str, raw: Mapping[str, Any], header: tuple[FieldSpec, ...]) -> EventKind:
    own = tuple(_field(f) for f in raw["fields"])
    return EventKind(
        change_id=change_id,
        name_en=str(raw["name"]["en"]),
        name_zh=str(raw["name"]["zh"]),
        group=str(raw["group"]),
        supported=bool(raw["supported"]),
        fields=header + own,
    )


def _rule(raw: Mapping[str, Any]) -> EnrichmentRule:
    kind = None if raw["kind"] == "by_user_type" else IdKind(raw["kind"])
    default = IdKind(raw["default"]) if "default" in raw else None
    default_for = {str(k): IdKind(v) for k, v in raw.get("default_for", {}).items()}
    if raw.get("ticket") and "within" in raw:
        raise ValueError(f"enrichment rule for {raw['target']}: a ticket's own id is not within an entry")
    return EnrichmentRule(
        source=str(raw["source"]),
        target=str(raw["target"]),
        kind=kind,
        default=default,
        default_for=MappingProxyType(default_for),
        within=str(raw["within"]) if "within" in raw else None,
        ticket=bool(raw.get("ticket", False)),
    )


def parse_catalogue(text: str) -> Catalogue:
    """Build the catalogue from YAML text; a malformed file fails loudly at import of the first user."""
    raw = yaml.safe_load(text)
    header = tuple(_field(f) for f in raw["header"])
    kinds = {str(cid): _kind(str(cid), spec, header) for cid, spec in raw["events"].items()}
    user_type_map = {str(k): IdKind(v) for k, v in raw["user_types"].items()}
    rules = tuple(_rule(r) for r in raw["enrichment"])
    reads = raw["routing"]
    routing = RoutingFields(
        ticket=str(reads["ticket"]),
        data_area=str(reads["data_area"]["envelope"]),
        data_area_fallbacks=tuple(str(n) for n in reads["data_area"]["body"]),
        organ=str(reads["scope"]["organ"]),
        community=str(reads["scope"]["community"]),
    )
    personal = tuple(str(p) for p in raw["personal"])
    return Catalogue(MappingProxyType(kinds), MappingProxyType(user_type_map), rules, routing, personal)


@cache
def catalogue() -> Catalogue:
    return parse_catalogue(CATALOGUE_FILE.read_text(encoding="utf-8"))


def kinds() -> Mapping[str, EventKind]:
    return catalogue().kinds


def kind(change_id: str) -> EventKind | None:
    return catalogue().kinds.get(change_id)


def change_ids() -> tuple[str, ...]:
    """Known changeIds in numeric order ("1".."10")."""
    return tuple(sorted(catalogue().kinds, key=int))


def is_supported(change_id: str) -> bool:
    found = kind(change_id)
    return found is not None and found.supported


def user_types() -> Mapping[str, IdKind]:
    return catalogue().user_types


def routing_fields() -> RoutingFields:
    return catalogue().routing


def enrichment_rules() -> tuple[EnrichmentRule, ...]:
    return catalogue().enrichment


@cache
def ticket_rules(change_id: str) -> tuple[EnrichmentRule, ...]:
    """The rules whose target the kind's table marks required (Y) and whose source is an id of the ticket
    (`ticket: true`): when a body lacks the source, its ticket's remembered id fills the target instead."""
    spec = kind(change_id)
    if spec is None:
        return ()
    return tuple(
        rule
        for rule in enrichment_rules()
        if rule.ticket and (target := spec.by_norm.get(norm(rule.target))) is not None and target.required
    )
