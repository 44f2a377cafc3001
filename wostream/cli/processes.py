"""`wostream worker` and `wostream subscriber`: the two long-running processes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from wostream.cli.main import fail, main
from wostream.config.settings import ETC


@main.command()
@click.option("-l", "--loglevel", default="info", show_default=True)
@click.option(
    "--role",
    type=click.Choice(["all", "route", "deliver"]),
    envvar="WOSTREAM_ROLE",
    default="all",
    show_default=True,
    help="route: raw events to push topics; deliver: push topics to subscribers; all: both.",
)
def worker(loglevel: str, role: str) -> None:
    """Run one worker of the given role (Ice sessions and the web port in every role). Settings from
    WOSTREAM_* variables."""
    from wostream.config.settings import Settings

    os.environ["WOSTREAM_ROLE"] = role
    settings = Settings()
    if role == "deliver":
        from wostream.worker.node import serve

        serve(settings, loglevel)
        return
    faust = [sys.executable, "-m", "faust", "-L", settings.event_loop, "-A", "wostream.app"]
    os.execv(sys.executable, [*faust, "worker", "-l", loglevel])


@main.command()
@click.option("--base-code", required=True, help="This system's baseCode.")
@click.option(
    "--secret",
    envvar="WOSTREAM_SUBSCRIBER_SECRET",
    help="Prefer $WOSTREAM_SUBSCRIBER_SECRET or --secret-file: a command-line secret shows in `ps`.",
)
@click.option(
    "--secret-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file whose first line is the secret.",
)
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False),
    default=str(ETC / "subscriber.properties"),
    show_default=True,
    help="Ice property file (router proxy, heartbeat).",
)
@click.option("--router", help="Router proxy, e.g. 'wostream/router:ssl -h 127.0.0.1 -p 4063'.")
@click.option(
    "--ca",
    type=click.Path(exists=True, dir_okay=False),
    help="The CA certificate (PEM) to check the router with; default: IceSSL.CAs of --config.",
)
@click.option("--show-context", is_flag=True, help="Print {context, message} instead of the bare envelope.")
@click.option("--delay", type=float, default=0.0, help="Seconds to sleep in each call (a slow system).")
@click.option("--refuse", type=int, default=0, help="Refuse the first N calls with PushRefused (-1: all).")
@click.option("--refuse-ticket", help="Refuse every event of this serviceOrderId (a poison ticket).")
@click.option("--batch", is_flag=True, help="Be a BatchSubscriber: take several events per call, in order.")
def subscriber(
    base_code: str,
    secret: str | None,
    secret_file: Path | None,
    config: str,
    router: str | None,
    ca: str | None,
    show_context: bool,
    delay: float,
    refuse: int,
    refuse_ticket: str | None,
    batch: bool,
) -> None:
    """The reference third-party client: prints every envelope received as one JSON line.

    With --show-context each line is {"context", "receivedAt", "message"} and refused calls are printed too
    (with "refused": true): what the tests read.
    """
    from wostream.reference.subscriber import Behaviour, run

    if secret_file is not None:
        secret = (
            secret_file.read_text(encoding="utf-8").splitlines()[0].strip()
            if secret_file.stat().st_size
            else ""
        )
    if not secret:
        fail(["no secret: set $WOSTREAM_SUBSCRIBER_SECRET, or give --secret-file (or --secret)"])
    overrides = {"Ice.Default.Router": router, "IceSSL.CAs": ca}
    props = {k: v for k, v in overrides.items() if v}
    sys.exit(
        run(base_code, secret, config, props, Behaviour(show_context, delay, refuse, refuse_ticket, batch))
    )
