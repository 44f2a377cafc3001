"""`wostream-dev`: the workshop's commands: the local stack (`up`), benchmarks (`bench`) and the soak.

They run from a checkout beside the product (never from its wheel), start real Kafka, routers, workers and
subscribers as processes, and stop every one of them by pid.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from workshop.paths import DEMO
from wostream.cli.main import CommandGroup, configure_logging

if TYPE_CHECKING:
    from workshop.local import LocalStack

# Demo-only secrets for the example subscriptions of the local stack (README); override with the variables.
EXAMPLE_SECRETS = {"HRZDWYWHXT_SECRET": "hrzd-demo-secret", "DEMOB_SECRET": "demob-demo-secret"}


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
@click.option("--only", default="P1,P2,P3,P4", show_default=True, help="Benchmarks to run, comma-separated.")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("bench-out"), show_default=True
)
@click.option("--kafka", default=None, help="Use this running broker instead of starting one.")
def bench_all_cmd(smoke: bool, repeats: int | None, only: str, out: Path, kafka: str | None) -> None:
    """P1 routing, P2 delivery, P3 latency, P4 crash cost, each beside its same-run baseline; the report
    and plots go to --out. Exits 1 when a goal is not met."""
    from workshop.bench.suite import BENCHMARKS, run_all, sized

    chosen = tuple(b.strip().upper() for b in only.split(",") if b.strip())
    unknown = [b for b in chosen if b not in BENCHMARKS]
    if unknown:
        raise click.UsageError(f"unknown benchmark {', '.join(unknown)}: choose from {', '.join(BENCHMARKS)}")
    report = run_all(sized(smoke, repeats), out, lambda line: click.echo(line), chosen, kafka)
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
    """Two workers, two routers, six kinds of subscriber, faults overlapping (worker SIGKILL x3, subscriber
    disconnects x5, router and broker restarts); then one line per subscriber and a verdict. Exits 1 on any
    loss, reordering, leak or unjustified dead letter (with --bad-input: on a crash, a bad record not
    quarantined with a reason, or a good one not delivered)."""
    import dataclasses
    import tempfile

    if bad_input is not None:
        _bad_input(bad_input, seed)
        return
    from workshop.soak.checker import render
    from workshop.soak.run import SMOKE, Plan, Soak

    plan = SMOKE if smoke else Plan()
    plan = dataclasses.replace(plan, events=events or plan.events, rate=rate or plan.rate)
    verdict, figures = Soak(plan, Path(tempfile.mkdtemp(prefix="wostream-soak-")), click.echo).run()
    for line in render(verdict):
        click.echo(line)
    click.echo(f"offered {figures['offered']:,} events, wall time {figures['wall_s']} s")
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
    from workshop.local import LocalStack
    from workshop.stack import Kafka, StackError
    from workshop.wiring import RouterPorts
    from wostream.cli.config import apply_idmaps, apply_subscriptions
    from wostream.config.settings import Settings

    settings = Settings()
    host, _, port = settings.kafka.rpartition(":")
    data_dir = data_dir.resolve()
    kafka = Kafka(data_dir / "kafka", port=int(port))
    stack = LocalStack(
        settings.model_copy(update={"datadir": data_dir / "worker"}),
        data_dir,
        router_ports=[RouterPorts(client=4063, server=4064)],
        adapter_ports=[4065],
        certs_dir=data_dir / "certs",
        web_ports={"worker": settings.web_port},
    )
    stopping: list[int] = []
    # Ctrl-C and SIGTERM both stop everything, even when started in the background (where SIGINT is ignored)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    try:
        click.echo(f"starting Kafka {host}:{port} (data in {kafka.data_dir}) ...")
        kafka.start()
        for name, value in EXAMPLE_SECRETS.items():
            os.environ.setdefault(name, value)
        click.echo(f"applying {subs_file} ...")
        apply_subscriptions(subs_file)
        apply_idmaps(DEMO / "idmaps.csv")
        click.echo("starting glacier2router and a worker ...")
        stack.start_router()
        stack.start_worker("worker")
        stack.wait_ready("worker", timeout=120)
        _print_ready(stack, data_dir)
        restarts: list[float] = []
        while not stopping and kafka.process is not None and kafka.process.alive():
            time.sleep(0.5)
            if stopping or stack.alive():
                continue
            # like an orchestrator: a worker or router that exits is started again, unless it keeps exiting
            restarts = [t for t in restarts if time.monotonic() - t < 300] + [time.monotonic()]
            if len(restarts) > 5:
                click.echo(f"components keep exiting; stopping (logs in {data_dir})", err=True)
                break
            _restart_dead(stack)
        if not stopping and (kafka.process is None or not kafka.process.alive()):
            click.echo("Kafka stopped unexpectedly; see the logs in " + str(data_dir), err=True)
    except (StackError, AssertionError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        pass
    finally:
        click.echo("stopping ...")
        stack.stop()
        kafka.stop()
        click.echo("stopped.")


def _restart_dead(stack: LocalStack) -> None:
    for name, worker in list(stack.workers.items()):
        if not worker.alive():
            code = worker.proc.returncode if worker.proc is not None else "?"
            click.echo(
                f"worker {name} exited (code {code}); starting it again (log: {worker.log_path})", err=True
            )
            stack.start_worker(name)
    for index, router in list(stack.routers.items()):
        if router.process is None or not router.process.alive():
            click.echo("glacier2router exited; starting it again", err=True)
            stack.start_router(index)


def _print_ready(stack: LocalStack, data_dir: Path) -> None:
    click.echo(
        "\nwostream is up.\n"
        f"  Kafka           {stack.kafka}\n"
        f"  Glacier2 router {stack.router_proxy()}   (subscribers connect here, TLS)\n"
        f"  Local CA        {stack.certs.ca_file}   (subscribers check the router with it)\n"
        f"  Web             {stack.web('worker')}/  (/health, /subscribers)\n"
        f"  Logs            {data_dir}\n"
        "Press Ctrl-C to stop.\n"
    )


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
