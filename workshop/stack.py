"""The local stack's processes, started and stopped by pid, and the real glacier2router among them (Kafka is
`workshop.kafka`).

Used by `wostream-dev up` and by the integration tests, so both run exactly the same components. Each process
runs in its own session (process group); stopping sends SIGTERM to that group, then SIGKILL after a
deadline, so no JVM or router outlives the command that started it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

CACHE = Path(os.environ.get("WOSTREAM_CACHE", Path.home() / ".cache" / "wostream"))


class StackError(RuntimeError):
    """A component could not be installed or started; the message says which and what to look at."""


def ephemeral_low(path: Path = Path("/proc/sys/net/ipv4/ip_local_port_range")) -> int:
    """The lowest port the kernel hands to outgoing connections (32768 where it cannot be read)."""
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_CURSOR = itertools.count(random.Random(os.getpid()).randrange(1 << 16))


def free_port(low: int = 10000, high: int | None = None) -> int:
    """A port to listen on later, below the kernel's ephemeral range.

    A port the kernel picked with `bind(0)` comes from the ephemeral range, so between the pick and the
    server's bind any outgoing connection (a Kafka client, an Ice call) may take it as its local port: a CI
    run lost a worker to "Address already in use" that way. Below that range only listeners take ports;
    the cursor (started from the pid) keeps one process from handing the same port out twice.
    """
    high = ephemeral_low() if high is None else high
    span = max(high - low, 1)
    for _ in range(span):
        port = low + next(_CURSOR) % span
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise StackError(f"no free port on 127.0.0.1 between {low} and {high}")


def wait_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StackError(f"{what} exited with code {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise StackError(f"{what} not listening on 127.0.0.1:{port} after {timeout:.0f} s")


@dataclass
class Managed:
    """A child process in its own process group, with its output in a log file."""

    name: str
    args: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115  (owned by the child for its lifetime)
        env = None if self.env is None else {**os.environ, **self.env}
        self.proc = subprocess.Popen(
            self.args,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        log.close()

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 15.0, sig: int = signal.SIGTERM) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


@dataclass
class Router:
    """The real glacier2router (Debian's zeroc-glacier2), configured from a property file plus overrides."""

    config: Path
    log_path: Path
    overrides: dict[str, str] = field(default_factory=dict)
    client_port: int = 4063
    command: list[str] | None = None  # how to run glacier2router (default: the machine's; or a container)
    process: Managed | None = field(default=None, init=False)

    def start(self, timeout: float = 20.0) -> None:
        command = self.command
        if command is None:
            binary = shutil.which("glacier2router")
            if binary is None:
                raise StackError(
                    "glacier2router not found: install Debian's zeroc-glacier2 (scripts/setup.sh does)"
                )
            command = [binary]
        args = [*command, f"--Ice.Config={self.config}", *(f"--{k}={v}" for k, v in self.overrides.items())]
        self.process = Managed("glacier2router", args, self.log_path)
        self.process.start()
        wait_port(self.client_port, timeout, self.process.proc, "glacier2router")

    def stop(self, timeout: float = 10.0, sig: int = signal.SIGTERM) -> None:
        if self.process is not None:
            self.process.stop(timeout, sig)
