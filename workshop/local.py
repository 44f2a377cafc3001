"""One local stack: glacier2router(s), wostream workers and reference subscribers as real processes.

`wostream-dev up`, the integration tests, the benchmarks and the soak all start their components through this
one class, so they run exactly the same processes with the same configuration. Worker configuration is a
`Settings` object turned into `WOSTREAM_*` variables (nothing lists them by hand); each process runs in its
own process group and is stopped by pid, even when a caller fails.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

from workshop.access import Access
from workshop.stack import Managed, Router, free_port
from workshop.subscribers import SubscriberProcess
from workshop.wiring import Wiring, settings_env
from workshop.workload import poll
from wostream.broker.topics import core_topics, ensure_topics, faust_topics
from wostream.config.settings import Settings


def isolated(
    access: Access, uid: str, partitions: int = 4, push_partitions: int = 4, **more: Any
) -> Settings:
    """Settings whose topics and groups belong to one stack only, so stacks sharing a broker never meet; the
    stack's workers reach the broker as a principal of their own, with exactly the worker's documented
    ACLs."""
    p = f"t{uid}"
    names = Settings(
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
    return access.principal(f"{p}-worker", "worker", names)


@dataclass
class LocalStack(Wiring):
    """Routers, workers and subscribers around one Kafka, as processes stopped by pid; `settings` configures
    every worker (the `Wiring` says how the components find and trust each other)."""

    uid: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    workers: dict[str, Managed] = field(default_factory=dict)
    web_ports: dict[str, int] = field(default_factory=dict)
    routers: dict[int, Router] = field(default_factory=dict)
    subscribers: list[SubscriberProcess] = field(default_factory=list)
    _topics_made: bool = field(default=False, init=False, repr=False)

    @property
    def router(self) -> Router | None:
        """The first router (most stacks have one)."""
        return self.routers.get(0)

    # -- components ------------------------------------------------------------------------------------

    def start_router(self, index: int = 0, **overrides: str) -> Router:
        ports = self.router_ports[index]
        router = Router(
            self.router_config(),
            self.workdir / f"router{index or ''}.log",
            overrides={**self.router_overrides(index), **overrides},
            client_port=ports.client,
            command=self.router_command(f"router{index}"),
        )
        router.start()
        self.routers[index] = router
        return router

    def ensure_topics(self) -> None:
        """The stack's own topics, made as an operator makes them (`wostream topics ensure`) before workers
        start: a worker's principal may make only its subscribers' topics and Faust's."""
        if not self._topics_made:
            specs = core_topics(self.settings) + faust_topics(self.settings)
            asyncio.run(ensure_topics(self.operator, specs))
            self._topics_made = True

    def start_worker(self, name: str = "w1", index: int = 0) -> Managed:
        self.ensure_topics()
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

    def start_cluster(self, workers: int = 2) -> None:
        """A router and `workers` workers (w1, w2, ...), each ready."""
        self.start_router()
        names = [f"w{n + 1}" for n in range(workers)]
        for index, name in enumerate(names):
            self.start_worker(name, index=index)
        for name in names:
            self.wait_ready(name)

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

    def health(self, name: str = "w1") -> tuple[int, dict[str, Any]]:
        """/health's status and body as a probe sees them (0 and {} while nothing listens)."""
        try:
            with urllib.request.urlopen(f"{self.web(name)}/health", timeout=2) as r:
                return int(r.status), json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return int(exc.code), json.loads(exc.read())
        except OSError:
            return 0, {}

    def get_text(self, path: str, name: str = "w1") -> str:
        with urllib.request.urlopen(f"{self.web(name)}{path}", timeout=5) as r:
            return str(r.read().decode("utf-8"))

    def log(self, name: str = "w1") -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def cli(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """`wostream ARGS` in a child process configured like the workers, as the operator's principal."""
        operator = settings_env(self.operator)
        command, full = self.wostream_command("cli", list(args), {**self.env(), **operator, **(env or {})})
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
