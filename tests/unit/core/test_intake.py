"""Intake: lenient reading of raw events, and the stable event id derived from them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import simplejson

from wostream.core.eventid import event_id
from wostream.core.intake import MAX_DEPTH, MAX_EVENT_BYTES, ParsedEvent, Rejection, parse_raw
from wostream.core.models import IdMaps
from wostream.core.routing import SubscriptionIndex, route

BODY = {"serviceOrderId": "4503599741262301", "organId": "671024", "communityId": "139912543382896"}


def raw(data: Any = BODY, **envelope: Any) -> bytes:
    event = {"dataArea": "fwwt", "changeId": "1", **envelope}
    if data is not ...:
        event["data"] = data
    return str(simplejson.dumps(event, ensure_ascii=True)).encode("utf-8")


def parsed(raw_bytes: bytes, key: bytes | None = None) -> ParsedEvent:
    result = parse_raw(raw_bytes, key)
    assert isinstance(result, ParsedEvent), result
    return result


def twice(field: str, keys: str) -> str:
    """The reason for a field routing reads given twice with different values."""
    return f"{field} is given twice with different values (duplicate keys {keys})"


def reason(raw_bytes: bytes) -> str:
    result = parse_raw(raw_bytes, None)
    assert isinstance(result, Rejection), result
    return result.reason


def test_reads_the_routing_fields() -> None:
    event = parsed(raw(eventId="e-1", occurredAt="20190802161622"), b"4503599741262301")
    assert (event.change_id, event.data_area, event.service_order_id) == ("1", "fwwt", "4503599741262301")
    assert (event.organ_id, event.community_id) == ("671024", "139912543382896")
    assert (event.event_id, event.occurred_at, event.key) == ("e-1", "20190802161622", "4503599741262301")


@pytest.mark.parametrize(
    ("value", "expected"), [("1", "1"), (1, "1"), (" 10 ", "10"), (10, "10"), ("8", "8")]
)
def test_change_id_accepts_string_or_integer(value: Any, expected: str) -> None:
    assert parsed(raw(changeId=value)).change_id == expected


@pytest.mark.parametrize(
    ("envelope", "expected"),
    [
        ({"changeId": "11"}, 'changeId "11" is not a known event kind (1..10)'),
        ({"changeId": 0}, "changeId 0 is not a known event kind (1..10)"),
        ({"changeId": "01"}, 'changeId "01" is not a known event kind (1..10)'),
        ({"changeId": True}, "changeId has type boolean; expected a string or integer"),
        ({"changeId": None}, "changeId has type null; expected a string or integer"),
        ({"changeId": 1.0}, "changeId has type number; expected a string or integer"),
        ({"changeId": ["1"]}, "changeId has type array; expected a string or integer"),
    ],
)
def test_change_id_rejections_name_the_value(envelope: dict[str, Any], expected: str) -> None:
    assert reason(raw(**envelope)) == expected


def test_change_id_missing() -> None:
    assert reason(b'{"dataArea": "fwwt", "data": {"serviceOrderId": "1"}}') == "changeId missing"


def test_unknown_change_id_is_reported_with_no_change_id() -> None:
    result = parse_raw(raw(changeId="11"), None)
    assert isinstance(result, Rejection) and result.change_id is None


def test_rejection_after_change_id_keeps_it() -> None:
    result = parse_raw(raw(data={"organId": "1"}, changeId="8"), None)
    assert isinstance(result, Rejection) and result.change_id == "8"


@pytest.mark.parametrize(
    ("raw_bytes", "expected"),
    [
        (b"", "event is empty (a tombstone or an empty record): nothing to route"),
        (b'{"changeId": "1",', "event is not valid JSON"),
        (b"[1, 2]", "event is a JSON array, not an object"),
        (b'"text"', "event is a JSON string, not an object"),
        (b"\xff\xfe{}", "event is not UTF-8: invalid byte at position 0"),
        (b'{"changeId": "1", "data": {"a": NaN}}', "event holds NaN or Infinity at char 32"),
        (b'{"changeId": "1", "data": {"a": -Infinity}}', "event holds NaN or Infinity"),
    ],
)
def test_unreadable_bytes(raw_bytes: bytes, expected: str) -> None:
    assert reason(raw_bytes).startswith(expected)


def test_data_as_json_string_holding_an_object() -> None:
    event = parsed(raw(data=simplejson.dumps(BODY)))
    assert event.body == BODY and event.service_order_id == "4503599741262301"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (..., "data missing"),
        ("[1]", "data is a JSON string that does not hold an object"),
        ('"x"', "data is a JSON string that does not hold an object"),
        ("{oops", "data (a JSON string) is not valid JSON"),
        ('{"a": NaN}', "data (a JSON string) holds NaN or Infinity"),
        (None, "data has type null; expected an object or a JSON string holding one"),
        ([BODY], "data has type array; expected an object or a JSON string holding one"),
        (5, "data has type number; expected an object or a JSON string holding one"),
    ],
)
def test_data_rejections(data: Any, expected: str) -> None:
    assert reason(raw(data)).startswith(expected)


def test_data_area_precedence_envelope_then_template_code_then_service_type_code() -> None:
    body = {**BODY, "serviceTypeCode": "stc", "TemplateCode ": "tc"}
    assert parsed(raw(body, dataArea="env")).data_area == "env"
    assert parsed(raw(body, dataArea="")).data_area == "tc"
    no_template = {**BODY, "servicetypecode": "stc"}
    assert parsed(raw(no_template, dataArea=None)).data_area == "stc"


def test_data_area_missing_is_left_to_routing_which_quarantines_it_for_an_unknown_ticket() -> None:
    event = simplejson.dumps({"changeId": "1", "data": BODY}).encode()
    parsed = parse_raw(event)
    assert isinstance(parsed, ParsedEvent) and parsed.data_area is None
    assert route(event, None, SubscriptionIndex([]), IdMaps()).quarantine == (
        "no data area: dataArea, data.templateCode and data.serviceTypeCode all missing or empty",
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"organId": "1"}, "serviceOrderId missing from data"),
        ({"serviceOrderId": ""}, "serviceOrderId in data is empty"),
        ({"serviceOrderId": {"id": 1}}, "serviceOrderId in data has type object; expected a string or int"),
        ({"serviceOrderId": "\ud800"}, "serviceOrderId in data is not valid Unicode text (a lone surrogate"),
    ],
)
def test_service_order_id_is_required_in_the_body(body: dict[str, Any], expected: str) -> None:
    # A Kafka key does not stand in for it: deliveries must carry it in the body.
    assert parse_raw(raw(body), b"4503599741262301") == Rejection(reason(raw(body)), "1")
    assert reason(raw(body)).startswith(expected)


def test_lenient_key_lookup_in_body_and_envelope() -> None:
    body = {"serviceorderid ": 42, " ORGANID": "671024", "CommunityId": 7}
    event = parsed(simplejson.dumps({"DataArea": "fwwt", "changeid": 2, "Data": body}).encode())
    assert (event.change_id, event.data_area, event.service_order_id) == ("2", "fwwt", "42")
    assert (event.organ_id, event.community_id) == ("671024", "7")


def test_a_variant_beside_the_exact_spelling_is_two_values_for_one_field_and_refused() -> None:
    result = parse_raw(raw({"serviceorderid": "variant", "serviceOrderId": "exact"}))
    assert isinstance(result, Rejection) and "serviceOrderId in data is given twice" in result.reason


def test_scope_ids_may_be_absent_or_unusable() -> None:
    event = parsed(raw({"serviceOrderId": "1", "organId": {"x": 1}, "communityId": ""}))
    assert (event.organ_id, event.community_id) == (None, None)


def test_body_is_kept_exactly_as_received() -> None:
    text = (
        '{"changeId":"1","dataArea":"a",'
        '"data":{"z":1.10,"userid":"x","hangRemark ":"", "a":[1e2],"serviceOrderId":"9"}}'
    )
    event = parsed(text.encode())
    assert list(event.body) == ["z", "userid", "hangRemark ", "a", "serviceOrderId"]
    assert event.body["z"] == Decimal("1.10") and str(event.body["z"]) == "1.10"


def test_bom_is_tolerated() -> None:
    assert parsed(b"\xef\xbb\xbf" + raw()).change_id == "1"


def test_deep_nesting_is_rejected_not_raised() -> None:
    head = b'{"changeId":"1","dataArea":"a","data":{"serviceOrderId":"1","x":'
    deep = head + b"[" * 200_000 + b"]" * 200_000
    assert "nests too deeply" in reason(deep + b"}}")
    moderate = {"serviceOrderId": "1", "x": simplejson.loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))}
    assert reason(raw(moderate)) == f"event nests more than {MAX_DEPTH} levels deep"
    inner = simplejson.dumps(moderate)
    assert reason(raw(inner)) == f"data nests more than {MAX_DEPTH} levels deep"


def test_huge_input_is_rejected() -> None:
    big = raw({"serviceOrderId": "1", "x": "a" * MAX_EVENT_BYTES})
    assert reason(big) == f"event is {len(big)} bytes, more than the limit of {MAX_EVENT_BYTES}"


def test_integer_beyond_the_digit_limit_is_a_rejection() -> None:
    huge_int = b'{"changeId":"1","data":{"a":' + b"9" * 5000 + b"}}"
    assert reason(huge_int).startswith("event is not readable JSON")


def test_non_bytes_input_is_a_rejection() -> None:
    assert parse_raw("{}", None) == Rejection("event is str, not bytes")  # type: ignore[arg-type]


def test_event_id_prefers_the_producers_id() -> None:
    assert event_id(parsed(raw(eventId=12345))) == "12345"


def test_event_id_is_stable_across_reserialisation() -> None:
    body = {"serviceOrderId": "1", "b": [1, {"y": 2, "x": 1}], "a": Decimal("1.10")}
    compact = simplejson.dumps({"changeId": "1", "dataArea": "a", "data": body}, use_decimal=True)
    pretty = simplejson.dumps(
        {"data": dict(reversed(body.items())), "dataArea": "a", "changeId": 1}, indent=4, use_decimal=True
    )
    as_string = simplejson.dumps(
        {"changeId": "1", "dataArea": "a", "data": simplejson.dumps(body, use_decimal=True)},
        ensure_ascii=True,
    )
    ids = {event_id(parsed(text.encode())) for text in (compact, pretty, as_string)}
    assert len(ids) == 1 and len(next(iter(ids))) == 32


def test_event_id_differs_when_meaning_differs() -> None:
    base = {"serviceOrderId": "1", "a": Decimal("1.10")}
    variants = [
        raw(base),
        raw({**base, "a": Decimal("1.1")}),
        raw(base, changeId="2"),
        raw(base, dataArea="other"),
        raw({**base, "serviceOrderId": "2"}),
    ]
    assert len({event_id(parsed(v)) for v in variants}) == len(variants)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (
            b'{"dataArea":"fwwt","changeId":"1","changeId":"2","data":{"serviceOrderId":"1"}}',
            twice("changeId", '"changeId": "1" and "changeId": "2"'),
        ),
        (
            b'{"dataArea":"fwwt","changeId":"1","data":{"serviceOrderId":"1","serviceOrderId":"2"}}',
            twice("serviceOrderId in data", '"serviceOrderId": "1" and "serviceOrderId": "2"'),
        ),
        (
            b'{"dataArea":["10008"],"changeId":"1","data":{"serviceOrderId":"1","templateCode":"fwwt"}}',
            "dataArea has type array; expected a string",
        ),
        (
            b'{"changeId":"1","data":{"serviceOrderId":"1","templateCode":{"a":1}}}',
            "templateCode in data has type object; expected a string",
        ),
        (
            b'{"dataArea":"fwwt","changeId":"1","data":{"serviceOrderId":"1","x":1e99999999999999999999}}',
            "event holds a number whose exponent is too large to read",
        ),
    ],
)
def test_ambiguous_or_unreadable_events_are_rejected_naming_why(raw: bytes, reason: str) -> None:
    result = parse_raw(raw)
    assert isinstance(result, Rejection) and result.reason == reason


def test_two_spellings_of_a_field_routing_reads_with_different_values_are_refused_naming_both() -> None:
    raw = b'{"changeId":"1","dataArea":"a","DATAAREA":"b","data":{"serviceOrderId":"1"}}'
    assert parse_raw(raw) == Rejection(
        twice("dataArea", '"dataArea": "a" and "DATAAREA": "b"'),
        "1",
    )
    raw = b'{"changeId":"1","dataArea":"a","data":{"serviceOrderId":"1","organid":"2","organId":"3"}}'
    assert parse_raw(raw) == Rejection(
        twice("organId in data", '"organid": "2" and "organId": "3"'),
        "1",
    )


# --- a key given twice: kept unless routing reads it with two values (docs/contract.md section 6) ---

ENVELOPE = '{{"changeId":{c},"dataArea":"fwwt",{extra}"data":{{"serviceOrderId":"1","organId":"7"{body}}}}}'


def event_text(c: str = '"1"', extra: str = "", body: str = "") -> bytes:
    return ENVELOPE.format(c=c, extra=extra, body=body).encode()


@pytest.mark.parametrize(
    "text",
    [
        event_text(body=',"contactTel":"1","x":2,"contactTel":"3"'),
        event_text(body=',"a":{"b":1,"b":[1]},"a":null'),
        event_text(extra='"baseCode":"x","baseCode":"y",'),
        b'{"changeId":"1","dataArea":"fwwt","data":"{\\"serviceOrderId\\":\\"1\\",\\"a\\":1,\\"a\\":2}"}',
    ],
)
def test_a_key_routing_does_not_read_may_be_given_twice(text: bytes) -> None:
    assert parsed(text).service_order_id == "1"


def test_every_occurrence_of_a_key_given_twice_is_kept_in_order() -> None:
    body = parsed(event_text(body=',"contactTel":"1","x":2,"contactTel":"3","CONTACTTEL":"4"')).body
    # str(): a later occurrence is a `Repeated` key, equal only to itself
    assert [(str(k), v) for k, v in body.items()] == [
        ("serviceOrderId", "1"),
        ("organId", "7"),
        ("contactTel", "1"),
        ("x", 2),
        ("contactTel", "3"),
        ("CONTACTTEL", "4"),
    ]
    assert body["contactTel"] == "1", "a lookup by name finds the first occurrence"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (event_text(c='"2","changeId":"2"'), ("change_id", "2")),
        (event_text(c='"2","CHANGEID":"2"'), ("change_id", "2")),
        (event_text(extra='"dataArea":"fwwt","DataArea":"fwwt",'), ("data_area", "fwwt")),
        (event_text(extra='"eventId":"e","eventid":"e",'), ("event_id", "e")),
        (event_text(body=',"organId":"7"'), ("organ_id", "7")),
        (event_text(body=',"communityId":"c","communityid":"c"'), ("community_id", "c")),
        (event_text(body=',"serviceOrderId":"1"'), ("service_order_id", "1")),
        (
            b'{"changeId":"1","data":{"serviceOrderId":"1","templateCode":"t","templatecode":"t"},'
            b'"DATA":{"templateCode":"t","serviceOrderId":"1","templatecode":"t"}}',
            ("data_area", "t"),
        ),
    ],
)
def test_a_field_routing_reads_may_be_given_twice_with_the_same_value(
    text: bytes, field: tuple[str, str]
) -> None:
    attribute, value = field
    assert getattr(parsed(text), attribute) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            event_text(c='"2","changeid":2'),
            twice("changeId", '"changeId": "2" and "changeid": 2'),
        ),
        (
            event_text(extra='"eventId":"e","eventId":"f",'),
            twice("eventId", '"eventId": "e" and "eventId": "f"'),
        ),
        (
            event_text(body=',"organId":"8"'),
            twice("organId in data", '"organId": "7" and "organId": "8"'),
        ),
        (
            event_text(body=',"communityid":"c","communityId":"d"'),
            twice("communityId in data", '"communityid": "c" and "communityId": "d"'),
        ),
        (
            b'{"changeId":"1","data":{"serviceOrderId":"1","serviceTypeCode":"s","serviceTypeCode":"t"}}',
            twice("serviceTypeCode in data", '"serviceTypeCode": "s" and "serviceTypeCode": "t"'),
        ),
        (
            b'{"changeId":"1","dataArea":"a","data":{"serviceOrderId":"1"},"data":{"serviceOrderId":"2"}}',
            twice("data", '"data": object and "data": object'),
        ),
    ],
)
def test_a_field_routing_reads_given_twice_with_different_values_is_refused_naming_it(
    text: bytes, expected: str
) -> None:
    assert reason(text) == expected
