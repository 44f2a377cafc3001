"""Every record sized before it is written: oversize copies and quarantine records never reach the broker."""

from __future__ import annotations

from wostream.config.settings import Settings
from wostream.core.models import Copy, RouteResult
from wostream.records.writes import RECORD_OVERHEAD, plan_writes

SETTINGS = Settings(max_record_bytes=10_000)
RAW = b'{"changeId": "2"}'


def copy(code: str, size: int) -> Copy:
    return Copy(code, "T1", "fwwt", "2", "e1", b"x" * size)


def test_copies_that_fit_go_to_their_push_topics_and_nothing_to_the_quarantine() -> None:
    writes = plan_writes(
        SETTINGS, RouteResult("e1", "2", (copy("A", 10), copy("B", 20))), RAW, b"T1", "wo.events:0:5"
    )
    assert [(w.topic, w.key, len(w.value)) for w in writes] == [
        ("wo.push.A", b"T1", 10),
        ("wo.push.B", b"T1", 20),
    ]
    assert dict(writes[0].headers) == {"dataArea": b"fwwt", "changeId": b"2", "eventId": b"e1"}


def test_an_oversize_copy_becomes_a_quarantine_reason_naming_the_subscriber_and_size() -> None:
    result = RouteResult("e1", "2", (copy("A", 10), copy("BIG", 10_000)))
    writes = plan_writes(SETTINGS, result, RAW, b"T1", "wo.events:0:5")
    assert [w.topic for w in writes] == ["wo.push.A", "wo.events.quarantine"]
    quarantined = writes[1]
    assert quarantined.value == RAW and quarantined.key == b"T1"
    size = 10_000 + 2 + RECORD_OVERHEAD + len("dataAreafwwtchangeId2eventIde1")
    assert dict(quarantined.headers) == {
        "reason": f"the copy for BIG would be {size:,} bytes, over the 10,000-byte record limit: "
        "not pushed".encode(),
        "source": b"wo.events:0:5",
        "eventId": b"e1",
    }


def test_an_event_too_big_for_the_quarantine_leaves_a_stub_saying_where_it_is() -> None:
    raw = b"[" * 9_900
    writes = plan_writes(
        SETTINGS, RouteResult(None, None, quarantine=("nests too deeply",)), raw, None, "wo.events:3:7"
    )
    (stub,) = writes
    assert (stub.topic, stub.key, stub.value) == ("wo.events.quarantine", None, b"")
    reason = dict(stub.headers)["reason"].decode()
    assert reason.startswith("nests too deeply; the original event with its reasons would be ")
    assert reason.endswith("bytes, over the 10,000-byte record limit: it stays at wo.events:3:7")
