"""How the workshop reaches its secured broker: as the admin (to make principals, grant ACLs, and produce and
read what tests check), and as the principals it makes, each with the ACLs `wostream.broker.acls` documents.

Passwords live in files beside the broker's data (never in a process's environment or arguments); a saved
`Access` (`access.json`) lets tests reuse a running broker (`WOSTREAM_TEST_KAFKA=<data>/access.json`).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from workshop.kafka_admin import grant, upsert_users
from wostream.broker.acls import bindings
from wostream.broker.clients import new_admin
from wostream.config.settings import Settings


@dataclass(frozen=True)
class Access:
    bootstrap: str
    ca_file: Path
    admin: str
    admin_password_file: Path
    secrets_dir: Path

    def client(self, user: str, password_file: Path, base: Settings | None = None) -> Settings:
        """`base` (or defaults) reaching this broker as `user`."""
        values: dict[str, Any] = {
            "kafka": self.bootstrap,
            "kafka_security_protocol": "SASL_SSL",
            "kafka_sasl_mechanism": "SCRAM-SHA-512",
            "kafka_username": user,
            "kafka_password_file": password_file,
            "kafka_ca_file": self.ca_file,
        }
        return Settings(**values) if base is None else base.model_copy(update=values)

    def as_admin(self, base: Settings | None = None) -> Settings:
        return self.client(self.admin, self.admin_password_file, base)

    def principal(self, name: str, role: str, base: Settings, skip: str | None = None) -> Settings:
        """A new principal `name` with the ACLs of `role` for `base`'s names (none on resources of the kind
        `skip`, "topic" or "group"), and `base` reaching it as it."""
        password = secrets.token_urlsafe(24)
        path = self.secrets_dir / f"{name}.password"
        path.write_text(password, encoding="utf-8")
        path.chmod(0o600)
        settings = self.client(name, path, base)
        asyncio.run(self._make(name, password, role, settings, skip))
        return settings

    def grant(self, name: str, role: str, settings: Settings) -> None:
        """Give the existing principal `name` the ACLs of `role` for `settings`' names (on top of its own)."""
        asyncio.run(self._make(name, None, role, settings))

    async def _make(
        self, name: str, password: str | None, role: str, settings: Settings, skip: str | None = None
    ) -> None:
        admin = new_admin(self.as_admin(), request_timeout_ms=15_000)
        await admin.start()
        try:
            if password is not None:
                await upsert_users(admin, {name: password})
            await grant(admin, name, [b for b in bindings(role, settings) if b.resource != skip])
        finally:
            await admin.close()

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({k: str(v) for k, v in asdict(self).items()}, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Access:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            doc["bootstrap"],
            Path(doc["ca_file"]),
            doc["admin"],
            Path(doc["admin_password_file"]),
            Path(doc["secrets_dir"]),
        )
