"""`wostream-dev`: the workshop's commands: the local stack (`up`), benchmarks (`bench`) and the soak.

They run from a checkout beside the product (never from its wheel), start real Kafka, routers, workers and
subscribers as processes, and stop every one of them by pid.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from workshop.paths import DEMO
from wostream.cli.main import CommandGroup, configure_logging

if TYPE_CHECKING:
    pass


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def main(verbose: bool) -> None:
    """wostream's workshop: the local stack, benchmarks and the soak (development only)."""
    configure_logging(verbose)


@main.group()
def bench() -> None:
    """Benchmarks."""


@bench.command("routing")
@click.option("--seconds", type=float, default=2.0, show_default=True, help="Measuring time per case.")
def bench_routing_cmd(seconds: float) -> None:
    """Events/s routed with 10 and 1 000 subscriptions; last line: the cost ratio (target <= 1.2)."""
    from workshop.bench.routing import bench_routing

    for line in bench_routing(seconds):
        click.echo(line)


@bench.command("codecs")
@click.option("--events", default=20_000, show_default=True, help="Events of the P1 corpus.")
@click.option("--rounds", default=5, show_default=True, help="Alternated rounds; medians are printed.")
def bench_codecs_cmd(events: int, rounds: int) -> None:
    """JSON parsers: what each keeps of a producer's body, and what each costs alone and inside routing."""
    from workshop.bench.codecs import run

    run(events, rounds, click.echo)


@bench.command("profile")
@click.option("--events", default=60_000, show_default=True, help="Pre-loaded events (P1's corpus).")
@click.option("--seconds", default=15.0, show_default=True, help="Sampling time, from the worker's ready.")
def bench_profile_cmd(events: int, seconds: float) -> None:
    """Where a route worker's time goes while it routes P1's events, by package (py-spy, never pausing it)."""
    import tempfile

    from workshop.bench.harness import own_kafka
    from workshop.bench.profile import profile_route

    with own_kafka(Path(tempfile.mkdtemp(prefix="wostream-profile-"))) as kafka:
        for line in profile_route(kafka, events, seconds):
            click.echo(line)


@bench.command("scale")
@click.option("--subscribers", default="10,100,1000", show_default=True, help="Sizes, comma-separated.")
def bench_scale_cmd(subscribers: str) -> None:
    """N subscribers on two workers, then events for all: apply, rebalances, routing, memory, loop stalls."""
    import tempfile

    from workshop.scale import bench_scale

    sizes = [int(n) for n in subscribers.split(",") if n.strip()]
    for line in bench_scale(sizes, Path(tempfile.mkdtemp(prefix="wostream-scale-"))):
        click.echo(line)


@bench.command("all")
@click.option("--smoke", is_flag=True, help="Tiny sizes, one repeat: checks the benchmarks run (CI).")
@click.option("--repeats", type=click.IntRange(1, 20), default=None, help="Repeats of each (default 3).")
@click.option(
    "--only", default="P1,P2,P3,P4,P5", show_default=True, help="Benchmarks to run, comma-separated."
)
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("bench-out"), show_default=True
)
@click.option(
    "--kafka",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A running broker's access.json (as `wostream-dev up` saves it) instead of starting one.",
)
def bench_all_cmd(smoke: bool, repeats: int | None, only: str, out: Path, kafka: Path | None) -> None:
    """P1 routing, P2 delivery, P3 latency, P4 crash cost, P5 a thousand sessions, each beside its same-run
    baseline; the report and plots go to --out. Exits 1 when a goal is not met."""
    from workshop.bench.suite import BENCHMARKS, run_all, sized

    chosen = tuple(b.strip().upper() for b in only.split(",") if b.strip())
    unknown = [b for b in chosen if b not in BENCHMARKS]
    if unknown:
        raise click.UsageError(f"unknown benchmark {', '.join(unknown)}: choose from {', '.join(BENCHMARKS)}")
    from workshop.access import Access

    reuse = Access.load(kafka) if kafka is not None else None
    report = run_all(sized(smoke, repeats), out, lambda line: click.echo(line), chosen, reuse)
    click.echo("")
    for line in report.lines():
        click.echo(line)
    click.echo(f"report and plots: {out}")
    if not smoke and not all(c.met for c in report.comparisons):
        sys.exit(1)


@main.command()
@click.option(
    "--events", type=click.IntRange(100), default=None, help="Raw events offered (default 100 000)."
)
@click.option("--rate", type=click.FloatRange(1), default=None, help="Events/s offered (default 700).")
@click.option("--smoke", is_flag=True, help="A small soak (a few thousand events, fewer faults): CI's size.")
@click.option(
    "--bad-input",
    type=click.IntRange(10),
    default=None,
    help="Instead: this many generated bad records (mixed with good) through the real worker.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="The bad-input generator's seed.")
def soak(events: int | None, rate: float | None, smoke: bool, bad_input: int | None, seed: int) -> None:
    """Four workers (two route, two deliver), two routers, six kinds of subscriber, faults overlapping
    (worker SIGKILL x3, of both roles, subscriber disconnects x5, router and broker restarts); then one line
    per subscriber and a verdict. Exits 1 on any loss, reordering, leak or unjustified dead letter (with
    --bad-input: on a crash, a bad record not quarantined with a reason, or a good one not delivered)."""
    import dataclasses
    import tempfile

    if bad_input is not None:
        _bad_input(bad_input, seed)
        return
    from workshop.soak.checker import render
    from workshop.soak.run import SMOKE, Plan, Soak

    plan = SMOKE if smoke else Plan()
    plan = dataclasses.replace(plan, events=events or plan.events, rate=rate or plan.rate)
    soak = Soak(plan, Path(tempfile.mkdtemp(prefix="wostream-soak-")), click.echo)
    verdict, figures = soak.run()
    for line in render(verdict):
        click.echo(line)
    for code, examples in soak.reorder_examples().items():
        click.echo(f"{code} reordered, the first pairs:\n  " + "\n  ".join(examples))
    click.echo(f"the run's files (worker logs, receipts, the broker's data): {soak.workdir}")
    click.echo(f"offered {figures['offered']:,} events, wall time {figures['wall_s']} s")
    restarts = figures["liveness_restarts"]
    click.echo(f"liveness restarts: {'; '.join(restarts) if restarts else 'none'}")
    if not verdict.passed:
        sys.exit(1)


def _bad_input(n: int, seed: int) -> None:
    import tempfile

    from workshop.bench.harness import own_kafka
    from workshop.soak.volume import volume_run

    work = Path(tempfile.mkdtemp(prefix="wostream-badinput-"))
    with own_kafka(work) as kafka:
        result = volume_run(kafka, work, n, seed, click.echo)
    for line in result.lines():
        click.echo(line)
    if result.problems():
        sys.exit(1)


@main.command()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".wostream"),
    show_default=True,
    help="Kafka data, logs; kept across restarts.",
)
@click.option(
    "--subscriptions",
    "subs_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=DEMO / "subscriptions.yaml",
    show_default=True,
)
def up(data_dir: Path, subs_file: Path) -> None:
    """Run the local stack: Kafka, glacier2router and a worker, with the examples. Ctrl-C stops all."""
    from workshop.up import run_up

    sys.exit(run_up(data_dir.resolve(), subs_file, click.echo))


@main.command()
@click.option(
    "--check", is_flag=True, help="Exit 1 if docs/events.md differs from the tables; write nothing."
)
def tables(check: bool) -> None:
    """Write docs/events.md from the event tables (tables/events.yaml)."""
    from workshop.paths import ROOT
    from workshop.tables_doc import render

    target = ROOT / "docs" / "events.md"
    text = render()
    if check:
        if target.read_text(encoding="utf-8") != text:
            click.echo(f"{target} is out of date: run wostream-dev tables", err=True)
            sys.exit(1)
        return
    target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {target}")
