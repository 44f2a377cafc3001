"""The operator page renders every subscriber's figures and trends, and escapes what it shows."""

from __future__ import annotations

from collections import deque
from typing import Any

from wostream.worker.web.board import Sample
from wostream.worker.web.page import page, sparkline, trends


def view(code: str, **more: Any) -> dict[str, Any]:
    row = {
        "baseCode": code,
        "name": "XX系统 <b>",
        "state": "online",
        "backlog": 3,
        "oldestWaitingSeconds": 75.0,
        "donePerMinute": 12.0,
        "dead": 1,
        "retrying": 0,
        "lastError": "refused by subscriber: <script>",
        "delivered": 40,
        "latencyP99Ms": 4.2,
    }
    row.update(more)
    return row


META = {
    "status": "ready",
    "polled_at": 1_800_000_000.0,
    "quarantined": 2,
    "config_errors": 0,
    "unsupported": 1,
}


def test_trends_are_rates_between_samples_and_backlog_per_sample() -> None:
    samples = deque([Sample(0.0, 10, 5), Sample(60.0, 70, 2), Sample(120.0, 70, 0)])
    assert trends(samples) == ([60.0, 0.0], [5.0, 2.0, 0.0])


def test_a_sparkline_draws_the_values_or_nothing() -> None:
    assert "<polyline" in sparkline([1.0, 3.0, 2.0], "#000")
    assert "<polyline" not in sparkline([1.0], "#000")


def test_the_page_shows_each_subscriber_and_escapes_what_it_shows() -> None:
    history = {"A": deque([Sample(0.0, 0, 1), Sample(5.0, 5, 3), Sample(10.0, 9, 2)])}
    html = page([view("A"), view("B", state="offline", backlog=7, oldestWaitingSeconds=None)], history, META)
    assert '<tr data-base-code="A">' in html and '<tr data-base-code="B">' in html
    assert '<td class="backlog">3</td>' in html and '<td class="backlog">7</td>' in html
    assert "XX系统 &lt;b&gt;" in html and "<script>" not in html
    assert '<span class="badge online">online</span> 1' in html and "75 s" in html
    assert html.count("<polyline") == 2, "A has a trend; B has no history yet"
