"""Whether the broker lets this principal use its consumer groups, asked before any consumer joins one.

Without an ACL on its group a consumer does not fail: Faust's retries its join for ever and the worker sits
"starting" with no reason given. The broker answers a FindCoordinator for a group it hides from us with
GROUP_AUTHORIZATION_FAILED at once, so admission can name the group the way it names a missing topic.
"""

from __future__ import annotations

from aiokafka.errors import GroupAuthorizationFailedError, KafkaError

from wostream.broker.clients import new_admin
from wostream.config.settings import Settings

TIMEOUT_MS = 10_000


async def refused_groups(settings: Settings) -> list[str]:
    """The groups of this role the broker refuses us. A coordinator not ready yet (a new cluster) is not a
    refusal: the consumers wait for it themselves."""
    admin = new_admin(settings, request_timeout_ms=TIMEOUT_MS)
    await admin.start()
    try:
        refused = []
        for group in settings.groups:
            try:
                await admin.find_coordinator(group)
            except GroupAuthorizationFailedError:
                refused.append(group)
            except KafkaError:
                continue
        return refused
    finally:
        await admin.close()


def group_refusal(settings: Settings, refused: list[str]) -> str:
    """The line /health and the log show."""
    who = f"user {settings.kafka_username!r}" if settings.kafka_username else "this client"
    return (
        f"Kafka refused {who} the consumer group(s) {', '.join(refused)} (GroupAuthorizationFailed): "
        "grant what `wostream kafka acls --role worker` lists"
    )
