"""`wostream-dev bench all`: P1–P5 in one run, on one broker of its own, each beside its same-run baseline.

Every benchmark starts fresh stacks (own topics and groups) on the suite's broker; the report is printed as
it goes, then saved (`report.json`) with the plots (`plots.py`) in the output folder. `smoke` sizes make
each benchmark run in seconds so that CI keeps them from rotting; their figures mean nothing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from workshop.access import Access
from workshop.bench.figures import Report
from workshop.bench.harness import own_kafka

BENCHMARKS = ("P1", "P2", "P3", "P4", "P5")


@dataclass(frozen=True)
class Sizes:
    """How much work each benchmark does (the issue's sizes by default)."""

    routing_events: int = 50_000
    delivery_events: int = 20_000
    latency_seconds: float = 60.0
    sweep: tuple[float, ...] = (100.0, 200.0, 400.0, 600.0, 800.0)
    crash_rate: float = 500.0
    crash_seconds: float = 45.0
    repeats: int = 3
    subscribers: int = 1000


SMOKE = Sizes(600, 400, 3.0, (100.0,), 100.0, 9.0, 1, 20)


def run_all(
    sizes: Sizes,
    out: Path,
    say: Callable[[str], None],
    only: tuple[str, ...] = BENCHMARKS,
    kafka: Access | None = None,
) -> Report:
    """Run the chosen benchmarks; the report is saved and plotted in `out` whatever the verdicts."""
    from workshop.bench.crash import bench_p4
    from workshop.bench.delivery import bench_p2
    from workshop.bench.latency import bench_p3
    from workshop.bench.plots import plot
    from workshop.bench.sessions import bench_p5
    from workshop.bench.throughput import bench_p1

    out.mkdir(parents=True, exist_ok=True)
    report = Report()
    work = Path(tempfile.mkdtemp(prefix="wostream-bench-"))
    with own_kafka(work, kafka) as broker:
        if "P1" in only:
            report.comparisons += bench_p1(broker, work, sizes.routing_events, sizes.repeats, say)
        if "P2" in only:
            report.comparisons += bench_p2(broker, work, sizes.delivery_events, sizes.repeats, say)
        if "P3" in only:
            targets, figures = bench_p3(
                broker, work, sizes.latency_seconds, sizes.repeats, list(sizes.sweep), say
            )
            report.comparisons += targets
            report.figures["P3"] = figures
        if "P4" in only:
            report.comparisons += bench_p4(
                broker, work, sizes.crash_rate, sizes.crash_seconds, sizes.repeats, say
            )
        if "P5" in only:
            report.comparisons += bench_p5(broker, work, sizes.subscribers, sizes.repeats, say)
    report.save(out / "report.json")
    plot(report, out)
    return report


def sized(smoke: bool, repeats: int | None) -> Sizes:
    base = SMOKE if smoke else Sizes()
    return base if repeats is None else replace(base, repeats=repeats)
