"""Resync on demand, and quarantined events routed again once their cause is fixed, end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.integration.test_ticket_memory import BY_TICKET, SECRET, entitled, received, up
from workshop.local import LocalStack
from workshop.workload import poll, produce, step_handled, ticket_lifecycle

# the latest event of each kind of a lifecycle (kinds 6, 5 and 2 come twice; 8 is never pushed), in its order
LATEST = [0, 4, 5, 6, 7, 8, 9, 11, 12]


def test_resync_pushes_the_latest_entitled_event_of_each_kind_in_order(
    stack: LocalStack, tmp_path: Path
) -> None:
    first = up(stack, tmp_path)
    lives = {t: ticket_lifecycle(t) for t in ("9500001", "9500002")}
    elsewhere = ticket_lifecycle("9500003", community="another-community")
    produce(
        stack.kafka,
        stack.settings.raw_topic,
        [e for life in lives.values() for e in life] + elsewhere,
        BY_TICKET,
    )
    for ticket, life in lives.items():

        def delivered(t: str = ticket, life: list[dict[str, Any]] = life) -> bool:
            return received(first, t) == entitled(life)

        poll(delivered, 60, f"{ticket} delivered")
    first.stop()  # the subscriber lost its data: a fresh one asks for the current state

    again = stack.subscriber("COMM", SECRET["COMM_SECRET"], "--show-context")
    again.wait_subscribed()
    out = stack.cli("resync", "COMM")
    assert "3 tickets looked at, 2 entitled, 18 events to resync" in out.stdout, out.stdout
    got = again.wait_count(18)
    for ticket in lives:
        mine = [line for line in got if line["context"]["eventId"].startswith(f"{ticket}-")]
        assert [line["context"]["eventId"] for line in mine] == [f"{ticket}-{n}" for n in LATEST]
        assert all(line["context"]["resync"] == "1" for line in mine)
    assert not any("9500003" in line["context"]["eventId"] for line in got), "an out-of-scope ticket never"

    one = stack.cli("resync", "COMM", "--ticket", "9500002", "--dry-run")
    assert "1 tickets looked at, 1 entitled, 9 events to resync" in one.stdout
    later = stack.cli("resync", "COMM", "--since", "2099-01-01T00:00", "--dry-run")
    assert "0 tickets looked at" in later.stdout


def test_a_quarantined_event_is_routed_again_once_its_ticket_is_known(
    stack: LocalStack, tmp_path: Path
) -> None:
    sub = up(stack, tmp_path)
    handled = step_handled("9600001")  # names its organisation only: COMM's scope cannot be decided
    produce(stack.kafka, stack.settings.raw_topic, [handled], BY_TICKET)
    poll(lambda: stack.get_json("/errors")["quarantine"], 30, "the quarantine on /errors")
    (reason,) = [q["reason"] for q in stack.get_json("/errors")["quarantine"]]
    assert reason == (
        "communityId missing from data and unknown for ticket 9600001: "
        "cannot check the scope of subscriber(s) COMM"
    )
    created = ticket_lifecycle("9600001")[0]  # the cause is fixed: the ticket's creation arrives
    produce(stack.kafka, stack.settings.raw_topic, [created], BY_TICKET)
    poll(lambda: received(sub, "9600001"), 30, "the creating event")
    dry = stack.cli("replay", "--quarantine", "--dry-run")
    assert "1 quarantined events of 1 tickets" in dry.stdout
    stack.cli("replay", "--quarantine")
    poll(
        lambda: len([x for x in sub.lines() if x["message"]["changeId"] == "2"]) == 1,
        30,
        "the replayed event",
    )
    assert "0 quarantined events" in stack.cli("replay", "--quarantine").stdout, (
        "replay remembers how far it got"
    )
