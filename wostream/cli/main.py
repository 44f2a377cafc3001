"""The `wostream` command group: parse, configure logging, call library code, return an exit code.

Each command lives in the module of its concern (`config`, `events`, `processes`, `dev`) and imports its
library code lazily, so `wostream --help` stays fast and a worker-only install never imports the dev tools.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import NoReturn

import click

EXIT_USAGE = 2  # bad input: nothing was done


def fail(errors: Iterable[str], code: int = EXIT_USAGE) -> NoReturn:
    for line in errors:
        click.echo(f"error: {line}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def main(verbose: bool) -> None:
    """wostream: pushes work-order events from Kafka to subscribed systems over Ice/Glacier2."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
