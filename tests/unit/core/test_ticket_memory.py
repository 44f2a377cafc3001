"""Ticket memory: what an event lacks comes from its ticket, its own fields win, and unknown tickets route as
without memory."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wostream.core.catalogue import (
    CATALOGUE_FILE,
    change_ids,
    enrichment_rules,
    parse_catalogue,
    ticket_rules,
)
from wostream.core.intake import ParsedEvent, parse_raw
from wostream.core.models import WILDCARD, IdKind, IdMaps, RouteResult, Subscription, Ticket
from wostream.core.routing import Memory, SubscriptionIndex, route
from wostream.core.ticket_memory import fill, recall, remember, ticket_ids

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
        self,
        data: bytes,
        index: SubscriptionIndex,
        now: float = 100.0,
        key: bytes | None = None,
        idmaps: IdMaps | None = None,
    ) -> RouteResult:
        maps = IdMaps() if idmaps is None else idmaps
        result = route(data, key, index, maps, memory=Memory(self.tickets.get, now, ttl=30 * DAY))
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


# --- required e…Ids of the ticket (issue 21) -----------------------------------------------------------


def community_maps(code: str = "COM") -> IdMaps:
    idmaps = IdMaps()
    idmaps.put(code, IdKind.COMMUNITY, "660", f"{code}-660")
    idmaps.put(code, IdKind.COMMUNITY, "661", f"{code}-661")
    return idmaps


def data_of(result: RouteResult) -> dict[str, Any]:
    (copy,) = result.copies
    body: dict[str, Any] = json.loads(json.loads(copy.envelope)["data"])
    return body


def test_the_tables_say_which_e_ids_each_kind_requires_and_the_ticket_keeps_their_sources() -> None:
    required = {c: [r.target for r in ticket_rules(c)] for c in change_ids()}
    assert required == {c: ["eCommunityId"] if c in {"1", "6", "7", "9", "10"} else [] for c in change_ids()}
    remembered = ticket_ids(fill(parsed(raw("2")), Ticket("fwwt", "671024", "660")))
    assert remembered == {"organId": "671024", "communityId": "660"}
    assert {r.source for r in enrichment_rules() if r.ticket} <= set(remembered)


@pytest.mark.parametrize("kind", ["6", "7", "9", "10"])
def test_a_required_e_id_is_filled_from_the_ticket_when_the_body_lacks_its_source(kind: str) -> None:
    store, index = Store(), SubscriptionIndex([COMMUNITY])
    store.route(raw("1", organId="671024", communityId="660"), index, idmaps=community_maps())
    body = data_of(store.route(raw(kind, organId="671024", trackId="t"), index, idmaps=community_maps()))
    assert body == {"serviceOrderId": "T1", "organId": "671024", "trackId": "t", "eCommunityId": "COM-660"}


@pytest.mark.parametrize("community", ["", " ", None])
def test_an_unusable_source_in_the_body_counts_as_lacking_it(community: str | None) -> None:
    store, index = Store(), SubscriptionIndex([COMMUNITY])
    store.route(raw("1", organId="671024", communityId="660"), index, idmaps=community_maps())
    event = json.dumps(
        {"changeId": "7", "dataArea": "fwwt", "data": {"serviceOrderId": "T1", "communityId": community}}
    )
    body = data_of(store.route(event.encode(), index, idmaps=community_maps()))
    assert body == {"serviceOrderId": "T1", "communityId": community, "eCommunityId": "COM-660"}


def test_the_bodys_own_community_wins_and_the_target_keeps_its_spelling() -> None:
    store, index = Store(), SubscriptionIndex([sub("ORG", organ_ids=frozenset({"671024"}))])
    store.route(raw("1", organId="671024", communityId="660"), index, idmaps=community_maps("ORG"))
    own = data_of(
        store.route(raw("9", organId="671024", communityId="661"), index, idmaps=community_maps("ORG"))
    )
    assert own["eCommunityId"] == "ORG-661"
    spelled = data_of(
        store.route(raw("9", organId="671024", ecommunityid="x"), index, idmaps=community_maps("ORG"))
    )
    # the ticket remembers the latest community it was seen with: 661 now
    assert spelled == {"serviceOrderId": "T1", "organId": "671024", "ecommunityid": "ORG-661"}


@pytest.mark.parametrize("kind", ["2", "3", "4", "5"])
def test_a_kind_whose_table_does_not_require_it_gets_nothing_from_the_ticket(kind: str) -> None:
    store, index = Store(), SubscriptionIndex([COMMUNITY])
    store.route(raw("1", organId="671024", communityId="660"), index, idmaps=community_maps())
    assert data_of(store.route(raw(kind, organId="671024"), index, idmaps=community_maps())) == {
        "serviceOrderId": "T1",
        "organId": "671024",
    }


def test_without_a_mapping_or_a_remembered_community_the_target_stays_as_received() -> None:
    store, index = Store(), SubscriptionIndex([ORGAN])
    assert data_of(store.route(raw("6", organId="671024"), index, idmaps=community_maps("ORG"))) == {
        "serviceOrderId": "T1",
        "organId": "671024",
    }
    store.route(raw("1", organId="671024", communityId="999"), index, idmaps=community_maps("ORG"))
    assert "eCommunityId" not in data_of(
        store.route(raw("6", organId="671024"), index, idmaps=community_maps("ORG"))
    )


def test_a_rule_of_the_tickets_id_inside_an_entry_is_refused_when_the_tables_load() -> None:
    text = (CATALOGUE_FILE.read_text(encoding="utf-8")).replace(
        "{within: supUser, source: userId,", "{within: supUser, ticket: true, source: userId,"
    )
    with pytest.raises(ValueError, match="eUserId: a ticket's own id is not within an entry"):
        parse_catalogue(text)
