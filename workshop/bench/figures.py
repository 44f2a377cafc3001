"""What a benchmark reports: each side's repeated figures, min and median, and the ratio of medians.

Machines here are noisy and absolute times move from run to run; a figure is only printed beside the
baseline measured in the same run, and judged by the ratio of medians against the issue's goal.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Side:
    """One side of a comparison: the same measurement repeated."""

    name: str
    values: tuple[float, ...]
    unit: str

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def line(self) -> str:
        shown = ", ".join(_fmt(v) for v in self.values)
        return f"  {self.name}: min {_fmt(self.min)}, median {_fmt(self.median)} {self.unit}  [{shown}]"


@dataclass(frozen=True)
class Comparison:
    """Ours against a baseline; `goal`: the ratio of medians to reach (`at_least`: ours/baseline ≥ goal,
    else ≤ goal, for costs)."""

    key: str
    title: str
    ours: Side
    baseline: Side
    goal: float
    at_least: bool = True
    notes: tuple[str, ...] = ()

    @property
    def ratio(self) -> float:
        return self.ours.median / self.baseline.median if self.baseline.median else float("inf")

    @property
    def met(self) -> bool:
        return self.ratio >= self.goal if self.at_least else self.ratio <= self.goal

    def lines(self) -> list[str]:
        sign = "≥" if self.at_least else "≤"
        verdict = "met" if self.met else "NOT met"
        return [
            f"{self.key} {self.title}",
            self.ours.line(),
            self.baseline.line(),
            f"  ratio of medians {self.ratio:.2f} (goal {sign} {self.goal:g}: {verdict})",
            *(f"  {note}" for note in self.notes),
        ]


@dataclass(frozen=True)
class Target:
    """A figure judged against an absolute goal (a latency), the baseline beside it for reference."""

    key: str
    title: str
    ours: Side
    baseline: Side | None
    goal: float
    at_most: bool = True
    notes: tuple[str, ...] = ()

    @property
    def met(self) -> bool:
        return self.ours.median <= self.goal if self.at_most else self.ours.median >= self.goal

    def lines(self) -> list[str]:
        sign = "≤" if self.at_most else "≥"
        verdict = "met" if self.met else "NOT met"
        base = [self.baseline.line()] if self.baseline is not None else []
        return [
            f"{self.key} {self.title}",
            self.ours.line(),
            *base,
            f"  median {_fmt(self.ours.median)} {self.ours.unit} (goal {sign} {self.goal:g}: {verdict})",
            *(f"  {note}" for note in self.notes),
        ]


@dataclass
class Report:
    """Every comparison and free figure of a suite run, printable and saved as JSON for the plots."""

    comparisons: list[Comparison | Target] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [line for c in self.comparisons for line in c.lines()]

    def save(self, path: Path) -> None:
        data = {
            "comparisons": [
                asdict(c) | {"met": c.met} | ({"ratio": c.ratio} if isinstance(c, Comparison) else {})
                for c in self.comparisons
            ],
            **self.figures,
        }
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
