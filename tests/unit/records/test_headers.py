"""Headers of push copies, quarantine records, dead letters and replays: written and read in one place."""

from __future__ import annotations

import pytest

from wostream.records.headers import (
    DeadLetter,
    dead_letter_headers,
    push_headers,
    quarantine_headers,
    replay_headers,
    text_headers,
)
from wostream.records.state import RecordError, decode_callback, decode_retry_or_park

COPY = push_headers("fwwt", "2", "e1")


def test_a_push_copy_carries_its_area_kind_and_event_id() -> None:
    assert COPY == [("dataArea", b"fwwt"), ("changeId", b"2"), ("eventId", b"e1")]


def test_quarantine_names_the_reasons_and_where_the_event_was() -> None:
    assert quarantine_headers(["a", "b"], "wo.events:1:5", None) == [
        ("reason", b"a; b"),
        ("source", b"wo.events:1:5"),
    ]
    assert quarantine_headers(["a"], "wo.events:1:5", "e1")[-1] == ("eventId", b"e1")


def test_a_dead_letter_leads_with_why_and_keeps_the_copy_tags_but_not_old_replay_marks() -> None:
    dead = DeadLetter("e1", "refused", 4, 0.0, 60.0, "wo.push.A:0:9")
    replayed = [*COPY, ("replayOf", b"wo.push.A:0:3"), ("replayAt", b"5.0")]
    assert dead_letter_headers(dead, replayed) == [
        ("eventId", b"e1"),
        ("reason", b"refused"),
        ("attempts", b"4"),
        ("firstAttemptAt", b"1970-01-01T00:00:00Z"),
        ("lastAttemptAt", b"1970-01-01T00:01:00Z"),
        ("source", b"wo.push.A:0:9"),
        ("dataArea", b"fwwt"),
        ("changeId", b"2"),
    ]


def test_a_replay_restores_the_copy_tags_and_says_where_it_died_and_when() -> None:
    dead = dead_letter_headers(DeadLetter("e1", "refused", 4, 0.0, 60.0, "wo.push.A:0:9"), COPY)
    assert replay_headers(dead, "wo.dead.A:0:0", 123.5) == [
        ("eventId", b"e1"),
        ("dataArea", b"fwwt"),
        ("changeId", b"2"),
        ("replayOf", b"wo.push.A:0:9"),
        ("replayAt", b"123.5"),
    ]
    assert dict(replay_headers([], "wo.dead.A:0:7", 1.0))["replayOf"] == b"wo.dead.A:0:7"


def test_header_text_is_lenient() -> None:
    assert text_headers([("eventId", b"\xffe1")]) == {"eventId": "\ufffde1"}
    assert text_headers(None) == {}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (b"\xff", b"{}", "key is not UTF-8"),
        (b"A", b"{}", "key must have 2 parts"),
        (b"A\x1fs", b"[" * 50_000, "value is not JSON (RecursionError)"),
        (b"A\x1fs", b"[]", "value is not a JSON object"),
        (b"A\x1fs", b'{"proxy": "p"}', "callback value: KeyError"),
    ],
)
def test_hostile_callback_records_are_refused_with_a_reason(key: bytes, value: bytes, message: str) -> None:
    with pytest.raises(RecordError, match=message.replace("(", r"\(").replace(")", r"\)")):
        decode_callback(key, value)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (b"retry\x1ft\x1fx\x1f1", b"{}", "retry record: ValueError"),
        (b"park\x1fA\x1fT", b'{"eventId": "e"}', "park record: KeyError"),
        (b"other\x1fA\x1fT", None, "unknown record kind 'other'"),
    ],
)
def test_hostile_retry_records_are_refused_with_a_reason(
    key: bytes, value: bytes | None, message: str
) -> None:
    with pytest.raises(RecordError, match=message):
        decode_retry_or_park(key, value)
