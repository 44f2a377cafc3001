"""Ticket memory: what routing knows of a ticket from its earlier events.

Later events of a ticket often lack what routing needs (docs/events.md: kinds 2, 3 and 4 carry `organId` but
no `communityId`, kind 4 no data area), yet those belong to the ticket and its first events carried them.
Each ticket keeps its data area, organisation and community; an event's own fields always win, and only what
it lacks is filled in from memory: for routing, and for the `e…Id`s the kind's table requires of the ticket's
own ids (`ticket_ids`); the body is otherwise forwarded as received. A ticket that ended is forgotten `ttl`
seconds later; an event arriving after that is routed as for an unknown ticket.
"""

from __future__ import annotations

from dataclasses import replace

from wostream.core.catalogue import routing_fields
from wostream.core.intake import ParsedEvent
from wostream.core.models import Ticket

ENDED = "3"  # changeId of "ticket ended"


def recall(ticket: Ticket | None, now: float, ttl: float) -> Ticket | None:
    """The ticket as routing may use it: forgotten `ttl` seconds after it ended."""
    if ticket is None or (ticket.ended_at is not None and now - ticket.ended_at > ttl):
        return None
    return ticket


def fill(event: ParsedEvent, ticket: Ticket | None) -> ParsedEvent:
    """The event with the routing keys it lacks taken from its ticket; its own always win."""
    if ticket is None:
        return event
    return replace(
        event,
        data_area=event.data_area or ticket.data_area,
        organ_id=event.organ_id or ticket.organ_id,
        community_id=event.community_id or ticket.community_id,
    )


def ticket_ids(event: ParsedEvent) -> dict[str, str]:
    """The ids of the ticket itself routing used for `event` (its own, else its ticket's: `fill`), by the body
    field that carries them. Enrichment fills a required `e…Id` from them when the body lacks the field
    (rules marked `ticket` in events.yaml), so it names the same community the scope was decided by."""
    reads = routing_fields()
    ids = {reads.organ: event.organ_id, reads.community: event.community_id}
    return {name: value for name, value in ids.items() if value is not None}


def remember(ticket: Ticket | None, event: ParsedEvent, now: float) -> Ticket:
    """The ticket after this event: the latest value of each routing key the ticket has been seen with.

    Nothing else (no counter, no "last seen"), so most events leave it equal to what it was and the worker
    stores a ticket only when one of these changes: a couple of writes per ticket, not one per event."""
    known = ticket or Ticket()
    return Ticket(
        data_area=event.data_area or known.data_area,
        organ_id=event.organ_id or known.organ_id,
        community_id=event.community_id or known.community_id,
        ended_at=known.ended_at if known.ended_at is not None or event.change_id != ENDED else now,
    )
