"""`wostream resync`: push a subscriber the current state of its tickets, rather than a blind replay.

For every ticket the subscriber is entitled to (its data areas, kinds and scope, with the ticket's memory for
what later events lack), and that changed since a time, the latest event of each entitled kind is routed again
for that subscriber alone (its current id maps and masks) and written to its push topic in the ticket's
original order. Delivery then pushes them like any event (order, retries, dead letters), each with `resync=1`
and its original `eventId` in the request context.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from wostream.broker.reading import latest_by_key
from wostream.broker.topics import make_producer
from wostream.config.settings import Settings
from wostream.core.models import Copy, IdMaps, Subscription, Ticket
from wostream.core.routing import Memory, SubscriptionIndex, route
from wostream.records.config import idmap_from_record, subscription_from_record
from wostream.records.headers import RESYNC, push_headers
from wostream.records.tickets import Latest, decode_latest, decode_ticket


class ResyncError(ValueError):
    """Resync cannot start (unknown or disabled subscriber); the message says which."""


@dataclass
class ResyncReport:
    tickets: int = 0  # tickets that changed since the time asked (or asked by id)
    pushed: int = 0  # events written to the push topic
    by_ticket: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        entitled = sum(1 for n in self.by_ticket.values() if n)
        return [f"{self.tickets} tickets looked at, {entitled} entitled, {self.pushed} events to resync"]


async def _subscription(settings: Settings, base_code: str) -> Subscription:
    records = await latest_by_key(settings, settings.subscriptions_topic)
    record = records.get(base_code.encode())
    sub = None if record is None else subscription_from_record(record.key or b"", record.value)
    if sub is None:
        raise ResyncError(f"no subscriber {base_code!r}")
    if not sub.enabled:
        raise ResyncError(f"subscriber {base_code!r} is disabled")
    return sub


async def _idmaps(settings: Settings, base_code: str) -> IdMaps:
    maps = IdMaps()
    prefix = f"{base_code}\x1f".encode()
    for key, record in (await latest_by_key(settings, settings.idmaps_topic)).items():
        if key.startswith(prefix):
            item = idmap_from_record(key, record.value)
            maps.put(item.base_code, item.kind, item.our_id, item.their_id)
    return maps


async def _tickets(settings: Settings, wanted: set[str] | None) -> dict[str, Ticket]:
    found: dict[str, Ticket] = {}
    for key, record in (await latest_by_key(settings, settings.tickets_changelog)).items():
        ticket_id = key.decode("utf-8", "replace")
        ticket = decode_ticket(record.value)
        if ticket is not None and (wanted is None or ticket_id in wanted):
            found[ticket_id] = ticket
    return found


async def _latest(settings: Settings, tickets: Iterable[str], since: float | None) -> dict[str, list[Latest]]:
    """Each chosen ticket's latest events in the order they were routed (their offsets in the ticket's
    partition); with `since`, only tickets with an event routed since then."""
    chosen = set(tickets)
    events: dict[str, list[Latest]] = defaultdict(list)
    for key, record in (await latest_by_key(settings, settings.latest_topic)).items():
        latest = decode_latest(key, record.value, list(record.headers or ()), record.offset)
        if latest is not None and latest.ticket_id in chosen:
            events[latest.ticket_id].append(latest)
    return {
        ticket: sorted(found, key=lambda e: e.offset)
        for ticket, found in events.items()
        if since is None or max(e.at for e in found) >= since
    }


async def resync(
    settings: Settings,
    base_code: str,
    tickets: list[str] | None,
    since: float | None,
    dry_run: bool,
    now: float,
) -> ResyncReport:
    sub = await _subscription(settings, base_code)
    maps = await _idmaps(settings, base_code)
    known = await _tickets(settings, set(tickets) if tickets else None)
    latest = await _latest(settings, known, since)
    if since is not None:
        known = {ticket_id: known[ticket_id] for ticket_id in latest}
    index = SubscriptionIndex([sub])
    memory = Memory(known.get, now, settings.ticket_ttl)
    report = ResyncReport(tickets=len(known))
    producer = make_producer(settings)
    await producer.start()
    try:
        for ticket_id in sorted(known):
            copies: list[Copy] = []
            for event in latest.get(ticket_id, []):
                result = route(event.raw, ticket_id.encode(), index, maps, memory=memory)
                copies += result.copies
            report.by_ticket[ticket_id] = len(copies)
            for copy in copies if not dry_run else ():
                headers = [*push_headers(copy.data_area, copy.change_id, copy.event_id), (RESYNC, b"1")]
                await producer.send(
                    settings.push_topic(base_code), copy.envelope, key=copy.key.encode(), headers=headers
                )
            report.pushed += len(copies)
        await producer.flush()
    finally:
        await producer.stop()
    return report
