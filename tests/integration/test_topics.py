"""`wostream topics ensure` (what the Kubernetes Job wostream-topics runs): wostream's topics and every
published subscriber's, with the settings' partitions, and nothing changed on a second run."""

from __future__ import annotations

import asyncio

from workshop.local import LocalStack
from wostream.broker.reading import partitions

SUBSCRIPTIONS = """
subscribers:
  - baseCode: TOPICSA
    secret: ${TOPICS_SECRET}
    dataAreas: ["*"]
    changeIds: ["1"]
    scope: {organIds: ["1"]}
"""


def test_topics_ensure_makes_every_topic_with_the_settings_partitions(stack: LocalStack) -> None:
    settings = stack.settings
    assert asyncio.run(partitions(settings, settings.raw_topic)) == []
    path = stack.workdir / "subs.yaml"
    path.write_text(SUBSCRIPTIONS, encoding="utf-8")
    stack.cli("subscriptions", "apply", str(path), env={"TOPICS_SECRET": "topics-secret"})
    first = stack.cli("topics", "ensure").stdout
    count = int(first.split()[0])
    core = [settings.raw_topic, settings.quarantine_topic, settings.rekey_topic, settings.subscriptions_topic]
    for topic in core:
        assert asyncio.run(partitions(settings, topic)), topic
    assert asyncio.run(partitions(settings, settings.raw_topic)) == list(range(settings.partitions))
    push = f"{settings.push_prefix}TOPICSA"
    assert asyncio.run(partitions(settings, push)) == list(range(settings.push_partitions))
    assert stack.cli("topics", "ensure").stdout == first, "a second run finds them all and makes none"
    assert count >= len(core) + 1
