"""Masking: masked fields never leave, however the producer spells or nests them."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from wostream.core.masking import compile_paths, mask, validate_mask_path


def test_top_level_field_is_removed_and_order_kept() -> None:
    body = {"a": 1, "contactTel": "191", "b": 2}
    assert list(mask(body, ["contactTel"]).items()) == [("a", 1), ("b", 2)]


def test_every_variant_spelling_is_removed() -> None:
    body = {"contactTel": "1", "contacttel ": "2", " CONTACTTEL": "3", "contactTelX": "4"}
    assert mask(body, ["contactTel"]) == {"contactTelX": "4"}


def test_path_spelling_is_lenient_too() -> None:
    assert mask({"contactTel": "1"}, [" ContactTEL "]) == {}


def test_array_entries_with_and_without_brackets() -> None:
    body = {"currentUser": [{"userId": "1", "userTel": "t1"}, {"userid": "2", "usertel": "t2"}, "x"]}
    expected = {"currentUser": [{"userId": "1"}, {"userid": "2"}, "x"]}
    assert mask(body, ["currentUser[].userTel"]) == expected
    assert mask(body, ["currentUser.userTel"]) == expected


def test_brackets_on_an_object_still_descend() -> None:
    body = {"currentUser": {"userId": "1", "userTel": "t"}}
    assert mask(body, ["currentUser[].userTel"]) == {"currentUser": {"userId": "1"}}


def test_nested_arrays_are_descended() -> None:
    body = {"a": [[{"b": {"c": 1, "d": 2}}], {"b": [{"c": 3}]}]}
    assert mask(body, ["a.b.c"]) == {"a": [[{"b": {"d": 2}}], {"b": [{}]}]}


def test_whole_container_can_be_masked() -> None:
    assert mask({"reqVariables": [{"attrValue": "x"}], "k": 1}, ["reqVariables[]"]) == {"k": 1}


def test_missing_paths_and_scalars_on_the_way_are_harmless() -> None:
    body = {"a": "scalar", "b": None, "c": [1, 2]}
    assert mask(body, ["a.x", "b.y", "c.z", "nothing"]) == body


def test_several_paths() -> None:
    body = {"contactTel": "1", "currentUser": [{"userTel": "2", "userName": "n"}], "remark": "r"}
    out = mask(body, ["contactTel", "currentUser[].userTel", "remark"])
    assert out == {"currentUser": [{"userName": "n"}]}


def test_input_is_never_mutated_and_result_is_new() -> None:
    body = {"contactTel": "1", "currentUser": [{"userTel": "2"}], "keep": {"x": 1}}
    before = copy.deepcopy(body)
    out = mask(body, ["contactTel", "currentUser.userTel"])
    assert body == before and out == {"currentUser": [{}], "keep": {"x": 1}}
    untouched = mask(body, [])
    assert untouched == body and untouched is not body


def test_malformed_paths_still_mask_what_they_name() -> None:
    # Config validation rejects these; if one slipped through, masking errs on the side of removing.
    assert compile_paths(("a..b", "[]c", "", "d[][]")) == (("a", "b"), ("c",), ("d",))
    assert mask({"a": {"b": 1}, "c": 2}, ["a..b", "[]c"]) == {"a": {}}


@pytest.mark.parametrize("path", ["contactTel", "currentUser[].userTel", "a.b", "a[].b[].c", "hangRemark "])
def test_valid_paths(path: str) -> None:
    assert validate_mask_path(path) is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("", "mask path is empty"),
        ("   ", "mask path is empty"),
        ("a..b", "mask path 'a..b' has an empty segment"),
        (".a", "mask path '.a' has an empty segment"),
        ("a[0]", "mask path 'a[0]': segment 'a[0]' must be a name, optionally followed by []"),
        ("[]", "mask path '[]': segment '[]' must be a name, optionally followed by []"),
        ("a[]b", "mask path 'a[]b': segment 'a[]b' must be a name, optionally followed by []"),
        ("a[", "mask path 'a[': segment 'a[' must be a name, optionally followed by []"),
    ],
)
def test_invalid_paths_are_explained(path: str, expected: str) -> None:
    assert validate_mask_path(path) == expected


def test_non_string_path_is_explained() -> None:
    value: Any = 5
    assert validate_mask_path(value) == "mask path must be a string, got int"


def test_masks_reach_inside_a_value_sent_as_a_json_string_which_stays_a_string() -> None:
    body = {
        "serviceOrderId": "1",
        "currentUser": '[{"userId": "7", "userTel": "13900000000", "score": 1.50}]',
        "supUser": '{"userTel": "13800000000"}',
        "remark": "[not json",
    }
    out = mask(body, ["currentUser[].userTel", "supUser.userTel", "remark.x"])
    assert isinstance(out["currentUser"], str) and isinstance(out["supUser"], str)
    assert "139" not in out["currentUser"] and "138" not in out["supUser"]
    assert json.loads(out["currentUser"]) == [{"userId": "7", "score": 1.5}]
    assert "1.50" in out["currentUser"], "numbers stay as written"
    assert out["remark"] == "[not json"
    untouched = mask(body, ["currentUser[].nothing"])
    assert untouched["currentUser"] is body["currentUser"], "unchanged JSON text is forwarded as received"
