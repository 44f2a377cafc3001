"""The README walkthrough through the images, and a worker container that drains within its grace period."""

from __future__ import annotations

import json
import shutil
import time

from workshop.containers import ContainerStack
from workshop.paths import DEMO
from workshop.workload import example_files, poll

DEMO_SECRETS = {"HRZDWYWHXT_SECRET": "hrzd-demo-secret", "DEMOB_SECRET": "demob-demo-secret"}


def test_the_walkthrough_runs_from_the_images(containers: ContainerStack) -> None:
    stack = containers
    stack.start_router()
    stack.start_worker()
    stack.wait_ready(timeout=120)
    demo = DEMO
    for name in ("subscriptions.yaml", "idmaps.csv"):
        shutil.copy(demo / name, stack.workdir / name)
    stack.cli("subscriptions", "apply", str(stack.workdir / "subscriptions.yaml"), env=DEMO_SECRETS)
    assert "4 id mappings applied" in stack.cli("idmap", "apply", str(stack.workdir / "idmaps.csv")).stdout
    subscriber = stack.subscriber("HRZDWYWHXT", DEMO_SECRETS["HRZDWYWHXT_SECRET"])
    subscriber.wait_subscribed(90)
    events = stack.workdir / "examples"
    events.mkdir()
    for path in example_files():
        shutil.copy(path, events / path.name)
    stack.cli("send", *sorted(str(events / p.name) for p in example_files()))
    got = subscriber.wait_count(5, 90)
    kinds = sorted(message["changeId"] for message in got)
    assert kinds == ["1", "1", "2", "3", "5"], "the README: kinds 1, 2, 3 and 5 of organisation 671024"
    created = json.loads(next(m for m in got if m["changeId"] == "1")["data"])
    assert created["eCommunityId"] == "HW-HAIWEN-01" and "contactTel" not in created


def test_stopping_the_worker_container_drains_within_its_grace_period(containers: ContainerStack) -> None:
    stack = containers
    stack.start_router()
    worker = stack.start_worker()
    stack.wait_ready(timeout=120)
    started = time.monotonic()
    stack.stop_container("w1", grace=30)
    assert worker.proc is not None
    code = worker.proc.wait(40)
    took = time.monotonic() - started
    print(f"\nCONTAINERS worker stopped in {took:.1f} s (grace 30 s), exit code {code}")
    assert code == 0 and took < 30, f"exit code {code} after {took:.1f} s"
    log = stack.log("w1")
    assert "Signal received: 15" in log, "SIGTERM reached the worker through the init"
    poll(lambda: "[^--Node]: Stopping..." in stack.log("w1"), 5, "the node's drain in the log")
