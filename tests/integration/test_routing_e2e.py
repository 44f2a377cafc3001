"""Scope, id enrichment and masking end to end, through real Kafka, worker, router and subscriber."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workshop.local import LocalStack
from workshop.paths import EXAMPLES
from workshop.workload import poll

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

SUBSCRIPTIONS = """
subscribers:
  - baseCode: SCOPED
    secret: ${SCOPED_SECRET}
    dataAreas: [fwwt]
    changeIds: ["*"]
    scope: {organIds: [], communityIds: ["139912543382896"]}
    mask: [contactTel, "currentUser[].userTel", houseInfo]
"""

IDMAPS = """baseCode,kind,id,eId
SCOPED,community,139912543382896,THEIR-COMMUNITY
SCOPED,house,408325,THEIR-HOUSE
SCOPED,customer,110640113,THEIR-CUSTOMER
SCOPED,employee,94781,THEIR-EMPLOYEE
"""


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return loaded


def test_scope_enrichment_and_masking(stack: LocalStack, tmp_path: Path) -> None:
    stack.start_router()
    stack.start_worker()
    stack.wait_ready()
    (tmp_path / "subs.yaml").write_text(SUBSCRIPTIONS, encoding="utf-8")
    (tmp_path / "ids.csv").write_text(IDMAPS, encoding="utf-8")
    stack.cli("subscriptions", "apply", str(tmp_path / "subs.yaml"), env={"SCOPED_SECRET": "s3"})
    applied = stack.cli("idmap", "apply", str(tmp_path / "ids.csv"))
    assert "4 id mappings applied" in applied.stdout
    sub = stack.subscriber("SCOPED", "s3")
    sub.wait_subscribed()
    poll(lambda: stack.get_json("/subscribers")[0]["online"], 30, "SCOPED online")

    created = example("changeId-1-a.json")  # community 139912543382896: in scope
    outside = json.loads(json.dumps(created))
    outside["data"]["serviceOrderId"] = "777"
    outside["data"]["communityId"] = "1"  # another community, same organisation: out of scope
    dispatched = example("changeId-5.json")
    dispatched["data"]["currentUser"][0]["userTel"] = "13900000000"  # masked for this subscriber
    stack.cli(
        "send",
        "-",
        input="\n".join(json.dumps(e, ensure_ascii=False) for e in (created, outside, dispatched)),
    )

    got = sub.wait_count(2)
    by_kind = {m["changeId"]: json.loads(m["data"]) for m in got}
    assert set(by_kind) == {"1", "5"}

    body1 = by_kind["1"]
    assert body1["eCommunityId"] == "THEIR-COMMUNITY"
    assert body1["eHouseId"] == "THEIR-HOUSE"
    assert body1["eUserId"] == "THEIR-CUSTOMER"  # userid 110640113 with usertype 1: a customer id
    assert body1["transportEuserId"] == "THEIR-EMPLOYEE"
    assert "contactTel" not in body1 and "houseInfo" not in body1
    assert body1["contactname"] == created["data"]["contactname"], "other fields travel as received"

    body5 = by_kind["5"]
    assert [u["eUserId"] for u in body5["currentUser"]] == ["THEIR-EMPLOYEE"]
    assert [sorted(u) for u in body5["currentUser"]] == [["eUserId", "userId", "userName", "userType"]]
    expected_keys = [k for k in dispatched["data"] if k != "houseInfo"]
    assert list(body5)[: len(expected_keys)] == expected_keys, "the producer's key order is kept"

    # the out-of-scope ticket never arrives: a later in-scope event does, and is the third and last
    follow = json.loads(json.dumps(dispatched))
    follow["data"]["serviceOrderId"] = "778"
    stack.cli("send", "-", input=json.dumps(follow, ensure_ascii=False))
    got = sub.wait_count(3)
    assert [json.loads(m["data"])["serviceOrderId"] for m in got].count("777") == 0
    assert len(got) == 3
