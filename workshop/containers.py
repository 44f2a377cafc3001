"""The local stack with its router, workers, CLI and subscribers running from the images (`scripts/image.sh`).

Kafka stays on the machine. Containers use the host's network (`--network host`, ports on 127.0.0.1 as in the
local stack) and see the stack's folder and certificates at the same paths, so every file a property file
names resolves in and out of them. They run as the images' non-root user.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from workshop.local import LocalStack
from workshop.stack import CACHE

WORKER_IMAGE = "localhost/wostream:0.1.0"
ROUTER_IMAGE = "localhost/wostream-glacier2:3.7.8"
CONTAINERS_CONF = CACHE / "containers.conf"  # written by scripts/image.sh


def podman_env() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}


def podman(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["podman", *args], capture_output=True, text=True, env=podman_env(), check=check, timeout=timeout
    )


@dataclass
class ContainerStack(LocalStack):
    def __post_init__(self) -> None:
        os.environ.setdefault("CONTAINERS_CONF", str(CONTAINERS_CONF))  # every podman this process starts
        # the images run as uid 10001: the folder is theirs to write, the test CA's files theirs to read
        self.workdir.chmod(0o777)
        for path in self.certs.folder.iterdir():
            path.chmod(0o644)
        self.certs.folder.chmod(0o755)

    def container(self, name: str) -> str:
        return f"wostream-{self.uid}-{name}"

    def _mounts(self) -> list[str]:
        config = self.router_config()
        return [
            *("-v", f"{self.workdir}:{self.workdir}"),
            *("-v", f"{self.certs.folder}:{self.certs.folder}:ro"),
            *("-v", f"{config}:{config}:ro"),
            *(item for path in self._kafka_files() for item in ("-v", f"{path}:{path}:ro")),
        ]

    def _kafka_files(self) -> list[Path]:
        """The broker's CA and the stack's principals' password files, at the same paths inside, readable by
        the images' user (uid 10001): a test broker's, made for this stack."""
        if self.access is None:
            return []
        files = {self.access.ca_file}
        for settings in (self.settings, self.operator):
            if settings.kafka_password_file is not None:
                files.add(settings.kafka_password_file)
        for path in files:
            path.chmod(0o644)
        return sorted(files)

    def router_command(self, name: str) -> list[str] | None:
        return [
            "podman",
            "run",
            "--rm",
            "--name",
            self.container(name),
            "--network",
            "host",
            *self._mounts(),
            ROUTER_IMAGE,
        ]

    def wostream_command(
        self, name: str, args: list[str], env: dict[str, str]
    ) -> tuple[list[str], dict[str, str]]:
        pairs = [item for key, value in env.items() for item in ("-e", f"{key}={value}")]
        interactive = ["-i"] if name == "cli" else []
        command = [
            *("podman", "run", "--rm", *interactive, "--name", self.container(name), "--network", "host"),
            *pairs,
            *self._mounts(),
            WORKER_IMAGE,
            *args,
        ]
        return command, podman_env()

    def stop_container(self, name: str, grace: int) -> None:
        podman("stop", "-t", str(grace), self.container(name), check=False, timeout=grace + 30)

    def stop(self) -> None:
        super().stop()
        names = [self.container(n) for n in [*self.workers, *(f"router{i}" for i in self.routers)]]
        names += [self.container(f"sub{n}") for n in range(len(self.subscribers))]
        podman("rm", "-f", "-t", "2", *names, check=False)


def images_present() -> bool:
    return all(
        podman("image", "exists", image, check=False).returncode == 0
        for image in (WORKER_IMAGE, ROUTER_IMAGE)
    )


def assert_images() -> None:
    if not Path("/usr/bin/podman").exists() or not images_present():
        raise AssertionError("the images are not built: run scripts/image.sh (scripts/test.sh does)")
