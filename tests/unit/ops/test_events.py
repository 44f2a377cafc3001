from __future__ import annotations

import json

import pytest

from wostream.ops.events import InputError, parse_events


def test_json_lines_keyed_by_service_order_id() -> None:
    text = (
        '{"changeId": "1", "data": {"serviceOrderId": "42"}}\n\n'
        '{"changeId": "2", "data": "{\\"ServiceOrderId \\": 7}"}\n'
    )
    events = list(parse_events(text, "f"))
    assert [e.key for e in events] == [b"42", b"7"]
    assert json.loads(events[0].value) == {"changeId": "1", "data": {"serviceOrderId": "42"}}


def test_json_array_keeps_order_and_chinese_text() -> None:
    events = list(parse_events('[{"data": {"remark": "测试"}}, {"x": 1}]', "f"))
    assert [json.loads(e.value) for e in events] == [{"data": {"remark": "测试"}}, {"x": 1}]
    assert "测试".encode() in events[0].value
    assert events[1].key is None


def test_bad_lines_are_all_listed_and_nothing_is_parsed() -> None:
    with pytest.raises(InputError) as info:
        list(parse_events('{"ok": 1}\nnot json\n{"also": \n', "events.jsonl"))
    assert [e.split(":")[:2] for e in info.value.errors] == [["events.jsonl", "2"], ["events.jsonl", "3"]]
    assert all("use --raw to send it anyway" in e for e in info.value.errors)


def test_raw_lines_are_sent_byte_for_byte() -> None:
    assert [e.value for e in parse_events("garbage {\n\n  x\n", "f", raw=True)] == [b"garbage {", b"  x"]


def test_one_pretty_printed_event_is_one_event() -> None:
    events = list(parse_events('{\n  "changeId": "5",\n  "data": {"serviceOrderId": "9"}\n}\n', "f"))
    assert [(e.key, json.loads(e.value)["changeId"]) for e in events] == [(b"9", "5")]
