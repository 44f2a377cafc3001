"""How the components of a local stack find and trust each other: the routers' and workers' ports, the
local CA, the property files laid over the packaged ones, and the worker's environment.

Every link is TLS with the local CA of `certs` (made on first use): subscribers check the router, the router
and the workers check each other (SECURITY.md).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from workshop.access import Access
from workshop.certs import Certs, make_certs
from workshop.stack import free_port
from wostream.config.settings import ETC, Settings

WOSTREAM = [sys.executable, "-m", "wostream.cli"]


def settings_env(settings: Settings) -> dict[str, str]:
    """The `WOSTREAM_*` variables that make a worker see `settings` (the fields that differ from defaults)."""
    values = settings.model_dump(exclude_defaults=True, mode="json")
    return {
        f"WOSTREAM_{name.upper()}": json.dumps(value) if isinstance(value, list | dict) else str(value)
        for name, value in values.items()
    }


@dataclass
class RouterPorts:
    client: int = field(default_factory=free_port)
    server: int = field(default_factory=free_port)


@dataclass
class Wiring:
    settings: Settings
    workdir: Path
    router_ports: list[RouterPorts] = field(default_factory=lambda: [RouterPorts()])
    adapter_ports: list[int] = field(default_factory=lambda: [free_port(), free_port()])
    extra_env: dict[str, str] = field(default_factory=dict)
    certs_dir: Path | None = None
    access: Access | None = None  # how the workshop reaches the broker as its admin (None: as the workers)
    _operator: Settings | None = field(default=None, init=False, repr=False)

    @property
    def kafka(self) -> Settings:
        """How the workshop itself reads and writes the stack's topics (what tests check): as the admin."""
        return self.access.as_admin(self.settings) if self.access is not None else self.settings

    @property
    def operator(self) -> Settings:
        """The CLI's settings: the stack's names, as an operator principal with the operator's ACLs."""
        if self._operator is None:
            if self.access is None:
                self._operator = self.settings
            else:
                name = f"{self.settings.app_id}-operator"
                self._operator = self.access.principal(name, "operator", self.settings)
        return self._operator

    @property
    def certs(self) -> Certs:
        return make_certs(self.certs_dir or self.workdir / "certs")

    def router_proxy(self, index: int | None = 0) -> str:
        """One router's proxy, or (None) one with every router's endpoint, in order: a client fails over."""
        chosen = self.router_ports if index is None else [self.router_ports[index]]
        return "wostream/router:" + ":".join(f"ssl -h 127.0.0.1 -p {p.client}" for p in chosen)

    def env(self, **more: str) -> dict[str, str]:
        # WOSTREAM_ENV_FILE empty: a developer's own `.wostream/wostream.env` never leaks into the stack
        return {**settings_env(self.settings), "WOSTREAM_ENV_FILE": "", **self.extra_env, **more}

    def adapter_endpoints(self) -> str:
        return ":".join(f"ssl -h 127.0.0.1 -p {p}" for p in self.adapter_ports)

    def router_overrides(self, index: int) -> dict[str, str]:
        """Router `index`'s endpoints and the adapters it may reach, over the packaged properties."""
        ports = self.router_ports[index]
        return {
            "Glacier2.Client.Endpoints": f"ssl -h 127.0.0.1 -p {ports.client} -t 10000",
            "Glacier2.Server.Endpoints": f"ssl -h 127.0.0.1 -p {ports.server}",
            "Glacier2.PermissionsVerifier": f"wostream/PermissionsVerifier:{self.adapter_endpoints()}",
            "Glacier2.SessionManager": f"wostream/SessionManager:{self.adapter_endpoints()}",
            "Glacier2.Filter.Address.Accept": " ".join(f"127.0.0.1:{p}" for p in self.adapter_ports),
            "IceSSL.DefaultDir": str(self.certs.folder),
        }

    # how components run: processes of this machine (a ContainerStack runs them in containers)

    def router_config(self) -> Path:
        return ETC / "glacier2router.properties"

    def router_command(self, name: str) -> list[str] | None:
        """glacier2router's command line before its options; None: the machine's own."""
        return None

    def wostream_command(
        self, name: str, args: list[str], env: dict[str, str]
    ) -> tuple[list[str], dict[str, str]]:
        """The command line and environment that run `wostream ARGS` with `env` (WOSTREAM_* and the like)."""
        return [*WOSTREAM, *args], {**os.environ, **env}

    def worker_properties(self, name: str, index: int) -> Path:
        """The packaged worker.properties with this stack's ports and certificates laid over it."""
        servers = ":".join(f"ssl -h 127.0.0.1 -p {r.server}" for r in self.router_ports)
        overrides = {
            "Wostream.Endpoints": f"ssl -h 127.0.0.1 -p {self.adapter_ports[index]}",
            "Wostream.RouterServerEndpoints": servers,
            "IceSSL.DefaultDir": str(self.certs.folder),
        }
        config = self.workdir / f"{name}.properties"
        base = (ETC / "worker.properties").read_text(encoding="utf-8")
        config.write_text(base + "".join(f"{k}={v}\n" for k, v in overrides.items()), encoding="utf-8")
        return config
