"""`wostream send` and `wostream replay`: raw events in, dead events back."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import click

from wostream.cli.main import fail, main
from wostream.config.settings import Settings


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.File("r", encoding="utf-8"))
@click.option("--raw", is_flag=True, help="Send each line byte for byte, even if it is not JSON.")
def send(files: tuple[Any, ...], raw: bool) -> None:
    """Send raw events from FILES (- for stdin): JSON arrays, single events or JSON lines, in order."""
    from wostream.ops.events import InputError, parse_events, send_events

    events, errors = [], []
    for file in files:
        try:
            events += list(parse_events(file.read(), getattr(file, "name", "-"), raw=raw))
        except InputError as exc:
            errors += exc.errors
    if errors:
        fail(errors)
    count = asyncio.run(send_events(Settings(), events))
    click.echo(f"{count} events sent to {Settings().raw_topic}")


@main.command("replay")
@click.argument("base_code")
@click.option("--dry-run", is_flag=True, help="Only say what would be replayed.")
def replay_cmd(base_code: str, dry_run: bool) -> None:
    """Put BASE_CODE's dead events back on its push topic in order, and un-park their tickets."""
    from tqdm import tqdm

    from wostream.ops.replay import replay

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
