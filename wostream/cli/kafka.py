"""`wostream kafka acls`: the ACLs a principal of this deployment needs, for the operator's own tooling."""

from __future__ import annotations

import click
import yaml

from wostream.cli.main import main
from wostream.config.settings import Settings


@main.group()
def kafka() -> None:
    """What wostream needs of its Kafka cluster."""


@kafka.command("acls")
@click.option(
    "--role",
    type=click.Choice(["worker", "operator", "source"]),
    required=True,
    help="worker: every worker pod; operator: the wostream CLI; source: the work-order system.",
)
@click.option("--principal", required=True, help="The principal's name (User:<name>).")
@click.option(
    "--format",
    "form",
    type=click.Choice(["kafka-acls", "strimzi", "table"]),
    default="kafka-acls",
    show_default=True,
    help="kafka-acls.sh command lines, a Strimzi KafkaUser, or a Markdown table.",
)
@click.option("--cluster", default="kafka", show_default=True, help="The Strimzi Kafka cluster's name.")
def acls(role: str, principal: str, form: str, cluster: str) -> None:
    """The ACLs of ROLE for this deployment's topic names (WOSTREAM_* settings): the set SECURITY.md
    documents and the tests grant."""
    from wostream.broker.acls import bindings, kafka_acls_commands, markdown_table, strimzi_user

    found = bindings(role, Settings())
    if form == "strimzi":
        click.echo(yaml.safe_dump(strimzi_user(principal, cluster, found), sort_keys=False), nl=False)
    else:
        lines = markdown_table(found) if form == "table" else kafka_acls_commands(principal, found)
        for line in lines:
            click.echo(line)
