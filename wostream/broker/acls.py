"""The Kafka ACLs each principal of a deployment needs, derived from the settings (topic names, app id):
the one list SECURITY.md documents, `wostream kafka acls` prints (kafka-acls commands or a Strimzi
`KafkaUser`), and the test stack grants, so what is documented is what is tested.

Three principals: the **worker** (every role: Faust's group and internal topics, the raw topics, push and
dead topics, the callbacks and retries it writes, the configuration it only reads), the **operator** (the
`wostream` CLI: the only one that may write subscriptions and id maps), and the **source**, the work-order
system, which may only write raw events. Nobody else may write the configuration: a principal that can is a
principal that can add a subscriber with every data area.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from wostream.config.settings import Settings

Resource = Literal["topic", "group"]
Pattern = Literal["literal", "prefixed"]
ROLES = ("worker", "operator", "source")


@dataclass(frozen=True)
class Binding:
    resource: Resource
    name: str
    pattern: Pattern
    operations: tuple[str, ...]  # Kafka's names: Read, Write, Create, Describe


def _topic(name: str, *operations: str) -> Binding:
    return Binding("topic", name, "literal", operations)


def _topics(prefix: str, *operations: str) -> Binding:
    return Binding("topic", prefix, "prefixed", operations)


def worker_bindings(s: Settings) -> list[Binding]:
    """Found by starting from none and adding what each client asked for, then taking each away to see it
    missed: Faust sends CreateTopics for its internal topics at every start, even when they exist."""
    return [
        Binding("group", s.app_id, "literal", ("Read",)),
        Binding("group", f"{s.app_id}-deliver", "literal", ("Read",)),
        _topics(f"{s.app_id}-", "Create", "Read", "Write"),  # Faust's changelog (the leader topic is off)
        _topic(s.raw_topic, "Read"),
        _topic(s.rekey_topic, "Read", "Write"),
        _topic(s.quarantine_topic, "Write"),
        _topic(s.latest_topic, "Read", "Write"),
        _topics(s.push_prefix, "Create", "Read", "Write"),
        _topics(s.dead_prefix, "Create", "Write"),
        _topic(s.subscriptions_topic, "Read"),
        _topic(s.idmaps_topic, "Read"),
        _topic(s.callbacks_topic, "Read", "Write"),
        _topic(s.retries_topic, "Read", "Write"),
    ]


def operator_bindings(s: Settings) -> list[Binding]:
    """What the CLI's commands need: apply configuration, make topics, send, status, resync, replay."""
    every = ("Create", "Read", "Write")
    return [
        _topic(s.subscriptions_topic, *every),
        _topic(s.idmaps_topic, *every),
        _topic(s.callbacks_topic, *every),
        _topic(s.retries_topic, *every),
        _topic(s.raw_topic, *every),
        _topic(s.rekey_topic, "Create", "Read"),
        _topic(s.quarantine_topic, "Create", "Read"),
        _topic(s.latest_topic, "Create", "Read"),
        _topics(s.push_prefix, *every),
        _topics(s.dead_prefix, "Create", "Read"),
        _topics(
            f"{s.app_id}-", "Create", "Read"
        ),  # Faust's changelog: made by `topics ensure`, read by resync
        Binding("group", f"{s.app_id}-deliver", "literal", ("Describe",)),
        Binding("group", f"{s.app_id}-replay-", "prefixed", ("Read",)),
    ]


def source_bindings(s: Settings) -> list[Binding]:
    return [_topic(s.raw_topic, "Write")]


def bindings(role: str, settings: Settings) -> list[Binding]:
    return {"worker": worker_bindings, "operator": operator_bindings, "source": source_bindings}[role](
        settings
    )


def kafka_acls_commands(principal: str, found: list[Binding]) -> list[str]:
    """`kafka-acls.sh` lines to paste (with `--bootstrap-server` and `--command-config` added)."""
    lines = []
    for b in found:
        ops = " ".join(f"--operation {op}" for op in b.operations)
        kind = "--topic" if b.resource == "topic" else "--group"
        pattern = " --resource-pattern-type prefixed" if b.pattern == "prefixed" else ""
        lines.append(
            f"kafka-acls.sh --add --allow-principal User:{principal} {ops} {kind} '{b.name}'{pattern}"
        )
    return lines


def markdown_table(found: list[Binding]) -> list[str]:
    """The bindings as a Markdown table (docs/kafka-security.md is made of these)."""
    rows = [f"| {b.resource} | `{b.name}` | {b.pattern} | {', '.join(b.operations)} |" for b in found]
    return ["| resource | name | pattern | operations |", "| --- | --- | --- | --- |", *rows]


def strimzi_user(principal: str, cluster: str, found: list[Binding]) -> dict[str, Any]:
    """A Strimzi `KafkaUser` with SCRAM-SHA-512 authentication and these ACLs."""
    acls = [
        {
            "resource": {"type": b.resource, "name": b.name, "patternType": b.pattern},
            "operations": list(b.operations),
            "host": "*",
        }
        for b in found
    ]
    return {
        "apiVersion": "kafka.strimzi.io/v1beta2",
        "kind": "KafkaUser",
        "metadata": {"name": principal, "labels": {"strimzi.io/cluster": cluster}},
        "spec": {
            "authentication": {"type": "scram-sha-512"},
            "authorization": {"type": "simple", "acls": acls},
        },
    }
