"""The id-map topic's records: round trip, tombstones, and everything a decoder must refuse."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wostream.config.idmaps import IdMapEntry, IdMapError
from wostream.core.directory import Directory
from wostream.core.models import IdKind
from wostream.records.config import idmap_from_record, idmap_to_record
from wostream.records.fold import Fold

HRZ = "HRZDWYWHXT"
KIND_LIST = "community, house, customer, employee"


def test_record_round_trip_and_tombstone() -> None:
    entry = IdMapEntry(HRZ, IdKind.COMMUNITY, "139912543382896", "HW-HAIWEN-01")
    key, value = idmap_to_record(entry)
    assert (key, value) == (b"HRZDWYWHXT\x1fcommunity\x1f139912543382896", b"HW-HAIWEN-01")
    assert idmap_from_record(key, value) == entry
    removal = IdMapEntry(HRZ, IdKind.COMMUNITY, "139912543382896", None)
    assert idmap_to_record(removal) == (key, None)
    assert idmap_from_record(key, None) == removal


def test_fold_puts_and_deletes() -> None:
    directory = Directory()
    maps = directory.idmaps
    key, value = idmap_to_record(IdMapEntry(HRZ, IdKind.EMPLOYEE, "94781", "EMP-00042"))
    Fold(directory).idmap(key, value)
    assert maps.lookup(HRZ, IdKind.EMPLOYEE, "94781") == "EMP-00042"
    Fold(directory).idmap(key, None)
    assert maps.lookup(HRZ, IdKind.EMPLOYEE, "94781") is None


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (b"\xff", b"x", "id-map record: key or value is not UTF-8"),
        (b"A\x1fhouse\x1f1", b"\xff", "id-map record: key or value is not UTF-8"),
        (
            b"A\x1fhouse",
            b"x",
            "id-map record 'A\\x1fhouse': key must be baseCode, kind and id separated by \\x1f",
        ),
        (
            b"A\x1fhouse\x1f1",
            b"",
            "id-map record 'A\\x1fhouse\\x1f1': empty value (a removal is a null value)",
        ),
        (
            b"A\x1froom\x1f1",
            b"x",
            f"id-map record 'A\\x1froom\\x1f1': kind: \"room\" is not one of {KIND_LIST}",
        ),
        (
            b"A B\x1fhouse\x1f",
            b"x",
            "id-map record 'A B\\x1fhouse\\x1f': baseCode: \"A B\" is not a baseCode "
            "(1-64 of A-Z a-z 0-9 _ -); id: required",
        ),
    ],
)
def test_malformed_records(key: bytes, value: bytes, message: str) -> None:
    with pytest.raises(IdMapError) as info:
        idmap_from_record(key, value)
    assert info.value.errors == [message]


@given(
    st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
    st.sampled_from(list(IdKind)),
    st.text(min_size=1).filter(lambda s: s.strip() == s),
    st.one_of(st.none(), st.text(min_size=1)),
)
def test_any_entry_round_trips(code: str, kind: IdKind, our_id: str, their_id: str | None) -> None:
    entry = IdMapEntry(code, kind, our_id, their_id)  # even an id holding the separator splits back
    assert idmap_from_record(*idmap_to_record(entry)) == entry
