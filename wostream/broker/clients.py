"""Every Kafka client of the product is made here, so each one talks to the cluster as it asks: plain, TLS,
SASL (PLAIN, SCRAM-SHA-256/512) over either, or mutual TLS, from the one `Settings` (docs/kafka-security.md).

Retries are slowed down for all of them alike (`RETRY_BACKOFF_MS`, and `pacing` for metadata refreshes, which
no setting reaches): a broker away for half a minute must cost a few log lines and little CPU, not a busy loop
of refused connections.
"""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.helpers import create_ssl_context

from wostream.broker.pacing import pace_metadata_updates
from wostream.config.settings import Settings

RETRY_BACKOFF_MS = 1000  # between two retries of a request that failed (ten times fewer lines than 100)


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    if settings.kafka_security_protocol not in ("SSL", "SASL_SSL"):
        return None
    context: ssl.SSLContext = create_ssl_context(
        cafile=str(settings.kafka_ca_file) if settings.kafka_ca_file else None,
        certfile=str(settings.kafka_cert_file) if settings.kafka_cert_file else None,
        keyfile=str(settings.kafka_key_file) if settings.kafka_key_file else None,
    )
    return context


def security(settings: Settings) -> dict[str, Any]:
    """The options every aiokafka client needs to reach the cluster (no bootstrap)."""
    options: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    context = ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    if settings.kafka_security_protocol.startswith("SASL_"):
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_username
        options["sasl_plain_password"] = settings.kafka_secret()
    return options


def _common(settings: Settings) -> dict[str, Any]:
    pace_metadata_updates()
    return {
        "bootstrap_servers": settings.kafka,
        "retry_backoff_ms": RETRY_BACKOFF_MS,
        **security(settings),
    }


def new_consumer(settings: Settings, *topics: str, **options: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(*topics, **_common(settings), **options)


def new_producer(settings: Settings, **options: Any) -> AIOKafkaProducer:
    return AIOKafkaProducer(**_common(settings), **options)


def new_admin(settings: Settings, **options: Any) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**_common(settings), **options)
