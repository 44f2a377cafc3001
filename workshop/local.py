"""One local stack: glacier2router(s), wostream workers and reference subscribers as real processes.

`wostream-dev up`, the integration tests, the benchmarks and the soak all start their components through this
one class, so they run exactly the same processes with the same configuration. Worker configuration is a
`Settings` object turned into `WOSTREAM_*` variables (nothing lists them by hand); each process runs in its
own process group and is stopped by pid, even when a caller fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workshop.certs import Certs, make_certs
from workshop.stack import Managed, Router, free_port
from workshop.workload import poll
from wostream.config.settings import ETC, Settings

WOSTREAM = [sys.executable, "-m", "wostream.cli"]


def settings_env(settings: Settings) -> dict[str, str]:
    """The `WOSTREAM_*` variables that make a worker see `settings` (the fields that differ from defaults)."""
    values = settings.model_dump(exclude_defaults=True, mode="json")
    return {f"WOSTREAM_{name.upper()}": str(value) for name, value in values.items()}


def isolated(kafka: str, uid: str, partitions: int = 4, push_partitions: int = 4, **more: Any) -> Settings:
    """Settings whose topics and groups belong to one stack only, so stacks sharing a broker never meet."""
    p = f"t{uid}"
    return Settings(
        kafka=kafka,
        app_id=p,
        partitions=partitions,
        push_partitions=push_partitions,
        raw_topic=f"{p}.wo.events",
        quarantine_topic=f"{p}.wo.events.quarantine",
        rekey_topic=f"{p}.wo.events.by-ticket",
        latest_topic=f"{p}.wo.tickets.latest",
        push_prefix=f"{p}.wo.push.",
        dead_prefix=f"{p}.wo.dead.",
        subscriptions_topic=f"{p}.subscriptions",
        idmaps_topic=f"{p}.idmaps",
        callbacks_topic=f"{p}.callbacks",
        retries_topic=f"{p}.retries",
        **({"status_interval": 1.0} | more),  # tests want the figures soon
    )


@dataclass
class SubscriberProcess:
    """A reference subscriber (`wostream subscriber`) whose stdout lines are the envelopes it received."""

    base_code: str
    out: Path
    err: Path
    proc: subprocess.Popen[bytes]

    def lines(self) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        text = self.out.read_text(encoding="utf-8")
        complete = text[: text.rfind("\n") + 1]  # a line still being written is read next time
        return [json.loads(line) for line in complete.splitlines() if line.strip()]

    def stderr(self) -> str:
        return self.err.read_text(encoding="utf-8") if self.err.exists() else ""

    def wait_subscribed(self, timeout: float = 30.0) -> None:
        poll(
            lambda: "subscribed as" in self.stderr() or self.proc.poll() is not None,
            timeout,
            f"{self.base_code} to subscribe",
        )
        assert self.proc.poll() is None, f"subscriber {self.base_code} exited: {self.stderr()}"

    def wait_count(self, n: int, timeout: float = 60.0) -> list[dict[str, Any]]:
        def enough() -> list[dict[str, Any]] | None:
            lines = self.lines()
            return lines if len(lines) >= n else None

        got: list[dict[str, Any]] = poll(enough, timeout, f"{n} messages at {self.base_code}")
        return got

    def stop(self) -> None:
        stop_group(self.proc)


def stop_group(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, 15)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait(timeout)
    except ProcessLookupError:
        pass


@dataclass
class RouterPorts:
    client: int = field(default_factory=free_port)
    server: int = field(default_factory=free_port)


@dataclass
class LocalStack:
    """Routers, workers and subscribers around one Kafka; `settings` configures every worker.

    Every link is TLS with the local CA of `certs` (made on first use): subscribers check the router, the
    router and the workers check each other (SECURITY.md).
    """

    settings: Settings
    workdir: Path
    router_ports: list[RouterPorts] = field(default_factory=lambda: [RouterPorts()])
    adapter_ports: list[int] = field(default_factory=lambda: [free_port(), free_port()])
    uid: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    workers: dict[str, Managed] = field(default_factory=dict)
    web_ports: dict[str, int] = field(default_factory=dict)
    routers: dict[int, Router] = field(default_factory=dict)
    subscribers: list[SubscriberProcess] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    certs_dir: Path | None = None

    @property
    def kafka(self) -> str:
        return self.settings.kafka

    @property
    def certs(self) -> Certs:
        return make_certs(self.certs_dir or self.workdir / "certs")

    @property
    def router(self) -> Router | None:
        """The first router (most stacks have one)."""
        return self.routers.get(0)

    def router_proxy(self, index: int | None = 0) -> str:
        """One router's proxy, or (None) one with every router's endpoint, in order: a client fails over."""
        chosen = self.router_ports if index is None else [self.router_ports[index]]
        return "wostream/router:" + ":".join(f"ssl -h 127.0.0.1 -p {p.client}" for p in chosen)

    def env(self, **more: str) -> dict[str, str]:
        return {**settings_env(self.settings), **self.extra_env, **more}

    # -- components ------------------------------------------------------------------------------------

    def adapter_endpoints(self) -> str:
        return ":".join(f"ssl -h 127.0.0.1 -p {p}" for p in self.adapter_ports)

    def start_router(self, index: int = 0, **overrides: str) -> Router:
        ports = self.router_ports[index]
        router = Router(
            self.router_config(),
            self.workdir / f"router{index or ''}.log",
            overrides={
                "Glacier2.Client.Endpoints": f"ssl -h 127.0.0.1 -p {ports.client}",
                "Glacier2.Server.Endpoints": f"ssl -h 127.0.0.1 -p {ports.server}",
                "Glacier2.PermissionsVerifier": f"wostream/PermissionsVerifier:{self.adapter_endpoints()}",
                "Glacier2.SessionManager": f"wostream/SessionManager:{self.adapter_endpoints()}",
                "Glacier2.Filter.Address.Accept": " ".join(f"127.0.0.1:{p}" for p in self.adapter_ports),
                "IceSSL.DefaultDir": str(self.certs.folder),
                **overrides,
            },
            client_port=ports.client,
            command=self.router_command(f"router{index}"),
        )
        router.start()
        self.routers[index] = router
        return router

    # -- how components run: processes of this machine (a ContainerStack runs them in containers) ---------

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

    def start_worker(self, name: str = "w1", index: int = 0) -> Managed:
        web = self.web_ports.setdefault(name, free_port())
        env = self.env(
            WOSTREAM_ICE_CONFIG=str(self.worker_properties(name, index)),
            WOSTREAM_WEB_PORT=str(web),
            WOSTREAM_DATADIR=str(self.workdir / name),
        )
        args, full = self.wostream_command(name, ["worker"], env)
        worker = Managed(name, args, self.workdir / f"{name}.log", full)
        worker.start()
        self.workers[name] = worker
        return worker

    def wait_ready(self, name: str = "w1", timeout: float = 90.0) -> None:
        worker = self.workers[name]

        def ready() -> bool:
            assert worker.alive(), f"worker {name} exited:\n{self.log(name)[-3000:]}"
            try:
                with urllib.request.urlopen(f"{self.web(name)}/health", timeout=1) as r:
                    return bool(r.status == 200)
            except OSError:
                return False

        poll(ready, timeout, f"worker {name} ready", interval=0.3)

    def web(self, name: str = "w1") -> str:
        return f"http://127.0.0.1:{self.web_ports[name]}"

    def get_json(self, path: str, name: str = "w1") -> Any:
        with urllib.request.urlopen(f"{self.web(name)}{path}", timeout=5) as r:
            return json.loads(r.read())

    def get_text(self, path: str, name: str = "w1") -> str:
        with urllib.request.urlopen(f"{self.web(name)}{path}", timeout=5) as r:
            return str(r.read().decode("utf-8"))

    def log(self, name: str = "w1") -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def cli(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """`wostream ARGS` in a child process configured like the workers."""
        command, full = self.wostream_command("cli", list(args), {**self.env(), **(env or {})})
        done = subprocess.run(command, input=input, capture_output=True, text=True, timeout=180, env=full)
        if check and done.returncode != 0:
            raise AssertionError(f"wostream {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
        return done

    def subscriber(self, base_code: str, secret: str, *flags: str) -> SubscriberProcess:
        """A reference subscriber given every router (in order: the first while it answers)."""
        n = len(self.subscribers)
        out, err = self.workdir / f"sub{n}-{base_code}.jsonl", self.workdir / f"sub{n}-{base_code}.err"
        router = ["--router", self.router_proxy(None), "--ca", str(self.certs.ca_file)]
        args, env = self.wostream_command(
            f"sub{n}",
            ["subscriber", "--base-code", base_code, *router, *flags],
            {"WOSTREAM_SUBSCRIBER_SECRET": secret},
        )
        with open(out, "wb") as o, open(err, "wb") as e:
            proc = subprocess.Popen(
                args, stdout=o, stderr=e, stdin=subprocess.DEVNULL, start_new_session=True, env=env
            )
        sub = SubscriberProcess(base_code, out, err, proc)
        self.subscribers.append(sub)
        return sub

    def alive(self) -> bool:
        """Every worker and router still running."""
        routers = all(r.process is not None and r.process.alive() for r in self.routers.values())
        return routers and all(w.alive() for w in self.workers.values())

    def stop(self) -> None:
        for sub in self.subscribers:
            sub.stop()
        for worker in self.workers.values():
            worker.stop(30)
        for router in self.routers.values():
            router.stop()
