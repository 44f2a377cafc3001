"""Ticket memory: what an event lacks comes from its ticket, its own fields win, and unknown tickets route as
without memory."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wostream.core.intake import ParsedEvent, parse_raw
from wostream.core.models import WILDCARD, IdMaps, RouteResult, Subscription, Ticket
from wostream.core.routing import Memory, SubscriptionIndex, route
from wostream.core.tickets import fill, recall, remember

DAY = 86400.0


def sub(code: str, **scope: Any) -> Subscription:
    return Subscription(code, code, "h", frozenset({WILDCARD}), frozenset({WILDCARD}), **scope)


COMMUNITY = sub("COM", community_ids=frozenset({"660"}))
ORGAN = sub("ORG", organ_ids=frozenset({"671024"}))


def raw(change_id: str, ticket: str = "T1", area: str | None = "fwwt", **body: str) -> bytes:
    event: dict[str, Any] = {"changeId": change_id, "data": {"serviceOrderId": ticket, **body}}
    if area is not None:
        event["dataArea"] = area
    return json.dumps(event).encode()


def parsed(data: bytes) -> ParsedEvent:
    event = parse_raw(data)
    assert isinstance(event, ParsedEvent)
    return event


class Store:
    """What the worker's table does, in a dict."""

    def __init__(self) -> None:
        self.tickets: dict[str, Ticket] = {}

    def route(
        self, data: bytes, index: SubscriptionIndex, now: float = 100.0, key: bytes | None = None
    ) -> RouteResult:
        result = route(data, key, index, IdMaps(), memory=Memory(self.tickets.get, now, ttl=30 * DAY))
        if result.ticket is not None and result.ticket_id is not None:
            self.tickets[result.ticket_id] = result.ticket
        return result


def codes(result: RouteResult) -> list[str]:
    return [c.base_code for c in result.copies]


def test_a_community_scoped_subscriber_gets_the_later_events_that_lack_the_community() -> None:
    store, index = Store(), SubscriptionIndex([COMMUNITY, ORGAN])
    assert codes(store.route(raw("1", organId="671024", communityId="660"), index)) == ["COM", "ORG"]
    for kind in ("2", "3"):  # step handled, ended: organId only
        assert codes(store.route(raw(kind, organId="671024"), index)) == ["COM", "ORG"]
    evaluation = store.route(raw("4", area=None, evalue="5"), index)  # no data area, no scope ids at all
    assert codes(evaluation) == ["COM", "ORG"] and evaluation.quarantine == ()


def test_filling_routing_keys_adds_nothing_to_the_body() -> None:
    store, index = Store(), SubscriptionIndex([COMMUNITY])
    store.route(raw("1", organId="671024", communityId="660"), index)
    (copy,) = store.route(raw("4", area=None, evalue="5"), index).copies
    envelope = json.loads(copy.envelope)
    assert envelope["dataArea"] == "fwwt"
    assert json.loads(envelope["data"]) == {"serviceOrderId": "T1", "evalue": "5"}


def test_an_events_own_fields_win_over_memory() -> None:
    ticket = Ticket("fwwt", "671024", "660")
    event = fill(parsed(raw("2", area="other", organId="9", communityId="7")), ticket)
    assert (event.data_area, event.organ_id, event.community_id) == ("other", "9", "7")
    partial = fill(parsed(raw("2", area=None, organId="9")), ticket)
    assert (partial.data_area, partial.organ_id, partial.community_id) == ("fwwt", "9", "660")


def test_an_unknown_ticket_routes_as_without_memory() -> None:
    index = SubscriptionIndex([COMMUNITY, ORGAN])
    for data in (
        raw("2", organId="671024"),
        raw("4", area=None),
        raw("1", organId="671024", communityId="660"),
    ):
        with_memory = Store().route(data, index)
        without = route(data, None, index, IdMaps())
        assert (with_memory.copies, with_memory.quarantine) == (without.copies, without.quarantine)


def test_what_cannot_be_decided_is_quarantined_naming_the_ticket_and_subscribers() -> None:
    result = Store().route(raw("2", ticket="T9", organId="1"), SubscriptionIndex([COMMUNITY, ORGAN]))
    assert result.copies == ()
    assert result.quarantine == (
        "communityId missing from data and unknown for ticket T9: "
        "cannot check the scope of subscriber(s) COM",
    )


def test_memory_remembers_the_latest_values_and_notes_the_end() -> None:
    first = remember(None, parsed(raw("1", organId="1", communityId="2")), 10.0)
    assert first == Ticket("fwwt", "1", "2", ended_at=None)
    moved = remember(first, parsed(raw("9", area=None, communityId="3")), 20.0)
    assert moved == Ticket("fwwt", "1", "3", ended_at=None)
    ended = remember(moved, parsed(raw("3", organId="1")), 30.0)
    assert ended.ended_at == 30.0
    assert remember(ended, parsed(raw("4", area=None)), 40.0).ended_at == 30.0


def test_an_event_that_brings_nothing_new_leaves_the_ticket_equal_so_nothing_is_stored() -> None:
    first = remember(None, parsed(raw("1", organId="1", communityId="2")), 10.0)
    assert remember(first, parsed(raw("2", organId="1")), 20.0) == first
    assert remember(first, parsed(raw("4", area=None)), 30.0) == first


@pytest.mark.parametrize(("age", "kept"), [(29 * DAY, True), (31 * DAY, False)])
def test_an_ended_ticket_is_forgotten_after_the_ttl(age: float, kept: bool) -> None:
    ticket = Ticket("fwwt", "1", "2", ended_at=1000.0)
    assert (recall(ticket, 1000.0 + age, 30 * DAY) is not None) is kept
    assert recall(Ticket("fwwt"), 1e12, 30 * DAY) is not None, "a ticket that never ended is kept"


def test_an_event_read_under_another_key_is_only_marked_for_rekeying() -> None:
    index = SubscriptionIndex([ORGAN])
    for key in (None, b"wrong"):
        result = route(raw("2", organId="671024"), key, index, IdMaps(), rekey=True)
        assert (result.rekey, result.ticket_id, result.copies, result.ticket) == (True, "T1", (), None)
    assert codes(route(raw("2", organId="671024"), b"T1", index, IdMaps(), rekey=True)) == ["ORG"]


@pytest.mark.parametrize("area", ["*", " * "])
def test_an_event_whose_data_area_is_a_star_reaches_a_wildcard_subscriber_once(area: str) -> None:
    index = SubscriptionIndex([sub("W", organ_ids=frozenset({WILDCARD}))])
    assert codes(route(raw("2", area=area, organId="1"), None, index, IdMaps())) == ["W"]
    templated = json.dumps({"changeId": "2", "data": {"serviceOrderId": "T", "templateCode": "*"}}).encode()
    assert codes(route(templated, None, index, IdMaps())) == ["W"]
