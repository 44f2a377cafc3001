"""The manifests of k8s/ played by podman (workshop/kube.py says what a machine without a cluster
changes): the router and the route and deliver workers they start answer, and a subscriber logs in through
that router and gets its events."""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path

from tests.containers.test_images import DEMO_SECRETS
from workshop import kube
from workshop.containers import ContainerStack, podman
from workshop.paths import DEMO
from workshop.stack import free_port
from workshop.workload import example_files, poll

K8S = Path(__file__).resolve().parents[2] / "k8s"


def _health(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return int(r.status)
    except OSError:
        return 0


def test_podman_plays_the_manifests_and_a_subscriber_gets_its_events(containers: ContainerStack) -> None:
    stack = containers
    web = {role: free_port() for role in kube.ROLES}
    played = kube.write(stack, K8S, web)
    stack.ensure_topics()  # what k8s/topics.yaml's Job does as the operator (podman plays no Job)
    try:
        kube.play(played)
        pods = podman("pod", "ps", "--format", "{{.Name}} {{.Status}}").stdout
        print(f"\nKUBE pods:\n{pods}")
        assert all(f"wostream-{name}" in pods for name in ("route", "deliver", "router")), pods
        try:
            poll(
                lambda: all(_health(f"http://127.0.0.1:{p}/health") == 200 for p in web.values()),
                120,
                "health",
            )
        except AssertionError as e:
            raise AssertionError(f"{e} of the route and deliver pods\n{kube.logs(stack)}") from None
        demo = DEMO
        for name in ("subscriptions.yaml", "idmaps.csv"):
            shutil.copy(demo / name, stack.workdir / name)
        stack.cli("subscriptions", "apply", str(stack.workdir / "subscriptions.yaml"), env=DEMO_SECRETS)
        stack.cli("idmap", "apply", str(stack.workdir / "idmaps.csv"))
        subscriber = stack.subscriber("HRZDWYWHXT", DEMO_SECRETS["HRZDWYWHXT_SECRET"])
        subscriber.wait_subscribed(90)
        events = stack.workdir / "examples"
        events.mkdir()
        for path in example_files():
            shutil.copy(path, events / path.name)
        stack.cli("send", *sorted(str(events / p.name) for p in example_files()))
        got = subscriber.wait_count(5, 90)
        assert sorted(m["changeId"] for m in got) == ["1", "1", "2", "3", "5"]
    finally:
        kube.down(played)
    left = podman("pod", "ps", "--format", "{{.Name}}").stdout
    assert stack.uid not in left, f"pods left after kube down: {left}"
