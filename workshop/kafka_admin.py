"""Making principals and granting ACLs from Python, for the workshop's secured broker.

aiokafka 0.14's admin client has no call for either, and Kafka's own tools cost a JVM start per command (nine
commands, ~20 s, for one ACL set). So the two requests are sent through the admin client's connection: SCRAM
credentials (AlterUserScramCredentials v0, KIP-554; the client derives the salted password) and ACLs
(CreateAcls v1, every binding in one request; the broker no longer accepts v0). Uses aiokafka's internal
`_send_request`, pinned with aiokafka 0.14.0: workshop code only, never the product's.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import CreateAclsRequest_v1
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    CompactArray,
    CompactBytes,
    CompactString,
    Int8,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)

from wostream.broker.acls import Binding

RESOURCE = {"topic": 2, "group": 3}
PATTERN = {"literal": 3, "prefixed": 4}
OPERATION = {"Read": 3, "Write": 4, "Create": 5, "Describe": 8}
ALLOW = 3
SCRAM = {"SCRAM-SHA-256": (1, "sha256"), "SCRAM-SHA-512": (2, "sha512")}


class _CreateAcls(Request[CreateAclsRequest_v1]):  # type: ignore[misc]
    API_KEY = 30

    def __init__(self, creations: list[tuple[Any, ...]]) -> None:
        self.creations = creations

    def build(self, cls: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return cls(self.creations)


class _ScramResponse(Response):  # type: ignore[misc]
    API_KEY = 51
    API_VERSION = 0
    FLEXIBLE_VERSION = True
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            CompactArray(
                ("user", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _ScramRequest(RequestStruct):  # type: ignore[misc]
    API_KEY = 51
    API_VERSION = 0
    FLEXIBLE_VERSION = True
    RESPONSE_TYPE = _ScramResponse
    SCHEMA = Schema(
        (
            "deletions",
            CompactArray(("name", CompactString("utf-8")), ("mechanism", Int8), ("tags", TaggedFields)),
        ),
        (
            "upsertions",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterScram(Request[_ScramRequest]):  # type: ignore[misc]
    API_KEY = 51

    def __init__(self, upsertions: list[tuple[Any, ...]]) -> None:
        self.upsertions = upsertions

    def build(self, cls: type[_ScramRequest]) -> _ScramRequest:
        return cls([], self.upsertions, {})


async def upsert_users(admin: AIOKafkaAdminClient, users: dict[str, str], iterations: int = 4096) -> None:
    """Create or re-key SCRAM users (both mechanisms; the broker takes one mechanism per user per request)."""
    for mechanism in SCRAM:
        code, digest = SCRAM[mechanism]
        ups: list[tuple[Any, ...]] = []
        for name, password in users.items():
            salt = os.urandom(32)
            salted = hashlib.pbkdf2_hmac(digest, password.encode(), salt, iterations)
            ups.append((name, code, iterations, salt, salted, {}))
        response = await admin._send_request(_AlterScram(ups))
        failed = [r for r in response.results if r[1]]
        if failed:
            raise RuntimeError(f"making SCRAM users failed: {failed}")


async def grant(admin: AIOKafkaAdminClient, principal: str, bindings: list[Binding]) -> None:
    """Allow `User:principal` what `bindings` say, in one request."""
    creations = [
        (RESOURCE[b.resource], b.name, PATTERN[b.pattern], f"User:{principal}", "*", OPERATION[op], ALLOW)
        for b in bindings
        for op in b.operations
    ]
    response = await admin._send_request(_CreateAcls(creations))
    failed = [(c, e, m) for c, (e, m) in zip(creations, response.creation_responses, strict=True) if e]
    if failed:
        raise RuntimeError(f"granting ACLs failed: {failed}")
