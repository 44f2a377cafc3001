"""One connection with a client's exact settings before any Kafka client starts, turned into one clear line.

aiokafka's clients report a wrong password, a CA that does not sign the broker's certificate or a wrong
security protocol only as `Unable to bootstrap from [...]`, the reason being in a log line of their own; an
operator must read which it is at once. `None` when the broker takes us.
"""

from __future__ import annotations

import asyncio
import ssl

from aiokafka.conn import create_conn
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)
from aiokafka.protocol.metadata import MetadataRequest

from wostream.broker.clients import security
from wostream.config.settings import Settings

TIMEOUT = 10.0


async def refusal(settings: Settings) -> str | None:
    """None as soon as one broker of `settings.kafka` takes us (a client bootstraps from any of them: one
    broker down in a rolling restart must not hold a worker's start); else why the first does not."""
    servers = [s.strip() for s in settings.kafka.split(",") if s.strip()]
    first = None
    for server in servers:
        why = await _refusal_of(server, settings)
        if why is None:
            return None
        first = first or why
    return first


async def _refusal_of(first: str, settings: Settings) -> str | None:
    """Why the broker at `first` (host:port) does not take us, in one line, or None."""
    host, _, port = first.rpartition(":")
    who = (
        f"user {settings.kafka_username!r} ({settings.kafka_sasl_mechanism})"
        if settings.kafka_security_protocol.startswith("SASL_")
        else settings.kafka_security_protocol
    )
    where = f"Kafka {first} ({settings.kafka_security_protocol})"
    try:
        timeout_ms = int(TIMEOUT * 1000)
        connecting = create_conn(host, int(port), request_timeout_ms=timeout_ms, **security(settings))
        conn = await asyncio.wait_for(connecting, TIMEOUT)
    except SaslAuthenticationFailed:
        return f"{where} refused {who}: unknown user or wrong password"
    except UnsupportedSaslMechanismError as exc:
        return f"{where}: the mechanism {settings.kafka_sasl_mechanism} is not enabled there ({exc})"
    except ssl.SSLCertVerificationError as exc:
        return f"{where}: the broker's certificate is not trusted ({exc.verify_message}): check kafka_ca_file"
    except ssl.SSLError as exc:
        return f"{where}: the TLS handshake failed ({exc.reason}): a client certificate missing or refused?"
    except ConnectionRefusedError:
        return f"{where}: connection refused (the broker is down, or the address is wrong)"
    except KafkaConnectionError as exc:
        return f"{where}: the broker closed the connection ({exc}): another security protocol on this port?"
    except (OSError, TimeoutError) as exc:
        return f"{where}: cannot connect: {type(exc).__name__}: {exc}"
    try:
        await asyncio.wait_for(conn.send(MetadataRequest([])), TIMEOUT)
    except (KafkaError, OSError, TimeoutError) as exc:
        return f"{where}: the broker closed the connection on the first request ({type(exc).__name__}): SASL?"
    finally:
        conn.close()
    return None
