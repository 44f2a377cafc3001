"""Routing: who gets an event, exactly what bytes they get, and that nothing ever raises."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import simplejson

from wostream.core import routing
from wostream.core.drift import Drift
from wostream.core.enrichment import enrich
from wostream.core.models import WILDCARD, IdKind, IdMaps, RouteResult, Subscription
from wostream.core.routing import SubscriptionIndex, envelope, in_scope, route

BODY = {"serviceOrderId": "4503599741262301", "organId": "671024", "communityId": "139912543382896"}


def sub(
    code: str,
    areas: tuple[str, ...] = ("fwwt",),
    change_ids: tuple[str, ...] = ("1", "2", "3", "5"),
    organs: tuple[str, ...] = ("671024",),
    communities: tuple[str, ...] = (),
    **kw: Any,
) -> Subscription:
    return Subscription(
        code,
        code,
        "hash",
        frozenset(areas),
        frozenset(change_ids),
        frozenset(organs),
        frozenset(communities),
        **kw,
    )


def raw(data: Any = BODY, **envelope_fields: Any) -> bytes:
    event = {"dataArea": "fwwt", "changeId": "1", "data": data, **envelope_fields}
    return str(simplejson.dumps(event, use_decimal=True)).encode()


def codes(result: RouteResult) -> list[str]:
    return [d.base_code for d in result.copies]


def decoded(envelope_bytes: bytes) -> tuple[list[str], dict[str, Any]]:
    outer = simplejson.loads(envelope_bytes.decode("utf-8"))
    return list(outer), simplejson.loads(outer["data"], use_decimal=True)


# --- the index -------------------------------------------------------------------------------------------


def test_candidates_cover_exact_and_wildcard_buckets() -> None:
    index = SubscriptionIndex(
        [
            sub("EXACT"),
            sub("ANY_AREA", areas=(WILDCARD,)),
            sub("ANY_KIND", change_ids=(WILDCARD,)),
            sub("ANY", areas=(WILDCARD, "fwwt"), change_ids=("1", WILDCARD)),
            sub("OTHER_AREA", areas=("10008",)),
            sub("OTHER_KIND", change_ids=("4",)),
        ]
    )
    assert [s.base_code for s in index.candidates("fwwt", "1")] == ["ANY", "ANY_AREA", "ANY_KIND", "EXACT"]
    assert [s.base_code for s in index.candidates("10008", "1")] == ["ANY", "ANY_AREA", "OTHER_AREA"]
    assert [s.base_code for s in index.candidates("fwwt", "4")] == ["ANY", "ANY_KIND", "OTHER_KIND"]
    assert [s.base_code for s in index.candidates("10008", "4")] == ["ANY"]


def test_disabled_subscriptions_are_not_indexed_and_later_entries_replace_earlier() -> None:
    index = SubscriptionIndex([sub("A"), sub("B", enabled=False), sub("C"), sub("C", areas=("other",))])
    assert [s.base_code for s in index.subscriptions] == ["A", "C"] and len(index) == 2
    assert [s.base_code for s in index.candidates("fwwt", "1")] == ["A"]


def test_change_id_8_never_matches() -> None:
    everything = sub("ALL", areas=(WILDCARD,), change_ids=(WILDCARD,))
    index = SubscriptionIndex([everything, sub("E", change_ids=("8",))])
    assert index.candidates("fwwt", "8") == ()
    assert [s.base_code for s in index.subscriptions] == ["ALL", "E"]


def test_candidates_do_not_grow_with_subscriptions_that_cannot_match() -> None:
    noise = [sub(f"N{i:04d}", areas=(f"area{i}",), change_ids=(WILDCARD,)) for i in range(1000)]
    index = SubscriptionIndex([*noise, sub("A")])
    assert [s.base_code for s in index.candidates("fwwt", "1")] == ["A"]


# --- scope -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("organs", "communities", "organ_id", "community_id", "expected"),
    [
        (("671024",), (), "671024", None, True),
        (("671024",), (), "999", "139912543382896", False),
        ((), ("139912543382896",), "999", "139912543382896", True),
        # a community-scoped subscriber, an event naming only its organisation: cannot tell (not "no")
        ((), ("139912543382896",), "671024", None, None),
        (("671024",), ("1",), "671024", None, True),
        (("9",), ("1",), "671024", None, None),
        ((WILDCARD,), (), None, None, True),
        ((), (WILDCARD,), None, None, True),
        ((), (), "671024", "139912543382896", False),
        ((), (), None, None, False),
        (("671024",), (), None, None, None),
    ],
)
def test_scope(
    organs: tuple[str, ...],
    communities: tuple[str, ...],
    organ_id: str | None,
    community_id: str | None,
    expected: bool | None,
) -> None:
    assert in_scope(sub("S", organs=organs, communities=communities), organ_id, community_id) is expected


def test_event_without_scope_ids_is_quarantined_for_scoped_subscribers_only() -> None:
    index = SubscriptionIndex(
        [
            sub("WILD", organs=(WILDCARD,)),
            sub("ORG"),
            sub("COM", organs=(), communities=("1",)),
            sub("EMPTY", organs=()),
        ]
    )
    result = route(raw({"serviceOrderId": "1"}), None, index, IdMaps())
    assert codes(result) == ["WILD"]
    assert result.quarantine == (
        "organId and communityId both missing from data and unknown for ticket 1: "
        "cannot check the scope of subscriber(s) COM, ORG",
    )


def test_out_of_scope_events_are_neither_delivered_nor_quarantined() -> None:
    index = SubscriptionIndex([sub("ORG", organs=("1",)), sub("COM", organs=(), communities=("2",))])
    result = route(raw(), None, index, IdMaps())
    assert result.copies == () and result.quarantine == () and result.event_id is not None


# --- deliveries ------------------------------------------------------------------------------------------


def test_envelope_is_spec_section_4_exactly() -> None:
    body = {"serviceOrderId": "1", "b": Decimal("1.10"), "名": "值", "q": 'a"b\n'}
    expected = (
        '{"baseCode":"","dataArea":"fwwt","changeId":"1",'
        '"data":"{\\"serviceOrderId\\":\\"1\\",\\"b\\":1.10,\\"名\\":\\"值\\",\\"q\\":\\"a\\\\\\"b\\\\n\\"}"}'
    )
    assert envelope("fwwt", "1", body) == expected.encode("utf-8")


def test_envelope_survives_a_lone_surrogate() -> None:
    out = envelope("fwwt", "1", {"x": "\ud800", "y": "中"})
    keys, data = decoded(out)
    assert keys == ["baseCode", "dataArea", "changeId", "data"] and data == {"x": "\ud800", "y": "中"}


def test_a_lone_surrogate_changes_nothing_but_its_own_escape() -> None:
    """One escaping style for every envelope: raw UTF-8 in dataArea and data alike; only the lone surrogate,
    which UTF-8 cannot carry, is a \\u escape, inside data's JSON text (so the envelope parses anywhere)."""
    plain = envelope("房屋", "1", {"x": "?", "y": "中"}).decode("utf-8")
    lone = envelope("房屋", "1", {"x": "\ud800", "y": "中"}).decode("utf-8")
    assert lone == plain.replace('\\"x\\":\\"?\\"', '\\"x\\":\\"\\\\ud800\\"')
    assert '"dataArea":"房屋"' in lone and "中" in lone and "\\u4e2d" not in lone
    assert simplejson.loads(lone)["data"] == '{"x":"\\ud800","y":"中"}'


def test_json_text_rewritten_by_a_mask_follows_the_same_rule() -> None:
    current = simplejson.dumps([{"userTel": "139", "userName": "\udc80中"}])
    body = {**BODY, "currentUser": current}
    index = SubscriptionIndex([sub("A", mask=("currentUser[].userTel",))])
    (copy,) = route(raw(body, changeId="5"), None, index, IdMaps()).copies
    data = simplejson.loads(copy.envelope.decode("utf-8"))["data"]
    current_text = simplejson.loads(data)["currentUser"]
    assert current_text == '[{"userName": "\\udc80中"}]'
    assert simplejson.loads(current_text) == [{"userName": "\udc80中"}]


def test_deliveries_carry_key_area_kind_and_one_event_id() -> None:
    index = SubscriptionIndex([sub("B"), sub("A"), sub("C", areas=(WILDCARD,), change_ids=(WILDCARD,))])
    result = route(raw(changeId=1), b"ignored", index, IdMaps())
    assert codes(result) == ["A", "B", "C"] and result.change_id == "1"
    for delivery in result.copies:
        assert (delivery.key, delivery.data_area, delivery.change_id) == ("4503599741262301", "fwwt", "1")
        assert delivery.event_id == result.event_id
        keys, data = decoded(delivery.envelope)
        assert keys == ["baseCode", "dataArea", "changeId", "data"] and data == BODY


def test_each_copy_gets_its_own_ids_and_masks() -> None:
    idmaps = IdMaps()
    idmaps.put("A", IdKind.COMMUNITY, "139912543382896", "A-COM")
    idmaps.put("B", IdKind.COMMUNITY, "139912543382896", "B-COM")
    index = SubscriptionIndex([sub("A", mask=("organId",)), sub("B")])
    result = route(raw(), None, index, idmaps)
    (_, a), (_, b) = (decoded(d.envelope) for d in result.copies)
    assert a == {
        "serviceOrderId": BODY["serviceOrderId"],
        "communityId": BODY["communityId"],
        "eCommunityId": "A-COM",
    }
    assert b == {**BODY, "eCommunityId": "B-COM"}


def test_data_given_as_a_json_string_is_forwarded_with_the_same_content() -> None:
    text = '{"serviceOrderId":"1","organId":"671024","z":1.10,"userid":"x"}'
    result = route(raw(text), None, SubscriptionIndex([sub("A")]), IdMaps())
    assert simplejson.loads(result.copies[0].envelope)["data"] == text


# A key given twice: routing reads neither value, so the event goes out with both (contract, section 6).
TWICE = (
    '{"serviceOrderId":"1","organId":"671024","contactTel":"138","remark":"a","contacttel ":"139",'
    '"remark":"b","currentUser":[{"userTel":"137","userTel":"136"}]}'
)


@pytest.mark.parametrize("as_string", [False, True])
def test_a_body_with_a_key_given_twice_is_routed_and_forwarded_as_received(as_string: bool) -> None:
    data = simplejson.dumps(TWICE) if as_string else TWICE
    text = ('{"changeId":"1","dataArea":"fwwt","data":' + data + "}").encode()
    result = route(text, None, SubscriptionIndex([sub("A")]), IdMaps())
    assert codes(result) == ["A"] and result.quarantine == ()
    assert simplejson.loads(result.copies[0].envelope)["data"] == TWICE


def test_a_masked_key_given_twice_is_removed_in_every_occurrence() -> None:
    text = ('{"changeId":"1","dataArea":"fwwt","data":' + TWICE + "}").encode()
    index = SubscriptionIndex([sub("A", mask=("contactTel", "currentUser[].userTel"))])
    result = route(text, None, index, IdMaps())
    assert simplejson.loads(result.copies[0].envelope)["data"] == (
        '{"serviceOrderId":"1","organId":"671024","remark":"a","remark":"b","currentUser":[{}]}'
    )


def test_a_field_routing_reads_given_twice_with_different_values_is_quarantined() -> None:
    text = (
        b'{"changeId":"1","dataArea":"fwwt","data":{"serviceOrderId":"1","organId":"671024","organId":"1"}}'
    )
    result = route(text, None, SubscriptionIndex([sub("A")]), IdMaps())
    assert result.copies == () and result.quarantine == (
        'organId in data is given twice with different values (duplicate keys "organId": "671024" and '
        '"organId": "1")',
    )


def test_a_value_sent_as_json_text_is_enriched_where_it_is_masked() -> None:
    current = '[{"userId":"94781","userTel":"13900000000"}]'
    idmaps = IdMaps()
    idmaps.put("A", IdKind.EMPLOYEE, "94781", "A-EMP")
    index = SubscriptionIndex([sub("A", mask=("currentUser[].userTel",))])
    (copy,) = route(raw({**BODY, "currentUser": current}, changeId="5"), None, index, idmaps).copies
    _, data = decoded(copy.envelope)
    assert isinstance(data["currentUser"], str)
    assert simplejson.loads(data["currentUser"]) == [{"userId": "94781", "eUserId": "A-EMP"}]


def test_change_id_8_is_unsupported_and_goes_nowhere() -> None:
    index = SubscriptionIndex([sub("ALL", areas=(WILDCARD,), change_ids=(WILDCARD,), organs=(WILDCARD,))])
    drift = Drift()
    result = route(raw(changeId="8"), None, index, IdMaps(), drift)
    assert result.unsupported and result.copies == () and result.quarantine == ()
    assert result.change_id == "8" and result.event_id is not None
    assert drift.snapshot()["8"]["events"] == 1
    broken = route(raw({"no": "id"}, changeId=8), None, index, IdMaps())
    assert broken.unsupported and broken.quarantine == () and broken.event_id is None


def test_unreadable_event_is_quarantined_with_its_reason() -> None:
    result = route(raw(changeId="11"), None, SubscriptionIndex([sub("A")]), IdMaps())
    reason = 'changeId "11" is not a known event kind (1..10)'
    assert result == RouteResult(None, None, quarantine=(reason,))
    result = route(raw({"organId": "1"}, changeId="2"), None, SubscriptionIndex([sub("A")]), IdMaps())
    assert result.change_id == "2" and result.quarantine == ("serviceOrderId missing from data",)


def test_drift_is_observed_and_cannot_break_routing() -> None:
    class Broken(Drift):
        def observe(self, change_id: str, body: Any, groups: Any = None) -> None:
            raise RuntimeError("metrics down")

    index = SubscriptionIndex([sub("A")])
    assert codes(route(raw(), None, index, IdMaps(), Broken())) == ["A"]
    drift = Drift()
    route(raw(), None, index, IdMaps(), drift)
    assert drift.snapshot()["1"]["events"] == 1


def test_an_internal_error_becomes_a_quarantine_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(raw_bytes: bytes, key: bytes | None) -> Any:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(routing, "parse_raw", explode)
    result = route(raw(), None, SubscriptionIndex([sub("A")]), IdMaps())
    reason = "internal error: RuntimeError: boom second line"
    assert result == RouteResult(None, None, quarantine=(reason,))


def test_one_subscribers_failure_does_not_cost_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    real = enrich

    def picky(
        body: dict[str, Any], change_id: str, base_code: str, idmaps: IdMaps, *rest: Any
    ) -> dict[str, Any]:
        if base_code == "B":
            raise KeyError("nope")
        return real(body, change_id, base_code, idmaps, *rest)

    monkeypatch.setattr(routing, "enrich", picky)
    maps = IdMaps()
    maps.put("B", IdKind.HOUSE, "1", "b-house")  # B has its own ids: its copy is its own
    result = route(raw(), None, SubscriptionIndex([sub("A"), sub("B"), sub("C")]), maps)
    assert codes(result) == ["A", "C"]
    assert result.quarantine == ("internal error: KeyError: 'nope' (subscriber B)",)
    assert result.event_id is not None and result.change_id == "1"
