"""The `wostream` command group: parse, configure logging, call library code, return an exit code.

Each command lives in the module of its concern (`config`, `events`, `processes`) and imports its library
code lazily, so `wostream --help` stays fast. The workshop's commands (`wostream-dev`) live beside it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

import click
from dotenv import dotenv_values
from pydantic_settings import SettingsError

from wostream.config.settings import settings_problems

DEFAULT_ENV_FILE = ".wostream/wostream.env"
EXIT_USAGE = 2  # bad input: nothing was done
EXIT_FAILED = 1  # the outside world (Kafka, a file) failed us


def fail(errors: Iterable[str], code: int = EXIT_USAGE) -> NoReturn:
    for line in errors:
        click.echo(f"error: {line}", err=True)
    sys.exit(code)


class CommandGroup(click.Group):
    """Turns what goes wrong with the outside world into one clear line and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        from aiokafka.errors import KafkaError

        try:
            return super().invoke(ctx)
        except KafkaError as exc:
            fail(
                [f"Kafka failed: {type(exc).__name__}: {exc}; run the command again once Kafka answers"],
                EXIT_FAILED,
            )
        except (OSError, TimeoutError) as exc:
            fail([f"{type(exc).__name__}: {exc}"], EXIT_FAILED)
        except (ValueError, SettingsError) as exc:  # pydantic's ValidationError is a ValueError
            problems = settings_problems(exc)
            if problems is None:
                raise
            fail([f"settings: {line}" for line in problems], EXIT_USAGE)


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def main(verbose: bool) -> None:
    """wostream: pushes work-order events from Kafka to subscribed systems over Ice/Glacier2."""
    configure_logging(verbose)
    load_env_file()


def load_env_file() -> None:
    """`WOSTREAM_*` settings from `$WOSTREAM_ENV_FILE` (default `.wostream/wostream.env`, where
    `wostream-dev up` leaves the local operator's Kafka credentials), for the variables not already set;
    an empty value reads no file."""
    path = os.environ.get("WOSTREAM_ENV_FILE", DEFAULT_ENV_FILE)
    if path and Path(path).is_file():
        for name, value in dotenv_values(path).items():
            if name.startswith("WOSTREAM_") and value is not None:
                os.environ.setdefault(name, value)


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
