"""What a subscriber saw, checked against what it should have seen: lost, duplicated, reordered, latency.

Lines are those of a `--show-context` reference subscriber; an event is known by its `eventId` context entry
and ordered within its ticket by the `seq` field the workload puts in its body.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Tally:
    """What a subscriber saw of a stream: by event id, with order checked per ticket."""

    expected: int
    received: int
    distinct: int
    lost: int
    duplicates: int
    reordered: int

    def __str__(self) -> str:
        return (
            f"expected {self.expected}, received {self.received}, distinct {self.distinct}, "
            f"lost {self.lost}, duplicates {self.duplicates}, reordered {self.reordered}"
        )


def tally(lines: list[dict[str, Any]], events: list[dict[str, Any]]) -> Tally:
    """Lines from a --show-context subscriber; order = first arrival of each event id, per ticket."""
    accepted = [line for line in lines if not line.get("refused")]
    seen: dict[str, list[int]] = {}
    ids: set[str] = set()
    for line in accepted:
        event_id = line["context"]["eventId"]
        if event_id in ids:
            continue
        ids.add(event_id)
        body = json.loads(line["message"]["data"])
        seen.setdefault(body["serviceOrderId"], []).append(int(body["seq"]))
    want = {e["eventId"] for e in events}
    reordered = sum(1 for seqs in seen.values() for a, b in itertools.pairwise(seqs) if b < a)
    return Tally(
        len(want), len(accepted), len(ids & want), len(want - ids), len(accepted) - len(ids), reordered
    )


def latencies(lines: list[dict[str, Any]]) -> list[float]:
    """Seconds from send to first receipt, per event id (accepted calls only)."""
    first: dict[str, float] = {}
    for line in lines:
        if line.get("refused"):
            continue
        body = json.loads(line["message"]["data"])
        first.setdefault(line["context"]["eventId"], line["receivedAt"] - float(body["sentAt"]))
    return sorted(first.values())


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]
