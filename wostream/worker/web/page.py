"""The operator's page: every subscriber's state and figures, with an hour's trend drawn as inline SVG.

Rendered on the server from the latest poll (no script, no framework): it refreshes itself every 5 s.
"""

from __future__ import annotations

import html
import itertools
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from importlib.resources import files
from typing import Any

from wostream.core.subscriber_status import STATES
from wostream.worker.web.board import Sample

PAGE = (files("wostream.worker.web") / "index.html").read_text(encoding="utf-8")


def sparkline(values: Sequence[float], colour: str, width: int = 140, height: int = 26) -> str:
    """A small line chart of `values` (oldest first) scaled to its own maximum; empty when nothing to draw."""
    if len(values) < 2:
        return f'<svg width="{width}" height="{height}"></svg>'
    top = max(max(values), 1e-9)
    step = width / (len(values) - 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(values)
    )
    return (
        f'<svg width="{width}" height="{height}" role="img"><polyline fill="none" stroke="{colour}" '
        f'stroke-width="1.5" points="{points}"/></svg>'
    )


def trends(samples: Sequence[Sample]) -> tuple[list[float], list[float]]:
    """(done a minute between consecutive samples, backlog at each sample), over the kept history."""
    samples = list(samples)
    rates = [
        max(0, b.done - a.done) * 60.0 / (b.at - a.at) for a, b in itertools.pairwise(samples) if b.at > a.at
    ]
    return rates, [float(s.backlog) for s in samples]


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def row(s: dict[str, Any], samples: Sequence[Sample]) -> str:
    rates, backlog = trends(samples)
    rate = "–" if s["donePerMinute"] is None else f"{s['donePerMinute']:.0f}"
    worker = f"{s['delivered']}, {'–' if s['latencyP99Ms'] is None else str(s['latencyP99Ms']) + ' ms'}"
    cells = [
        ("text", html.escape(s["baseCode"])),
        ("text", html.escape(s["name"])),
        ("text", f'<span class="badge {s["state"]}">{s["state"]}</span>'),
        ("backlog", str(s["backlog"])),
        ("", _age(s["oldestWaitingSeconds"])),
        ("", rate),
        ("", str(s["dead"])),
        ("", str(s["retrying"])),
        ("text", sparkline(rates, "#2e7d32") + sparkline(backlog, "#b7791f")),
        ("text error", html.escape(s["lastError"] or "")),
        ("worker", html.escape(worker)),
    ]
    tds = "".join(f'<td class="{cls}">{content}</td>' for cls, content in cells)
    return f'<tr data-base-code="{html.escape(s["baseCode"])}">{tds}</tr>'


def page(view: list[dict[str, Any]], history: Mapping[str, Sequence[Sample]], meta: dict[str, Any]) -> str:
    counts = Counter(s["state"] for s in view)
    states = "".join(
        f'<span><span class="badge {st}">{st}</span> {counts[st]}</span>' for st in STATES if counts[st]
    )
    polled = meta["polled_at"]
    return PAGE.format(
        status=meta["status"],
        polled="not yet" if polled is None else time.strftime("%H:%M:%S", time.localtime(polled)),
        quarantined=meta["quarantined"],
        config_errors=meta["config_errors"],
        unsupported=meta["unsupported"],
        states=states or "no subscribers",
        rows="".join(row(s, history.get(s["baseCode"], ())) for s in view),
    )
