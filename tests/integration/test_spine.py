"""The spine, end to end on real parts: Kafka -> Faust worker -> glacier2router -> reference subscribers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workshop.local import LocalStack
from workshop.workload import example_files, poll, read_topic, step_handled

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = example_files()
SECRETS = {"SUBA_SECRET": "a-secret-for-tests", "SUBB_SECRET": "b-secret-for-tests"}

SUBSCRIPTIONS = """
subscribers:
  - baseCode: SUBA
    name: Subscriber A
    secret: ${SUBA_SECRET}
    dataAreas: [fwwt]
    changeIds: ["1", "2", "3", "5"]
    scope: {organIds: ["671024"], communityIds: []}
  - baseCode: SUBB
    name: Subscriber B
    secret: ${SUBB_SECRET}
    dataAreas: ["10008"]
    changeIds: ["*"]
    scope: {organIds: ["*"]}
"""


def _area(event: dict[str, Any]) -> str | None:
    data = event["data"]
    area: str | None = event.get("dataArea") or data.get("templateCode") or data.get("serviceTypeCode")
    return area


def expected_for_a() -> list[dict[str, Any]]:
    """A's envelopes, derived from the example files by the subscription's rules (not by our routing code)."""
    out = []
    for path in EXAMPLES:
        event = json.loads(path.read_text(encoding="utf-8"))
        data = event["data"]
        if (
            _area(event) == "fwwt"
            and str(event["changeId"]) in {"1", "2", "3", "5"}
            and data.get("organId") == "671024"
        ):
            out.append({"baseCode": "", "dataArea": "fwwt", "changeId": str(event["changeId"]), "data": data})
    return out


def assert_envelope(received: dict[str, Any], expected: dict[str, Any]) -> None:
    assert list(received) == ["baseCode", "dataArea", "changeId", "data"]
    assert isinstance(received["data"], str), "data must be a JSON string (docs/contract.md section 4)"
    body = json.loads(received["data"])
    assert body == expected["data"]
    assert list(body) == list(expected["data"]), "the producer's key order is kept"
    assert {k: received[k] for k in ("baseCode", "dataArea", "changeId")} == {
        k: expected[k] for k in ("baseCode", "dataArea", "changeId")
    }


def follow_up(service_order_id: str, data_area: str, organ: str) -> dict[str, Any]:
    return step_handled(service_order_id, data_area, organ)


def test_examples_reach_exactly_the_entitled_subscriber(stack: LocalStack, tmp_path: Path) -> None:
    assert len(EXAMPLES) >= 10, "the repaired examples of the original document are in tables/examples"
    stack.start_router()
    stack.start_worker()
    stack.wait_ready()
    subs_file = tmp_path / "subs.yaml"
    subs_file.write_text(SUBSCRIPTIONS, encoding="utf-8")
    stack.cli("subscriptions", "apply", str(subs_file), env=SECRETS)
    poll(
        lambda: {s["baseCode"] for s in stack.get_json("/subscribers")} == {"SUBA", "SUBB"},
        30,
        "both subscriptions at the worker",
    )

    # refused at the router, with a reason, and the client exits 2
    wrong = stack.subscriber("SUBA", "not-the-secret")
    assert wrong.proc.wait(30) == 2
    assert "refused: wrong baseCode or secret" in wrong.stderr()
    unknown = stack.subscriber("NOSUCH", "whatever")
    assert unknown.proc.wait(30) == 2
    assert "refused: wrong baseCode or secret" in unknown.stderr(), "the same answer: no list of who exists"

    a = stack.subscriber("SUBA", SECRETS["SUBA_SECRET"])
    b = stack.subscriber("SUBB", SECRETS["SUBB_SECRET"])
    a.wait_subscribed()
    b.wait_subscribed()
    poll(lambda: all(s["online"] for s in stack.get_json("/subscribers")), 30, "both subscribers online")

    lines = "\n".join(
        json.dumps(json.loads(p.read_text(encoding="utf-8")), ensure_ascii=False) for p in EXAMPLES
    )
    stack.cli("send", "-", input=lines)
    stack.cli("send", "--raw", "-", input="this is not json {\n")
    stack.cli("send", "-", input=json.dumps(follow_up("900001", "fwwt", "671024")))
    stack.cli("send", "-", input=json.dumps(follow_up("900002", "10008", "1")))

    expected = [
        *expected_for_a(),
        {
            "baseCode": "",
            "dataArea": "fwwt",
            "changeId": "2",
            "data": follow_up("900001", "fwwt", "671024")["data"],
        },
    ]
    got = a.wait_count(len(expected))
    b_got = b.wait_count(1)

    def sort_key(env: dict[str, Any]) -> str:
        return json.dumps(env, sort_keys=True, ensure_ascii=False)

    for received, want in zip(
        sorted(got, key=lambda e: sort_key({**e, "data": json.loads(e["data"])})),
        sorted(expected, key=sort_key),
        strict=True,
    ):
        assert_envelope(received, want)
    assert len(b_got) == 1, "B receives only its own data area"
    assert_envelope(
        b_got[0],
        {
            "baseCode": "",
            "dataArea": "10008",
            "changeId": "2",
            "data": follow_up("900002", "10008", "1")["data"],
        },
    )

    errors = stack.get_json("/errors")
    assert len(errors["quarantine"]) == 1 and errors["config"] == []
    quarantined = read_topic(stack.kafka, stack.settings.quarantine_topic, 1)
    assert quarantined[0].value == b"this is not json {"
    reason = dict(quarantined[0].headers)["reason"].decode()
    assert "not valid JSON" in reason or "not JSON" in reason, reason
    assert errors["quarantine"][0]["reason"] == reason, "the operator sees the same reason on /errors"
    assert len(a.lines()) == len(expected), "nothing more arrives at A"

    # what an operator sees: counts on /metrics and the page, drift per changeId, and never a secret hash
    metrics = stack.get_text("/metrics")
    assert f'wostream_delivered_total{{base_code="SUBA"}} {float(len(expected))}' in metrics.splitlines()
    assert "wostream_quarantined_total 1.0" in metrics.splitlines()
    drift = stack.get_json("/drift")
    assert drift["1"]["unknown"]["orderKey"] == 2, "changeId 1's examples carry orderKey, not in the table"
    # a subscriber's state comes from the status board, refreshed every second (`unknown` before its first
    # pass, as the board saw it then after): the page an operator reloads shows it within a few seconds
    poll(lambda: ">online<" in stack.get_text("/"), 30, "the page to show a subscriber online")
    page = stack.get_text("/")
    assert "SUBA" in page and "Subscriber B" in page and ">online<" in page
    assert not any("pbkdf2" in stack.get_text(p) for p in ("/", "/subscribers", "/metrics", "/drift"))
