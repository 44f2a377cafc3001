"""The pictures of a suite run: P3's latency histogram and rate sweep, P1/P2 throughput against baselines.

matplotlib with the Agg backend (no display here); PNG files beside `report.json`.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from workshop.bench.figures import Comparison, Report


def plot(report: Report, out: Path) -> list[Path]:
    made = [_throughput(report, out)]
    latency = report.figures.get("P3")
    if latency:
        made += [_histogram(latency["latencies_ms"], out), _sweep(latency, out)]
    return [p for p in made if p is not None]


def _throughput(report: Report, out: Path) -> Path | None:
    """One pair of bars (median, with the min as a tick) per comparison measured in events/s."""
    pairs = [c for c in report.comparisons if isinstance(c, Comparison) and c.ours.unit == "events/s"]
    if not pairs:
        return None
    fig, ax = plt.subplots(figsize=(9, 0.9 + 0.8 * len(pairs)))
    for n, c in enumerate(pairs):
        y = len(pairs) - n
        ax.barh(y + 0.18, c.ours.median, height=0.34, color="#2b6cb0")
        ax.barh(y - 0.18, c.baseline.median, height=0.34, color="#a0aec0")
        ax.text(c.ours.median, y + 0.18, f" {c.ours.median:,.0f} ({c.ratio:.2f}×)", va="center", fontsize=8)
        ax.text(c.baseline.median, y - 0.18, f" {c.baseline.median:,.0f}", va="center", fontsize=8)
    ax.set_yticks([len(pairs) - n for n in range(len(pairs))], [f"{c.key}" for c in pairs])
    ax.set_xlabel("events/s (median of repeats); blue: wostream, grey: same-run baseline")
    ax.set_xscale("log")
    fig.tight_layout()
    path = out / "throughput.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _histogram(latencies_ms: list[float], out: Path) -> Path | None:
    if not latencies_ms:
        return None
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.hist(latencies_ms, bins=80, color="#2b6cb0")
    ordered = sorted(latencies_ms)
    for q, style in ((0.5, "--"), (0.99, ":")):
        value = ordered[min(len(ordered) - 1, int(q * len(ordered)))]
        ax.axvline(value, color="black", linestyle=style, label=f"p{int(q * 100)} {value:.0f} ms")
    ax.set_xlabel("produce → callback latency, ms (P3 at 1 000 events/s, last repeat)")
    ax.set_ylabel("events")
    ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    path = out / "latency-histogram.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _sweep(latency: dict[str, list[dict[str, float]]], out: Path) -> Path | None:
    if not latency.get("sweep"):
        return None
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for series, colour in (("sweep", "#2b6cb0"), ("sweep_batch", "#dd6b20")):
        points = latency.get(series) or []
        rates = [p["rate"] for p in points]
        mode = "pushBatch" if series == "sweep_batch" else "push"
        for key, style in (("p50", "o--"), ("p99", "s-")):
            ax.plot(rates, [p[key] for p in points], style, color=colour, label=f"{mode} {key}")
    ax.axhline(25, color="red", linewidth=0.8, label="goal: p99 ≤ 25 ms")
    ax.set_xlabel("offered events/s (15 s each)")
    ax.set_ylabel("produce → callback, ms")
    ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    path = out / "latency-sweep.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
