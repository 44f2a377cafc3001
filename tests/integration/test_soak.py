"""The soak and the bad-input volume run at CI's size: the same code `wostream-dev soak` runs at 100 000
events and 10 000 bad records (their figures are in BENCHMARKS.md), small enough to run on every change."""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop.access import Access
from workshop.soak.checker import render
from workshop.soak.run import SMOKE, Soak
from workshop.soak.volume import volume_run


@pytest.mark.timeout(900)
def test_a_small_soak_through_overlapping_faults_loses_and_reorders_nothing(tmp_path: Path) -> None:
    soak = Soak(SMOKE, tmp_path, print)
    verdict, figures = soak.run()
    print("\n".join(render(verdict)))
    for code, examples in soak.reorder_examples().items():
        print(f"{code} reordered, the first pairs:", *examples, sep="\n  ")
    print(f"liveness restarts: {figures['liveness_restarts']}")
    assert figures["offered"] > 0.9 * SMOKE.events, figures
    assert len(verdict.reports) >= 5
    for report in verdict.reports:
        assert report.expected > 0, report
        assert report.problems() == [], report
    assert verdict.passed
    assert all(resume.seconds is not None for resume in verdict.resumes), verdict.resumes


@pytest.mark.timeout(900)
def test_generated_bad_records_through_the_real_worker_are_all_quarantined_and_nothing_stalls(
    kafka_access: Access, tmp_path: Path
) -> None:
    result = volume_run(kafka_access, tmp_path, 1_500, 7, print)
    print("\n".join(result.lines()))
    assert result.mixed.offered_bad > 500 and result.mixed.offered_good > 300, result
    assert result.problems() == []
