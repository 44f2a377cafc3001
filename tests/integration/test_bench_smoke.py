"""The benchmark suite at smoke sizes, so it cannot rot: every benchmark runs against a real stack, prints its
lines, and reports both sides with figures a run can produce. The figures themselves mean nothing here (tiny
sizes, one repeat, a busy machine): BENCHMARKS.md has the real ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workshop.access import Access
from workshop.bench.suite import SMOKE, run_all


@pytest.mark.timeout(900)
def test_every_benchmark_runs_at_smoke_size_and_reports_both_sides(
    kafka_access: Access, tmp_path: Path
) -> None:
    said: list[str] = []
    report = run_all(SMOKE, tmp_path, said.append, kafka=kafka_access)

    keys = [c.key for c in report.comparisons]
    assert keys == [
        "P1",
        "P1-off",
        "P1-uvloop",
        "P1-1000",
        "P1-1000-rate",
        "P2",
        "P2-batch",
        "P3",
        "P4",
        "P4-dup",
        "P4-lost",
        "P5",
        "P5-time",
        "P5-router",
        "P5-worker",
    ]
    for c in report.comparisons:
        noisy = ("P4-dup", "P4-lost", "P5-router", "P5-worker")  # may be 0, or below it from noise
        assert all(v > 0 for v in c.ours.values) or c.key in noisy, c.lines()
        if c.baseline is not None:
            assert all(v > 0 for v in c.baseline.values), c.lines()
    lost = next(c for c in report.comparisons if c.key == "P4-lost")
    assert lost.ours.values == (0.0,), "a worker crash lost or reordered events"
    p5 = next(c for c in report.comparisons if c.key == "P5")
    assert p5.ours.values == (float(SMOKE.subscribers),), "every subscriber received the event"
    prefixes = (
        "P1 repeat 1/1 base",
        "P2 repeat 1/1",
        "P3 repeat 1/1",
        "P3 sweep",
        "P4 repeat 1/1",
        "P5 repeat 1/1",
    )
    for prefix in prefixes:
        assert any(line.startswith(prefix) for line in said), (prefix, said)

    saved = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert [c["key"] for c in saved["comparisons"]] == keys
    assert saved["P3"]["latencies_ms"] and saved["P3"]["sweep"][0]["rate"] == SMOKE.sweep[0]
    assert saved["P3"]["sweep_batch"][0]["rate"] == SMOKE.sweep[0]
    for png in ("throughput.png", "latency-histogram.png", "latency-sweep.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
