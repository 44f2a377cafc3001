"""`wostream worker` and `wostream subscriber`: the two long-running processes."""

from __future__ import annotations

import os
import sys

import click

from wostream.cli.main import main
from wostream.config.settings import ETC


@main.command()
@click.option("-l", "--loglevel", default="info", show_default=True)
def worker(loglevel: str) -> None:
    """Run one worker (Faust app + Ice adapter + delivery). Settings from WOSTREAM_* variables."""
    os.execv(sys.executable, [sys.executable, "-m", "faust", "-A", "wostream.app", "worker", "-l", loglevel])


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
    from wostream.reference.subscriber import Behaviour, run

    sys.exit(run(base_code, secret, config, router, Behaviour(show_context, delay, refuse, refuse_ticket)))
