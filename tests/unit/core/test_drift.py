"""Schema drift counters, and the catalogue they measure against."""

from __future__ import annotations

import simplejson

from wostream.core import catalogue
from wostream.core.drift import MAX_NAMES, OTHER, Drift
from wostream.core.jsontext import loads
from wostream.core.models import IdKind

HEADER = {
    "serviceOrderId": "1",
    "serviceOrderCode": "c",
    "templateId": "t",
    "busiTypeId": "b",
    "organId": "o",
}
KIND_4 = {**HEADER, "evalue": "4", "evaluator": "x", "evaluateTime": "20190802190338"}


def test_catalogue_lists_the_ten_kinds_with_header_first() -> None:
    assert catalogue.change_ids() == tuple(str(i) for i in range(1, 11))
    for spec in catalogue.kinds().values():
        assert [f.name for f in spec.fields[:6]] == [
            "serviceOrderId",
            "serviceOrderCode",
            "templateId",
            "templateDifId",
            "busiTypeId",
            "organId",
        ]
        assert spec.name_en and spec.name_zh and spec.group in {"workflow", "extension"}
    assert [c for c in catalogue.change_ids() if not catalogue.is_supported(c)] == ["8"]
    assert not catalogue.is_supported("11")


def test_catalogue_required_flags_follow_the_tables() -> None:
    one = catalogue.kind("1")
    assert one is not None and "trackId" in one.required and "contactTel" not in one.required
    six = catalogue.kind("6")
    assert six is not None and {"planrelievetime", "hangremark"} <= set(six.required)
    assert catalogue.user_types() == {"1": IdKind.CUSTOMER, "2": IdKind.EMPLOYEE}


def test_find_key_prefers_exact_then_first_variant() -> None:
    assert catalogue.find_key({"userid": 1, "userId": 2}, "userId") == "userId"
    assert catalogue.find_key({" USERID": 1, "userid": 2}, "userId") == " USERID"
    assert catalogue.find_key({"user_id": 1}, "userId") is None


def test_a_conforming_body_counts_only_the_event() -> None:
    drift = Drift()
    drift.observe("4", KIND_4)
    assert drift.snapshot() == {"4": {"events": 1, "missing": {}, "unknown": {}, "variant": {}}}


def test_missing_unknown_and_variant_are_counted_per_field() -> None:
    drift = Drift()
    body = {k: v for k, v in KIND_4.items() if k != "evaluator"}
    body["orderKey"] = ""
    body["EVALUE "] = body.pop("evalue")
    drift.observe("4", body)
    drift.observe("4", body)
    assert drift.snapshot()["4"] == {
        "events": 2,
        "missing": {"evaluator": 2},
        "unknown": {"orderKey": 2},
        "variant": {"EVALUE ": 2},
    }


def test_optional_and_filled_by_us_fields_are_not_missing() -> None:
    drift = Drift()
    drift.observe(
        "6",
        {
            **HEADER,
            "trackId": "t",
            "trackCode": "c",
            "userId": "u",
            "userName": "n",
            "planRelieveTime": "",
            "hangremark": "",
            "hangStatus": "1",
            "factRelieveHang": "",
        },
    )
    snap = drift.snapshot()["6"]
    assert snap["missing"] == {}  # eCommunityId / eUserId are ours to fill, templateDifId is optional
    assert snap["variant"] == {"planRelieveTime": 1}


def test_spec_example_of_kind_1() -> None:
    drift = Drift()
    drift.observe("1", {**HEADER, "userid": "1", "orderKey": ""})
    snap = drift.snapshot()["1"]
    assert snap["variant"] == {"userid": 1} and snap["unknown"] == {"orderKey": 1}
    assert snap["missing"]["trackId"] == 1 and "userId" not in snap["missing"]


def test_snapshot_is_json_and_ordered_by_change_id() -> None:
    drift = Drift()
    for change_id in ("10", "2", "1"):
        drift.observe(change_id, {})
    snap = drift.snapshot()
    assert list(snap) == ["1", "2", "10"]
    assert simplejson.loads(simplejson.dumps(snap)) == snap


def test_unknown_change_ids_count_as_events_under_other() -> None:
    drift = Drift()
    drift.observe("99", {"x": 1})
    drift.observe("98", {"x": 1})
    assert drift.snapshot() == {OTHER: {"events": 2, "missing": {}, "unknown": {}, "variant": {}}}


def test_distinct_names_are_capped() -> None:
    drift = Drift()
    drift.observe("4", {**KIND_4, **{f"k{i}": i for i in range(MAX_NAMES + 50)}, "x" * 500: 1})
    unknown = drift.snapshot()["4"]["unknown"]
    assert len(unknown) == MAX_NAMES + 1 and unknown[OTHER] == 51


def test_a_key_given_twice_counts_as_its_spelling_each_time() -> None:
    body = loads(simplejson.dumps(KIND_4)[:-1] + ',"evalue":"5","odd":1,"odd":2,"EVALUE":"3"}')
    drift = Drift()
    drift.observe("4", body)
    counts = drift.snapshot()["4"]
    assert counts["variant"] == {"EVALUE": 1}, "a second canonical `evalue` is no variant spelling"
    assert counts["unknown"] == {"odd": 2} and counts["missing"] == {}
