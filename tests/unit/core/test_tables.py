"""The event tables (tables/events.yaml) and the code that reads them agree: every name the code is told to
read, fill or mask is a field of the tables, and the demo configuration masks only personal data."""

from __future__ import annotations

import yaml

from workshop.paths import DEMO
from wostream.core.catalogue import catalogue, kinds, norm, routing_fields


def _fields() -> set[str]:
    return {norm(f.name) for spec in kinds().values() for f in spec.fields}


def _items() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for spec in kinds().values():
        for f in spec.fields:
            if f.items:
                out.setdefault(norm(f.name), set()).update(norm(i) for i in f.items)
    return out


def test_routing_reads_fields_of_the_tables() -> None:
    reads = routing_fields()
    header = {norm(f.name) for f in kinds()["1"].fields[:6]}
    assert {norm(reads.ticket), norm(reads.organ)} <= header, "every event carries them"
    assert norm(reads.community) in _fields()
    assert norm("serviceTypeCode") in {norm(n) for n in reads.data_area_fallbacks}
    assert reads.data_area == "dataArea"


def test_every_enrichment_rule_names_fields_of_the_tables() -> None:
    fields, items = _fields(), _items()
    for rule in catalogue().enrichment:
        if rule.within is None:
            assert {norm(rule.source), norm(rule.target)} <= fields, rule
        else:
            assert {norm(rule.source), norm(rule.target)} <= items[norm(rule.within)], rule


def test_personal_paths_name_fields_of_the_tables() -> None:
    fields, items = _fields(), _items()
    for path in catalogue().personal:
        if "[]." in path:
            container, item = path.split("[].")
            assert norm(item) in items[norm(container)], path
        else:
            assert norm(path) in fields, path


def test_the_demo_subscriptions_mask_only_personal_data() -> None:
    demo = yaml.safe_load((DEMO / "subscriptions.yaml").read_text(encoding="utf-8"))
    masks = {m for sub in demo["subscribers"] for m in sub.get("mask", [])}
    assert masks and masks <= set(catalogue().personal)


def test_each_kind_marks_which_e_ids_it_requires() -> None:
    required = {
        cid: sorted(f.name for f in spec.fields if f.required and f.name.startswith("e"))
        for cid, spec in kinds().items()
    }
    assert required["6"] == ["eCommunityId", "eUserId"]
    assert required["7"] == ["eCommunityId"]
    assert required["9"] == ["eCommunityId"]
    assert required["10"] == ["eCommunityId", "eUserId"]
