"""Golden tests: every repaired example of the spec, routed for a few subscription sets.

Expected results live in `golden/<set>/<example>.json` and were reviewed by hand. After a deliberate change
regenerate with `WOSTREAM_REGEN_GOLDEN=1 pytest tests/unit/core/test_golden.py`, then review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import simplejson

from workshop.paths import EXAMPLES as EXAMPLES_DIR
from workshop.workload import example_files
from wostream.core.models import WILDCARD, IdKind, IdMaps, RouteResult, Subscription
from wostream.core.routing import SubscriptionIndex, route

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = example_files()
GOLDEN = Path(__file__).resolve().parent / "golden"
REGEN = os.environ.get("WOSTREAM_REGEN_GOLDEN") == "1"
COMMUNITY = "139912543382896"


def sub(
    code: str,
    areas: set[str],
    change_ids: set[str],
    organs: frozenset[str] | set[str] = frozenset(),
    communities: frozenset[str] | set[str] = frozenset(),
    mask: tuple[str, ...] = (),
    enabled: bool = True,
) -> Subscription:
    return Subscription(
        code,
        code,
        "hash",
        frozenset(areas),
        frozenset(change_ids),
        frozenset(organs),
        frozenset(communities),
        mask,
        enabled,
    )


def _maps(code: str, entries: dict[IdKind, dict[str, str]]) -> IdMaps:
    idmaps = IdMaps()
    for kind, table in entries.items():
        for ours, theirs in table.items():
            idmaps.put(code, kind, ours, theirs)
    return idmaps


SETS: dict[str, tuple[list[Subscription], IdMaps]] = {
    # The subscriber of the brief: kinds 1, 2, 3 and 5 of data area fwwt in organisation 671024.
    "organ-a": ([sub("A", {"fwwt"}, {"1", "2", "3", "5"}, {"671024"})], IdMaps()),
    # Everything, with id maps and masks that hit variant spellings (`hangRemark `) and array entries.
    "wildcard-enriched": (
        [
            sub(
                "W",
                {WILDCARD},
                {WILDCARD},
                {WILDCARD},
                mask=("contactTel", "currentUser[].userTel", "reqVariables[].attrValue", "hangremark"),
            )
        ],
        _maps(
            "W",
            {
                IdKind.COMMUNITY: {COMMUNITY: "W-COM"},
                IdKind.HOUSE: {"408325": "W-HOUSE"},
                IdKind.CUSTOMER: {"110640113": "W-CUST"},
                IdKind.EMPLOYEE: {"94781": "W-EMP", "转单人": "W-REQ", "追记人": "W-NOTE"},
            },
        ),
    ),
    # A community-scoped subscriber beside ones that must never receive anything.
    "community-mixed": (
        [
            sub(
                "C", {"fwwt"}, {WILDCARD}, communities={COMMUNITY}, mask=("userName", "currentUser.userName")
            ),
            sub("A", {"fwwt"}, {"1", "2", "3", "5"}, {"671024"}),
            sub("D", {WILDCARD}, {WILDCARD}, {WILDCARD}, enabled=False),
            sub("E", {"fwwt"}, {WILDCARD}),
            sub("O", {"10008"}, {WILDCARD}, {WILDCARD}),
        ],
        _maps("C", {IdKind.COMMUNITY: {COMMUNITY: "C-COM"}, IdKind.EMPLOYEE: {"94781": "C-EMP"}}),
    ),
}

CASES = [(name, example) for name in SETS for example in EXAMPLES]


def _route(name: str, example: Path) -> RouteResult:
    subs, idmaps = SETS[name]
    return route(example.read_bytes(), None, SubscriptionIndex(subs), idmaps)


def _as_record(result: RouteResult) -> dict[str, Any]:
    return {
        "eventId": result.event_id,
        "changeId": result.change_id,
        "unsupported": result.unsupported,
        "quarantine": list(result.quarantine),
        "deliveries": [
            {
                "baseCode": d.base_code,
                "key": d.key,
                "dataArea": d.data_area,
                "changeId": d.change_id,
                "eventId": d.event_id,
                "envelope": d.envelope.decode("utf-8"),
                "data": simplejson.loads(simplejson.loads(d.envelope)["data"], use_decimal=True),
            }
            for d in result.copies
        ],
    }


def _ordered(value: Any) -> Any:
    """Objects as lists of pairs, so comparisons also check key order."""
    if isinstance(value, dict):
        return [(k, _ordered(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


def _golden_path(name: str, example: Path) -> Path:
    return GOLDEN / name / example.name


@pytest.mark.parametrize(("name", "example"), CASES, ids=[f"{n}/{e.stem}" for n, e in CASES])
def test_example_routes_as_recorded(name: str, example: Path) -> None:
    actual = _as_record(_route(name, example))
    path = _golden_path(name, example)
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = simplejson.dumps(actual, ensure_ascii=False, indent=2, use_decimal=True)
        path.write_text(text + "\n", encoding="utf-8")
        pytest.skip("golden file regenerated; review the diff")
    expected = simplejson.loads(path.read_text(encoding="utf-8"), use_decimal=True)
    deliveries = actual.pop("deliveries")
    expected_deliveries = expected.pop("deliveries")
    assert actual == expected
    assert [d["baseCode"] for d in deliveries] == [d["baseCode"] for d in expected_deliveries]
    for got, want in zip(deliveries, expected_deliveries, strict=True):
        for field in ("key", "dataArea", "changeId", "eventId"):
            assert got[field] == want[field], field
        outer = simplejson.loads(got["envelope"])
        assert list(outer) == ["baseCode", "dataArea", "changeId", "data"]
        assert outer == {**simplejson.loads(want["envelope"]), "data": outer["data"]}
        assert isinstance(outer["data"], str)
        assert _ordered(got["data"]) == _ordered(want["data"])
        assert got["envelope"] == want["envelope"]


def test_every_example_is_covered_and_no_golden_file_is_stale() -> None:
    assert len(EXAMPLES) == 11
    expected = {_golden_path(n, e) for n, e in CASES}
    present = set(GOLDEN.glob("*/*.json"))
    assert present == expected or REGEN


def test_subscriber_a_receives_exactly_kinds_1_2_3_and_5() -> None:
    received = [e.stem for e in EXAMPLES if _route("organ-a", e).copies]
    assert received == ["changeId-1-a", "changeId-1-b", "changeId-2", "changeId-3", "changeId-5"]


def test_examples_keep_their_messy_spellings() -> None:
    body = simplejson.loads((EXAMPLES_DIR / "changeId-6.json").read_text(encoding="utf-8"))["data"]
    assert {"hangRemark ", "planRelieveTime", "factRelieveHang "} <= set(body)
