"""`wostream-dev up`: the whole thing on one machine, as an operator would run it, until Ctrl-C.

Kafka secured as production clusters are (SASL_SSL, ACLs), a glacier2router, one worker of role `all` as its
own principal with the worker's ACLs, and the example configuration applied by the operator's principal, whose
credentials it leaves in `<data>/wostream.env` for the `wostream` commands run from the same folder. Like an
orchestrator it starts again a worker or router that exits, unless it keeps exiting.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

from workshop.kafka import Kafka
from workshop.local import LocalStack
from workshop.paths import DEMO
from workshop.stack import StackError
from workshop.wiring import RouterPorts, settings_env
from wostream.config.settings import Settings

# Demo-only secrets for the example subscriptions of the local stack (README); override with the variables.
EXAMPLE_SECRETS = {"HRZDWYWHXT_SECRET": "hrzd-demo-secret", "DEMOB_SECRET": "demob-demo-secret"}
ENV_FILE = "wostream.env"


def local_stack(kafka: Kafka, data_dir: Path) -> LocalStack:
    """The stack on the usual ports, its worker and operator principals made on the started broker."""
    access = kafka.access()
    access.save(kafka.data_dir / "access.json")
    defaults = Settings(datadir=data_dir / "worker")
    stack = LocalStack(
        access.principal("wostream-worker", "worker", defaults),
        data_dir,
        router_ports=[RouterPorts(client=4063, server=4064)],
        adapter_ports=[4065],
        certs_dir=data_dir / "certs",
        web_ports={"worker": defaults.web_port},
        access=access,
    )
    lines = (f"{k}={v}\n" for k, v in settings_env(stack.operator).items() if k.startswith("WOSTREAM_KAFKA"))
    (data_dir / ENV_FILE).write_text("".join(lines), encoding="utf-8")
    return stack


def run_up(data_dir: Path, subs_file: Path, say: Callable[..., None]) -> int:
    kafka = Kafka(data_dir / "kafka", port=int(Settings().kafka.rpartition(":")[2]))
    stack: LocalStack | None = None
    stopping: list[int] = []
    # Ctrl-C and SIGTERM both stop everything, even when started in the background (where SIGINT is ignored)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    try:
        say(f"starting Kafka {kafka.bootstrap} (SASL_SSL, ACLs; data in {kafka.data_dir}) ...")
        kafka.start()
        stack = local_stack(kafka, data_dir)
        secrets = {name: os.environ.get(name, value) for name, value in EXAMPLE_SECRETS.items()}
        say(f"applying {subs_file} ...")
        stack.cli("subscriptions", "apply", str(subs_file), env=secrets)
        stack.cli("idmap", "apply", str(DEMO / "idmaps.csv"))
        say("starting glacier2router and a worker ...")
        stack.start_router()
        stack.start_worker("worker")
        stack.wait_ready("worker", timeout=120)
        say(ready_text(stack, data_dir))
        keep_up(kafka, stack, stopping, say)
    except (StackError, AssertionError) as exc:
        say(f"error: {exc}", err=True)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        say("stopping ...")
        if stack is not None:
            stack.stop()
        kafka.stop()
        say("stopped.")
    return 0


def keep_up(kafka: Kafka, stack: LocalStack, stopping: list[int], say: Callable[..., None]) -> None:
    restarts: list[float] = []
    while not stopping and kafka.process is not None and kafka.process.alive():
        time.sleep(0.5)
        if stopping or stack.alive():
            continue
        restarts = [t for t in restarts if time.monotonic() - t < 300] + [time.monotonic()]
        if len(restarts) > 5:
            say(f"components keep exiting; stopping (logs in {stack.workdir})", err=True)
            return
        restart_dead(stack, say)
    if not stopping:
        say(f"Kafka stopped unexpectedly; see the logs in {stack.workdir}", err=True)


def restart_dead(stack: LocalStack, say: Callable[..., None]) -> None:
    for name, worker in list(stack.workers.items()):
        if not worker.alive():
            code = worker.proc.returncode if worker.proc is not None else "?"
            say(f"worker {name} exited (code {code}); starting it again (log: {worker.log_path})", err=True)
            stack.start_worker(name)
    for index, router in list(stack.routers.items()):
        if router.process is None or not router.process.alive():
            say("glacier2router exited; starting it again", err=True)
            stack.start_router(index)


def ready_text(stack: LocalStack, data_dir: Path) -> str:
    return (
        "\nwostream is up.\n"
        f"  Kafka           {stack.settings.kafka}   (SASL_SSL; `wostream` commands run here read "
        f"{data_dir / ENV_FILE})\n"
        f"  Glacier2 router {stack.router_proxy()}   (subscribers connect here, TLS)\n"
        f"  Local CA        {stack.certs.ca_file}   (subscribers check the router with it)\n"
        f"  Web             {stack.web('worker')}/  (/health, /subscribers)\n"
        f"  Logs            {data_dir}\n"
        "Press Ctrl-C to stop.\n"
    )
