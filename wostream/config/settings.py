"""One typed settings object, read from WOSTREAM_* environment variables (injectable in tests)."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

ETC = Path(str(files("wostream") / "etc"))  # Ice property files installed with the package


def topic_prefix(v: str) -> str:
    if not v or any(c.isspace() for c in v):
        raise ValueError("must be a non-empty topic prefix without spaces")
    return v


TopicPrefix = Annotated[str, AfterValidator(topic_prefix)]


def names(v: Any) -> Any:
    """`a,b` or `["a", "b"]`: a list in an environment variable is written both ways."""
    if isinstance(v, str):
        text = v.strip()
        if text.startswith("["):
            return json.loads(text)
        return [name.strip() for name in text.split(",") if name.strip()]
    return v


class Settings(BaseSettings):
    """Deployment settings. Topic names default to DESIGN.md's; every field is WOSTREAM_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="WOSTREAM_", extra="ignore")

    app_id: str = "wostream"
    role: Literal["all", "route", "deliver"] = Field(
        "all",
        description="route: raw events to push topics (Faust); deliver: push topics to callbacks; all: both",
    )
    event_loop: Literal["aio", "uvloop"] = Field(
        "aio", description="the worker's asyncio loop: Python's own, or uvloop (BENCHMARKS.md measures both)"
    )
    kafka: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers, host:port[,host:port]")
    # How every Kafka client (Faust's and ours) talks to the cluster: as it asks (docs/kafka-security.md).
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_username: str | None = Field(None, description="SASL user (the worker's principal)")
    kafka_password: SecretStr | None = Field(None, description="SASL password; or kafka_password_file")
    kafka_password_file: Path | None = Field(None, description="a file holding the SASL password (k8s)")
    kafka_ca_file: Path | None = Field(None, description="CA (PEM) to check the brokers; default: system's")
    kafka_cert_file: Path | None = Field(None, description="client certificate (PEM) for mutual TLS")
    kafka_key_file: Path | None = Field(None, description="its private key (PEM)")
    partitions: int = Field(
        8, ge=1, description="partitions of wo.events (and its re-keyed copy and the tickets table)"
    )
    push_partitions: int = Field(
        1, ge=1, le=64, description="partitions of a subscriber's push topic unless its subscription says"
    )
    replication: int = Field(1, ge=1)

    raw_topic: str = "wo.events"
    quarantine_topic: str = "wo.events.quarantine"
    rekey_topic: str = Field("wo.events.by-ticket", description="raw events re-keyed by their ticket")
    latest_topic: str = Field("wo.tickets.latest", description="the latest event of each kind of each ticket")
    push_prefix: TopicPrefix = "wo.push."
    dead_prefix: TopicPrefix = "wo.dead."
    subscriptions_topic: str = "wostream.config.subscriptions"
    idmaps_topic: str = "wostream.config.idmaps"
    callbacks_topic: str = "wostream.callbacks"
    retries_topic: str = "wostream.retries"

    ticket_memory: bool = Field(True, description="fill what an event lacks from its ticket's earlier events")
    ticket_ttl: float = Field(30 * 86400.0, gt=0, description="seconds an ended ticket is remembered")
    sweep_interval: float = Field(3600.0, gt=0, description="seconds between sweeps of expired tickets")
    store: str = Field("rocksdb://", description="Faust table store: rocksdb:// (on disk) or memory://")
    ice_config: Path = ETC / "worker.properties"
    max_sessions: int = Field(4, ge=1, le=100, description="concurrent sessions one subscriber may hold")
    resync_every: float = Field(
        60.0, ge=1.0, description="seconds between two resyncs a subscriber may ask for"
    )
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    web_allowed_hosts: Annotated[list[str], NoDecode, BeforeValidator(names)] = Field(
        ["localhost"],
        description="Host names the web port answers besides IP literals (comma-separated, or a JSON list)",
    )
    datadir: Path = Path(".wostream/worker")

    push_timeout_ms: int = Field(10_000, ge=100, description="Ice invocation timeout of one push")
    retry_attempts: int = Field(12, ge=1)
    retry_initial: float = Field(1.0, gt=0)
    retry_max: float = Field(300.0, gt=0)
    in_flight_per_partition: int = Field(256, ge=1, description="records held in memory per push partition")
    tickets_in_flight: int = Field(16, ge=1, description="tickets pushed concurrently per push partition")
    batches: bool = Field(True, description="push batches to subscribers that implement BatchSubscriber")
    batch_max: int = Field(200, ge=1, le=10_000, description="messages in one pushBatch")
    batch_bytes: int = Field(
        512 * 1024,
        ge=1024,
        le=900 * 1024,
        description="bytes of messages in one pushBatch (one may exceed it)",
    )
    commit_interval: float = Field(1.0, gt=0)
    session_timeout: float = Field(
        6.0,
        ge=6.0,
        le=300.0,
        description="seconds before a silent worker's partitions move to others (the broker's minimum: 6)",
    )
    route_in_flight: int = Field(4000, ge=1, description="raw events routed, not yet confirmed")
    # Below the producer's 1 MiB request limit and the broker's message.max.bytes, with room for framing.
    max_record_bytes: int = Field(1_000_000, ge=10_000, le=1_040_000, description="largest record we write")
    status_interval: float = Field(
        5.0, gt=0, description="seconds between two polls of every subscriber's figures"
    )
    stall_seconds: float = Field(
        120.0, gt=0, description="/health turns 503 when a raw event waits this long to be handed on"
    )

    @model_validator(mode="after")
    def _kafka_security(self) -> Settings:
        problem = kafka_security_problem(self)
        if problem is not None:
            raise ValueError(problem)
        return self

    def kafka_secret(self) -> str | None:
        """The SASL password, from the setting or its file (read when a client is made: a rotated Secret
        takes effect at the next connection)."""
        if self.kafka_password is not None:
            return self.kafka_password.get_secret_value()
        if self.kafka_password_file is not None:
            return self.kafka_password_file.read_text(encoding="utf-8").strip()
        return None

    @property
    def routes(self) -> bool:
        return self.role in ("all", "route")

    @property
    def delivers(self) -> bool:
        return self.role in ("all", "deliver")

    @property
    def broker_url(self) -> str:
        """Faust wants kafka:// URLs; one per bootstrap server."""
        return ";".join(f"kafka://{h.strip()}" for h in self.kafka.split(",") if h.strip())

    @property
    def groups(self) -> list[str]:
        """The consumer groups this role joins: Faust's (the app id) to route, its own to deliver."""
        return [self.app_id] * self.routes + [f"{self.app_id}-deliver"] * self.delivers

    @property
    def tickets_changelog(self) -> str:
        """Faust's changelog of the tickets table (what resync reads ticket memory from)."""
        return f"{self.app_id}-tickets-changelog"

    def push_topic(self, base_code: str) -> str:
        return f"{self.push_prefix}{base_code}"

    def dead_topic(self, base_code: str) -> str:
        return f"{self.dead_prefix}{base_code}"

    def base_code_of(self, topic: str) -> str | None:
        """The subscriber a push topic belongs to, or None for any other topic."""
        if topic.startswith(self.push_prefix):
            return topic[len(self.push_prefix) :]
        return None


def kafka_security_problem(s: Settings) -> str | None:
    """Why the Kafka security settings do not fit together, or None."""
    protocol = s.kafka_security_protocol
    password = s.kafka_password or s.kafka_password_file
    if protocol.startswith("SASL_") and not (s.kafka_username and password):
        return (
            f"kafka_security_protocol {protocol} needs kafka_username and kafka_password "
            "(or kafka_password_file)"
        )
    if (s.kafka_cert_file is None) != (s.kafka_key_file is None):
        return "kafka_cert_file and kafka_key_file go together (mutual TLS)"
    if protocol not in ("SSL", "SASL_SSL") and (s.kafka_ca_file or s.kafka_cert_file):
        return f"TLS files are set but kafka_security_protocol is {protocol}"
    return None


def settings_problems(exc: Exception) -> list[str] | None:
    """One line per wrong setting, named as the operator sets it (`WOSTREAM_WEB_PORT: ...`), for a
    `ValidationError` or `SettingsError` of `Settings()`; None for any other exception."""
    if isinstance(exc, ValidationError):
        lines = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            where = f"WOSTREAM_{field.upper()}: " if field else ""
            lines.append(f"{where}{error['msg'].removeprefix('Value error, ')}")
        return lines
    if isinstance(exc, SettingsError):
        named = re.search(r'field "(\w+)"', str(exc))
        return [f"WOSTREAM_{named.group(1).upper()}: cannot be read" if named else str(exc)]
    return None
