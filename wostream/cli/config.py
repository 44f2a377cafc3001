"""`wostream subscriptions apply` and `wostream idmap apply`: validate a whole file, then publish it."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import click

from wostream.cli.main import fail, main
from wostream.config.settings import Settings


@main.group()
def subscriptions() -> None:
    """Manage subscriber registrations."""


@subscriptions.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate only; publish nothing.")
def subscriptions_apply(file: Path, dry_run: bool) -> None:
    """Validate FILE whole, hash clear secrets, publish one record per subscriber."""
    apply_subscriptions(file, dry_run)


def apply_subscriptions(file: Path, dry_run: bool = False) -> None:
    from wostream.config.errors import ConfigError
    from wostream.config.subscriptions import parse_drafts
    from wostream.ops.publish import apply_subscriptions as apply

    try:
        drafts = parse_drafts(file.read_text(encoding="utf-8"), os.environ, source=file.name)
    except ConfigError as exc:
        fail(exc.errors)
    if dry_run:
        codes = [sub.base_code for sub, _ in drafts]
        listed = f": {', '.join(codes)}" if len(codes) <= 10 else ""
        click.echo(f"{len(codes)} subscriptions valid{listed}")
        return
    click.echo(asyncio.run(apply(Settings(), drafts)).line(file.name))


@subscriptions.command("remove")
@click.argument("base_codes", nargs=-1, required=True)
def subscriptions_remove(base_codes: tuple[str, ...]) -> None:
    """Remove subscribers: nothing more is routed to them and their live sessions end (their topics stay)."""
    from wostream.config.subscriptions import BASE_CODE_RE
    from wostream.ops.publish import remove_subscriptions

    bad = [code for code in base_codes if not BASE_CODE_RE.fullmatch(code)]
    if bad:
        fail(f"{code!r} is not a baseCode (1-64 of A-Z a-z 0-9 _ -)" for code in bad)
    asyncio.run(remove_subscriptions(Settings(), list(base_codes)))
    click.echo(f"{len(base_codes)} subscriptions removed: {', '.join(base_codes)}")


@main.group()
def idmap() -> None:
    """Manage the id maps used to fill each subscriber's own ids."""


@idmap.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def idmap_apply(file: Path) -> None:
    """Validate FILE (CSV or YAML) whole, then publish its mappings with a progress bar."""
    apply_idmaps(file)


def apply_idmaps(file: Path) -> None:
    from tqdm import tqdm

    from wostream.config.idmaps import iter_idmap_file, validate_idmap_file
    from wostream.ops.publish import publish_idmaps

    count, errors = validate_idmap_file(file)
    if errors:
        fail(errors)
    with tqdm(total=count, unit="ids", file=sys.stderr, disable=None) as bar:

        def progress(published: int) -> None:
            bar.update(published - bar.n)

        done = asyncio.run(publish_idmaps(Settings(), iter_idmap_file(file), progress))
    click.echo(f"{done} id mappings applied from {file.name}")


@main.group()
def secret() -> None:
    """Subscriber secrets."""


@secret.command("new")
def secret_new() -> None:
    """Print a new secret for a subscriber: 256 random bits, verified in microseconds (SECURITY.md)."""
    from wostream.core.credentials import new_secret

    click.echo(new_secret())


@main.group()
def topics() -> None:
    """wostream's topics."""


@topics.command("ensure")
def topics_ensure() -> None:
    """Create what is missing of wostream's own topics and of every subscriber's (partitions and replication
    from the settings); existing topics are left as they are. What the Kubernetes Job wostream-topics runs."""
    from wostream.ops.publish import ensure_all_topics

    made = asyncio.run(ensure_all_topics(Settings()))
    click.echo(f"{made} topics exist")
