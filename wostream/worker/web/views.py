"""What the web port answers, as plain data from the worker's live state (the server only serialises it)."""

from __future__ import annotations

import time
from typing import Any, Protocol

from wostream.core.directory import Directory
from wostream.core.drift import Drift
from wostream.worker.lag import LoopLag
from wostream.worker.stats import Stats
from wostream.worker.web.board import StatusBoard
from wostream.worker.web.page import page


class Observed(Protocol):
    """The parts of a worker the pages read (the worker's `Node`)."""

    directory: Directory
    stats: Stats
    drift: Drift
    lag: LoopLag
    board: StatusBoard

    def is_ready(self) -> bool: ...

    def problems(self) -> list[str]: ...


def subscribers(node: Observed) -> list[dict[str, Any]]:
    """Every subscriber: its cluster-wide figures (from Kafka, the same on every worker) and, as extra detail,
    this worker's own counters (`delivered`, `failures`, `latencyP99Ms`: the pushes this worker made)."""
    out = []
    board = node.board.statuses
    for base_code, sub in sorted(node.directory.subscriptions.items()):
        s = node.stats.by_subscriber[base_code]
        p99 = s.percentile(0.99)
        status = board.get(base_code)
        out.append(
            {
                "baseCode": base_code,
                "name": sub.name,
                "enabled": sub.enabled,
                "paused": sub.paused,
                "online": node.directory.online(base_code),
                "state": status.state if status else "unknown",
                "backlog": status.backlog if status else None,
                "oldestWaitingSeconds": None
                if not status or status.oldest_waiting_s is None
                else round(status.oldest_waiting_s, 1),
                "donePerMinute": None
                if not status or status.per_minute is None
                else round(status.per_minute, 1),
                "dead": status.dead if status else s.dead,
                "retrying": status.retrying if status else s.retrying,
                "lastError": s.last_error or (status.last_error if status else None),
                "lastDeliveredEventId": status.last_event_id if status else None,
                "lastErrorAt": _iso(s.last_error_at),
                "delivered": s.delivered,
                "failures": s.failures,
                "lastDeliveryAt": _iso(s.last_delivery_at),
                "latencyP99Ms": None if p99 is None else round(p99 * 1000, 1),
            }
        )
    return out


def index(node: Observed) -> str:
    meta = {
        "status": "ready" if node.is_ready() else "starting",
        "polled_at": node.board.polled_at,
        "quarantined": node.stats.quarantined,
        "config_errors": len(node.directory.errors),
        "unsupported": node.stats.unsupported,
    }
    return page(subscribers(node), dict(node.board.history), meta)


def errors(node: Observed) -> dict[str, Any]:
    return {"quarantine": list(node.stats.recent_quarantine), "config": list(reversed(node.directory.errors))}


def health(node: Observed) -> tuple[dict[str, Any], int]:
    problems = node.problems()
    return {"ready": not problems, "problems": problems}, 503 if problems else 200


def _iso(ts: float | None) -> str | None:
    return None if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
