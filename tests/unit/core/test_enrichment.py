"""Enrichment: the subscriber's own ids, filled per copy from the id maps, never touching the input."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from wostream.core.catalogue import enrichment_rules
from wostream.core.enrichment import enrich
from wostream.core.jsontext import loads
from wostream.core.models import IdKind, IdMaps

SUB = "HRZDWYWHXT"


def maps(*entries: tuple[IdKind, str, str], base_code: str = SUB) -> IdMaps:
    idmaps = IdMaps()
    for kind, ours, theirs in entries:
        idmaps.put(base_code, kind, ours, theirs)
    return idmaps


ALL = maps(
    (IdKind.COMMUNITY, "c1", "EC1"),
    (IdKind.HOUSE, "h1", "EH1"),
    (IdKind.CUSTOMER, "u1", "CUST-u1"),
    (IdKind.EMPLOYEE, "u1", "EMP-u1"),
    (IdKind.CUSTOMER, "u2", "CUST-u2"),
    (IdKind.EMPLOYEE, "u2", "EMP-u2"),
)


def test_rules_come_from_the_catalogue() -> None:
    targets = {(r.within, r.source, r.target) for r in enrichment_rules()}
    assert (None, "communityId", "eCommunityId") in targets
    assert ("supUser", "userId", "eUserId") in targets
    assert len(targets) == 9


def test_community_and_house_are_appended_under_canonical_names() -> None:
    out = enrich({"communityId": "c1", "houseId": "h1", "x": 1}, "1", SUB, ALL)
    assert list(out.items()) == [
        ("communityId", "c1"),
        ("houseId", "h1"),
        ("x", 1),
        ("eCommunityId", "EC1"),
        ("eHouseId", "EH1"),
    ]


@pytest.mark.parametrize(
    ("change_id", "user_type", "expected"),
    [
        ("1", "1", "CUST-u1"),
        ("1", "2", "EMP-u1"),
        ("1", None, "CUST-u1"),  # changeId 1's contact defaults to a customer
        ("6", None, "EMP-u1"),
        ("10", None, "EMP-u1"),
        ("6", "1", "CUST-u1"),
        ("1", 2, "EMP-u1"),
        ("1", " 2 ", "EMP-u1"),
    ],
)
def test_user_id_space_follows_user_type(change_id: str, user_type: Any, expected: str) -> None:
    body: dict[str, Any] = {"userId": "u1"}
    if user_type is not None:
        body["userType"] = user_type
    assert enrich(body, change_id, SUB, ALL)["eUserId"] == expected


@pytest.mark.parametrize("user_type", ["3", "", True, {"t": 1}])
def test_unknown_user_type_leaves_the_field_as_received(user_type: Any) -> None:
    assert "eUserId" not in enrich({"userId": "u1", "userType": user_type}, "1", SUB, ALL)


def test_lenient_source_and_existing_target_spelling() -> None:
    body = {"userid": "u1", "usertype": "2", "euserid ": "stale", "after": True}
    out = enrich(body, "1", SUB, ALL)
    assert list(out.items()) == [("userid", "u1"), ("usertype", "2"), ("euserid ", "EMP-u1"), ("after", True)]


def test_person_fields_of_kinds_2_and_9() -> None:
    body = {
        "userType": "1",
        "currentUserId": "u1",
        "transportUserId": "u2",
        "requserId": "u1",
        "taruserId": "u2",
    }
    out = enrich(body, "2", SUB, ALL)
    assert out["currentEuserId"] == "CUST-u1"  # by userType when present
    assert (out["transportEuserId"], out["reqEuserId"], out["tarEuserId"]) == ("EMP-u2", "EMP-u1", "EMP-u2")
    assert enrich({"currentUserId": "u1"}, "2", SUB, ALL)["currentEuserId"] == "EMP-u1"


def test_entries_of_current_user_and_sup_user() -> None:
    body = {
        "currentUser": [{"userId": "u1", "userType": "1"}, {"userid": "u2"}, "junk", {"userId": "nobody"}],
        "supUser": {"userId": "u2"},
    }
    out = enrich(body, "7", SUB, ALL)
    assert out["currentUser"] == [
        {"userId": "u1", "userType": "1", "eUserId": "CUST-u1"},
        {"userid": "u2", "eUserId": "EMP-u2"},
        "junk",
        {"userId": "nobody"},
    ]
    assert out["supUser"] == {"userId": "u2", "eUserId": "EMP-u2"}
    assert "eUserId" not in out  # the entries' ids do not leak to the top level


def test_missing_mapping_leaves_fields_as_received() -> None:
    body = {"communityId": "unmapped", "eCommunityId": "as-sent", "houseId": "h-unmapped", "userId": 7}
    assert enrich(body, "1", SUB, ALL) == body


def test_other_subscribers_maps_are_not_used() -> None:
    other = maps((IdKind.COMMUNITY, "c1", "OTHER"), base_code="OTHER")
    assert enrich({"communityId": "c1"}, "1", SUB, other) == {"communityId": "c1"}
    assert enrich({"communityId": "c1"}, "1", "OTHER", other)["eCommunityId"] == "OTHER"


@pytest.mark.parametrize("value", [None, True, 1.5, ["c1"], {"id": "c1"}, ""])
def test_unusable_source_values_are_ignored(value: Any) -> None:
    assert enrich({"communityId": value}, "1", SUB, ALL) == {"communityId": value}


def test_integer_ids_are_looked_up_as_text() -> None:
    idmaps = maps((IdKind.HOUSE, "408325", "EH"))
    assert enrich({"houseId": 408325}, "1", SUB, idmaps)["eHouseId"] == "EH"


def test_input_is_never_mutated_and_result_is_new() -> None:
    body = {"communityId": "c1", "currentUser": [{"userId": "u1"}], "supUser": [{"userId": "u2"}]}
    before = copy.deepcopy(body)
    out = enrich(body, "5", SUB, ALL)
    assert body == before
    assert out is not body and out["currentUser"] is not body["currentUser"]
    unchanged = enrich(body, "5", "NOBODY", ALL)
    assert unchanged == body and unchanged is not body


# --- the values masking reaches, JSON text included (issue 21) --------------------------------------------


def test_entries_sent_as_json_text_get_their_ids_and_stay_text() -> None:
    body = {
        "currentUser": '[{"userId": "u1", "userTel": "139", "score": 1.50}, {"userId": "nobody"}]',
        "supUser": '{"userId":"u2","userType":"1"}',
    }
    out = enrich(body, "7", SUB, ALL)
    assert isinstance(out["currentUser"], str) and isinstance(out["supUser"], str)
    assert json.loads(out["currentUser"]) == [
        {"userId": "u1", "userTel": "139", "score": 1.5, "eUserId": "EMP-u1"},
        {"userId": "nobody"},
    ]
    assert "1.50" in out["currentUser"], "numbers stay as written"
    assert json.loads(out["supUser"]) == {"userId": "u2", "userType": "1", "eUserId": "CUST-u2"}
    untouched = {"currentUser": '[{"userId": "nobody"}]', "supUser": "[not json"}
    out = enrich(untouched, "7", SUB, ALL)
    assert out["currentUser"] is untouched["currentUser"] and out["supUser"] == "[not json"


def test_arrays_in_arrays_are_reached_as_masking_reaches_them() -> None:
    body = {"currentUser": [[{"userId": "u1"}], '[[{"userId": "u2"}]]']}
    out = enrich(body, "5", SUB, ALL)
    assert out["currentUser"][0] == [{"userId": "u1", "eUserId": "EMP-u1"}]
    assert json.loads(out["currentUser"][1]) == [[{"userId": "u2", "eUserId": "EMP-u2"}]]


# --- a field given twice ----------------------------------------------------------------------------------


def test_every_occurrence_of_the_target_is_filled_and_agreeing_sources_are_used() -> None:
    body = loads('{"userId":"u1","eUserId":"ours","userid":" u1","eUserId":"ours","EUSERID":""}')
    out = enrich(body, "6", SUB, ALL)
    assert [(str(k), v) for k, v in out.items()] == [
        ("userId", "u1"),
        ("eUserId", "EMP-u1"),
        ("userid", " u1"),
        ("eUserId", "EMP-u1"),
        ("EUSERID", "EMP-u1"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        '{"userId":"u1","userId":"u2","eUserId":"as-sent"}',
        '{"userId":"u1","USERID":"u2","eUserId":"as-sent"}',
        '{"userId":"u1","userType":"1","userType":"2","eUserId":"as-sent"}',
    ],
)
def test_a_source_or_user_type_given_twice_with_different_values_leaves_the_target_as_received(
    text: str,
) -> None:
    body = loads(text)
    assert enrich(body, "6", SUB, ALL)["eUserId"] == "as-sent"


def test_a_container_given_twice_is_enriched_in_every_occurrence() -> None:
    body = loads(
        '{"currentUser":[{"userId":"u1"}],"currentuser":{"userId":"u2"},"currentUser":"[{\\"userId\\":\\"u2\\"}]"}'
    )
    values = list(enrich(body, "5", SUB, ALL).values())
    assert values[0] == [{"userId": "u1", "eUserId": "EMP-u1"}]
    assert values[1] == {"userId": "u2", "eUserId": "EMP-u2"}
    assert json.loads(values[2]) == [{"userId": "u2", "eUserId": "EMP-u2"}]
