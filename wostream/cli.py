"""The `wostream` command: parse, configure logging, call library code, return an exit code."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import click

from wostream.settings import ETC, Settings

log = logging.getLogger("wostream")

# Demo-only secrets for the example subscriptions of the local stack (README); override with the variables.
EXAMPLE_SECRETS = {"HRZDWYWHXT_SECRET": "hrzd-demo-secret", "DEMOB_SECRET": "demob-demo-secret"}
TABLES = Path(__file__).resolve().parent.parent / "tables"


def _fail(errors: list[str]) -> None:
    for line in errors:
        click.echo(f"error: {line}", err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def main(verbose: bool) -> None:
    """wostream: pushes work-order events from Kafka to subscribed systems over Ice/Glacier2."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


@main.command()
@click.option("-l", "--loglevel", default="info", show_default=True)
def worker(loglevel: str) -> None:
    """Run one worker (Faust app + Ice adapter + delivery). Settings from WOSTREAM_* variables."""
    os.execv(sys.executable, [sys.executable, "-m", "faust", "-A", "wostream.app", "worker", "-l", loglevel])


@main.group()
def subscriptions() -> None:
    """Manage subscriber registrations."""


@subscriptions.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate only; publish nothing.")
def subscriptions_apply(file: Path, dry_run: bool) -> None:
    """Validate FILE whole, hash clear secrets, publish one record per subscriber."""
    from wostream.admin import publish_subscriptions
    from wostream.subscriptions import ConfigError, parse_subscriptions

    try:
        subs = parse_subscriptions(file.read_text(encoding="utf-8"), os.environ, source=file.name)
    except ConfigError as exc:
        _fail(exc.errors)
        return
    if not dry_run:
        asyncio.run(publish_subscriptions(Settings(), subs))
    verb = "valid" if dry_run else "applied"
    click.echo(f"{len(subs)} subscriptions {verb}: {', '.join(s.base_code for s in subs)}")


@main.group()
def idmap() -> None:
    """Manage the id maps used to fill each subscriber's own ids."""


@idmap.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def idmap_apply(file: Path) -> None:
    """Validate FILE (CSV or YAML) whole, then publish its mappings with a progress bar."""
    from tqdm import tqdm

    from wostream.admin import publish_idmaps
    from wostream.idmaps import iter_idmap_file, validate_idmap_file

    count, errors = validate_idmap_file(file)
    if errors:
        _fail(errors)
    with tqdm(total=count, unit="ids", file=sys.stderr, disable=None) as bar:
        done = asyncio.run(publish_idmaps(Settings(), iter_idmap_file(file), lambda n: bar.update(n - bar.n)))
    click.echo(f"{done} id mappings applied from {file.name}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.File("r", encoding="utf-8"))
@click.option("--raw", is_flag=True, help="Send each line byte for byte, even if it is not JSON.")
def send(files: tuple[Any, ...], raw: bool) -> None:
    """Send raw events from FILES (- for stdin): JSON arrays, single events or JSON lines, in order."""
    from wostream.admin import InputError, parse_events, send_events

    events, errors = [], []
    for file in files:
        try:
            events += list(parse_events(file.read(), getattr(file, "name", "-"), raw=raw))
        except InputError as exc:
            errors += exc.errors
    if errors:
        _fail(errors)
    count = asyncio.run(send_events(Settings(), events))
    click.echo(f"{count} events sent to {Settings().raw_topic}")


@main.command()
@click.option("--base-code", required=True, help="This system's baseCode.")
@click.option(
    "--secret", required=True, envvar="WOSTREAM_SUBSCRIBER_SECRET", help="Or $WOSTREAM_SUBSCRIBER_SECRET."
)
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False),
    default=str(ETC / "subscriber.properties"),
    show_default=True,
    help="Ice property file (router proxy, heartbeat).",
)
@click.option("--router", help="Router proxy, e.g. 'wostream/router:tcp -h 127.0.0.1 -p 4063'.")
@click.option("--show-context", is_flag=True, help="Print {context, message} instead of the bare envelope.")
@click.option("--delay", type=float, default=0.0, help="Seconds to sleep in each call (a slow system).")
@click.option("--refuse", type=int, default=0, help="Refuse the first N calls with PushRefused (-1: all).")
@click.option("--refuse-ticket", help="Refuse every event of this serviceOrderId (a poison ticket).")
def subscriber(
    base_code: str,
    secret: str,
    config: str,
    router: str | None,
    show_context: bool,
    delay: float,
    refuse: int,
    refuse_ticket: str | None,
) -> None:
    """The reference third-party client: prints every envelope received as one JSON line.

    With --show-context each line is {"context", "receivedAt", "message"} and refused calls are printed too
    (with "refused": true): what the tests read.
    """
    from wostream.subscriber import Behaviour, run

    sys.exit(run(base_code, secret, config, router, Behaviour(show_context, delay, refuse, refuse_ticket)))


@main.command("replay")
@click.argument("base_code")
@click.option("--dry-run", is_flag=True, help="Only say what would be replayed.")
def replay_cmd(base_code: str, dry_run: bool) -> None:
    """Put BASE_CODE's dead events back on its push topic in order, and un-park their tickets."""
    from tqdm import tqdm

    from wostream.replay import replay

    with tqdm(unit="events", file=sys.stderr, disable=None) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        report = asyncio.run(replay(Settings(), base_code, dry_run, progress))
    for line in report.lines():
        click.echo(line)
    click.echo(
        "dry run: nothing replayed"
        if dry_run
        else f"{report.events} events replayed to {Settings().push_topic(base_code)}"
    )


@main.group()
def bench() -> None:
    """In-process benchmarks."""


@bench.command("routing")
@click.option("--seconds", type=float, default=2.0, show_default=True, help="Measuring time per case.")
def bench_routing_cmd(seconds: float) -> None:
    """Events/s routed with 10 and 1 000 subscriptions; last line: the cost ratio (target <= 1.2)."""
    from wostream.bench import bench_routing

    for line in bench_routing(seconds):
        click.echo(line)


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
    default=TABLES / "subscriptions.example.yaml",
    show_default=True,
)
def up(data_dir: Path, subs_file: Path) -> None:
    """Run the local stack: Kafka, glacier2router and a worker, with the examples. Ctrl-C stops all."""
    from wostream.stack import Kafka, Managed, Router, StackError

    settings = Settings()
    host, _, port = settings.kafka.rpartition(":")
    data_dir = data_dir.resolve()
    kafka = Kafka(data_dir / "kafka", port=int(port))
    router = Router(ETC / "glacier2router.properties", data_dir / "glacier2router.log")
    env = {"WOSTREAM_DATADIR": str(data_dir / "worker")}
    worker_proc = Managed(
        "worker", [sys.executable, "-m", "wostream.cli", "worker"], data_dir / "worker.log", env
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
        subscriptions_apply.callback(subs_file, False)  # type: ignore[misc]
        idmap_apply.callback(TABLES / "idmaps.example.csv")  # type: ignore[misc]
        click.echo("starting glacier2router and a worker ...")
        router.start()
        worker_proc.start()
        _wait_health(settings, worker_proc)
        _print_ready(settings, data_dir)
        while (
            not stopping
            and worker_proc.alive()
            and router.process
            and router.process.alive()
            and kafka.process
            and kafka.process.alive()
        ):
            time.sleep(0.5)
        if not stopping:
            click.echo("a component stopped unexpectedly; see the logs in " + str(data_dir), err=True)
    except StackError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        pass
    finally:
        click.echo("stopping ...")
        worker_proc.stop(30)
        router.stop()
        kafka.stop()
        click.echo("stopped.")


def _wait_health(settings: Settings, proc: Any, timeout: float = 120.0) -> None:
    from wostream.stack import StackError

    deadline = time.monotonic() + timeout
    url = f"http://{settings.web_host}:{settings.web_port}/health"
    while time.monotonic() < deadline:
        if not proc.alive():
            raise StackError(f"the worker exited; see {proc.log_path}")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise StackError(f"the worker did not become ready within {timeout:.0f} s; see {proc.log_path}")


def _print_ready(settings: Settings, data_dir: Path) -> None:
    click.echo(
        "\nwostream is up.\n"
        f"  Kafka           {settings.kafka}\n"
        "  Glacier2 router wostream/router:tcp -h 127.0.0.1 -p 4063   (subscribers connect here)\n"
        f"  Web             http://{settings.web_host}:{settings.web_port}/  (/health, /subscribers)\n"
        f"  Logs            {data_dir}\n"
        "Press Ctrl-C to stop.\n"
    )


if __name__ == "__main__":
    main()
