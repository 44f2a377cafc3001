"""The ACLs the CLI prints are the documented set: k8s/strimzi/kafka-users.yaml is exactly what it prints, and
the worker may never write the configuration a subscriber is made of."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from wostream.broker.acls import bindings
from wostream.cli import main
from wostream.config.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
USERS = {"worker": "wostream-worker", "operator": "wostream-operator", "source": "work-order-system"}


def printed(role: str, form: str) -> str:
    args = ["kafka", "acls", "--role", role, "--principal", USERS[role], "--format", form]
    result = CliRunner().invoke(main, args, env={"WOSTREAM_ENV_FILE": ""})
    assert result.exit_code == 0, result.output
    return result.output


def test_the_strimzi_example_is_what_the_cli_prints() -> None:
    example = list(yaml.safe_load_all((ROOT / "k8s" / "strimzi" / "kafka-users.yaml").read_text("utf-8")))
    assert example == [yaml.safe_load(printed(role, "strimzi")) for role in USERS]


def test_only_the_operator_may_write_subscriptions_and_id_maps() -> None:
    s = Settings()
    for role in USERS:
        writable = {b.name for b in bindings(role, s) if b.resource == "topic" and "Write" in b.operations}
        config = {s.subscriptions_topic, s.idmaps_topic} & writable
        assert config == (set() if role != "operator" else {s.subscriptions_topic, s.idmaps_topic}), role


def test_kafka_acls_lines_name_every_operation() -> None:
    lines = printed("source", "kafka-acls").splitlines()
    assert lines == [
        "kafka-acls.sh --add --allow-principal User:work-order-system --operation Write --topic 'wo.events'"
    ]


def test_the_tables_of_the_kafka_security_guide_are_what_the_cli_prints() -> None:
    guide = (ROOT / "docs" / "kafka-security.md").read_text("utf-8")
    for role in USERS:
        marker = f"<!-- wostream kafka acls --role {role} --format table -->\n"
        assert marker in guide, role
        table = guide.split(marker, 1)[1].split("\n\n", 1)[0]
        assert table + "\n" == printed(role, "table"), role
