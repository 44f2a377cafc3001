"""`wostream-dev bench codecs`: which JSON parser routing should use, measured, and what each keeps.

The contract forwards a body as the producer sent it (docs/contract.md): a key given twice keeps both, `1.00`
stays `1.00`, a 30-digit id stays exact, a lone surrogate escape survives. Each candidate parser is first
checked on those cases; then every one that keeps them is timed on the P1 corpus, alone and inside the pure
routing function (the same code, with the parser swapped in for the run: intake and the key reader call
`jsontext.loads` through their module globals), alternated in rounds so a noisy moment hits all alike.
orjson is timed for reference even though it fails the checks.
"""

from __future__ import annotations

import decimal
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import simplejson

import wostream.core.intake as intake
import wostream.core.keys as keys
from workshop.bench.throughput import corpus, subscriptions
from wostream.core.jsontext import loads as current
from wostream.core.jsontext import object_of
from wostream.core.models import IdMaps, Ticket
from wostream.core.routing import Memory, SubscriptionIndex, route

Parser = Callable[[str], Any]

# (name, JSON text, what a faithful parser gives back when written again by simplejson as routing writes)
CASES = (
    ("a key given twice", '{"a":"1","a":"2"}', '{"a":"1","a":"2"}'),
    ("decimals as written", '{"x":1.00,"y":1e400}', '{"x":1.00,"y":1E+400}'),
    ("a 30-digit id", '{"id":123456789012345678901234567890}', '{"id":123456789012345678901234567890}'),
    ("a lone surrogate", '{"s":"\\udc80"}', '{"s":"\\udc80"}'),
)


def stdlib(text: str) -> Any:
    return json.loads(text, parse_float=decimal.Decimal, object_pairs_hook=object_of)


def candidates() -> dict[str, Parser]:
    found: dict[str, Parser] = {"simplejson (today)": current, "json (stdlib, Decimal)": stdlib}
    try:
        import orjson

        found["orjson"] = orjson.loads
    except ImportError:  # not a dependency: timed only where installed
        pass
    return found


def faithful(parse: Parser) -> list[str]:
    """The cases `parse` gets wrong."""
    wrong = []
    for name, text, want in CASES:
        try:
            again = simplejson.dumps(parse(text), use_decimal=True, separators=(",", ":"))
        except (TypeError, ValueError):
            again = "<error>"
        if again != want:
            wrong.append(name)
    return wrong


def _route_all(records: list[tuple[bytes | None, bytes]], index: SubscriptionIndex) -> float:
    tickets: dict[str, Ticket] = {}
    maps = IdMaps()
    started = time.perf_counter()
    for key, raw in records:
        result = route(raw, key, index, maps, memory=Memory(tickets.get, time.time()))
        if result.ticket is not None and result.ticket_id is not None:
            tickets[result.ticket_id] = result.ticket
    return (time.perf_counter() - started) / len(records) * 1e6


def _parse_all(texts: list[str], parse: Parser) -> float:
    started = time.perf_counter()
    for text in texts:
        parse(text)
    return (time.perf_counter() - started) / len(texts) * 1e6


def _use(parse: Parser) -> None:
    """Swap the parser intake and the key reader call (they look `loads` up in their module globals)."""
    for module in (intake, keys):
        module.__dict__["loads"] = parse


def run(events: int, rounds: int, say: Callable[[str], None]) -> dict[str, dict[str, float]]:
    records = corpus(events)
    texts = [raw.decode() for _, raw in records]
    index = SubscriptionIndex(subscriptions(10))
    parsers = candidates()
    figures: dict[str, dict[str, list[float]]] = {n: {"parse": [], "route": []} for n in parsers}
    for name, parse in parsers.items():
        wrong = faithful(parse)
        say(f"{name}: {'keeps every case' if not wrong else 'loses: ' + ', '.join(wrong)}")
    try:
        for _ in range(rounds):
            for name, parse in parsers.items():
                figures[name]["parse"].append(_parse_all(texts, parse))
                if faithful(parse):
                    continue  # routing with a parser that loses data is not an option
                _use(parse)
                figures[name]["route"].append(_route_all(records, index))
    finally:
        _use(current)
    medians = {n: {k: statistics.median(v) for k, v in f.items() if v} for n, f in figures.items()}
    for name, found in medians.items():
        shown = ", ".join(f"{k} {v:.1f} µs/event" for k, v in found.items())
        say(f"{name}: {shown} (median of {rounds} rounds, {len(records):,} events)")
    return medians
