"""`wostream send` and `wostream replay`: raw events in, dead events back."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Any

import click

from wostream.cli.main import fail, main
from wostream.config.settings import Settings

if TYPE_CHECKING:
    from wostream.ops.replay import ReplayReport


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
@click.argument("base_code", required=False)
@click.option("--quarantine", is_flag=True, help="Replay the quarantine into the raw topic instead.")
@click.option("--dry-run", is_flag=True, help="Only say what would be replayed.")
def replay_cmd(base_code: str | None, quarantine: bool, dry_run: bool) -> None:
    """Put BASE_CODE's dead events back on its push topic in order, and un-park their tickets.

    With --quarantine: put quarantined raw events back on the raw topic, to be routed again once their cause
    (a scope, an id map, a producer) is fixed.
    """
    from tqdm import tqdm

    from wostream.ops.replay import replay, replay_quarantine

    if quarantine:
        _show(asyncio.run(replay_quarantine(Settings(), dry_run)), dry_run, Settings().raw_topic)
        return
    if base_code is None:
        fail(["give a BASE_CODE, or --quarantine"])

    with tqdm(unit="events", file=sys.stderr, disable=None) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        report = asyncio.run(replay(Settings(), base_code, dry_run, progress))
    _show(report, dry_run, Settings().push_topic(base_code))


def _show(report: ReplayReport, dry_run: bool, topic: str) -> None:
    for line in report.lines():
        click.echo(line)
    click.echo("dry run: nothing replayed" if dry_run else f"{report.events} events replayed to {topic}")


@main.command()
@click.argument("base_code")
@click.option("--ticket", "tickets", multiple=True, help="Only this serviceOrderId (repeatable).")
@click.option(
    "--since", help="Only tickets changed since: an ISO time (2026-11-30T08:00) or a span ago (2h, 7d)."
)
@click.option("--dry-run", is_flag=True, help="Only count what would be pushed.")
def resync(base_code: str, tickets: tuple[str, ...], since: str | None, dry_run: bool) -> None:
    """Push BASE_CODE the latest event of each entitled kind of its tickets, in order, marked resync=1."""
    import time

    from wostream.ops.resync import ResyncError
    from wostream.ops.resync import resync as run_resync

    now = time.time()
    start = None if since is None else _since(since, now)
    try:
        report = asyncio.run(run_resync(Settings(), base_code, list(tickets) or None, start, dry_run, now))
    except ResyncError as exc:
        fail([str(exc)])
    for line in report.lines():
        click.echo(line)
    click.echo(
        "dry run: nothing pushed"
        if dry_run
        else f"{report.pushed} events written to {Settings().push_topic(base_code)}"
    )


def _since(text: str, now: float) -> float:
    """An ISO time, or a span before `now` (30m, 2h, 7d)."""
    import datetime
    import re

    span = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhd])", text.strip())
    if span:
        return now - float(span.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[span.group(2)]
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        fail([f"--since {text!r}: expected an ISO time (2026-11-30T08:00) or a span ago (30m, 2h, 7d)"])
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


@main.command()
@click.argument("base_code", required=False)
@click.option("--json", "as_json_", is_flag=True, help="One JSON object per subscriber, in a list.")
@click.option(
    "--window", type=float, default=5.0, show_default=True, help="Seconds to measure done/min over."
)
@click.option(
    "--max-age",
    type=float,
    default=300.0,
    show_default=True,
    help="Alert when an event waits longer (seconds).",
)
def status(base_code: str | None, as_json_: bool, window: float, max_age: float) -> None:
    """Every subscriber's state from Kafka (no worker needed). Exits 3 when one is failing or its oldest
    waiting event is older than --max-age: usable as an alert."""
    import json

    from wostream.core.subscriber_status import alarming
    from wostream.ops.status import as_json, gather_status

    statuses = asyncio.run(gather_status(Settings(), base_code, window))
    if base_code is not None and not statuses:
        fail([f"no subscriber {base_code!r}"])
    if as_json_:
        click.echo(json.dumps([as_json(s) for s in statuses], ensure_ascii=False, indent=2))
    else:
        for line in _table(statuses):
            click.echo(line)
    alarms = alarming(statuses, max_age)
    if alarms:
        fail(alarms, code=3)


def _table(statuses: list[Any]) -> list[str]:
    head = ("baseCode", "state", "backlog", "oldest", "done/min", "dead", "retrying", "last error")
    rows = [
        (
            s.base_code,
            s.state,
            str(s.backlog),
            "-" if s.oldest_waiting_s is None else f"{s.oldest_waiting_s:.0f}s",
            "-" if s.per_minute is None else f"{s.per_minute:.0f}",
            str(s.dead),
            str(s.retrying),
            (s.last_error or "")[:60],
        )
        for s in statuses
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in [head, *rows]
    ]
