"""A router that hostile connections cannot exhaust: a thousand TLS connections, each announcing a request and
sending all but its last byte, never logging in, keep the router far under its memory limit while a logged-in
subscriber keeps receiving its events. (Threat 12 of SECURITY.md.)"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from tests.security.attack import Client, Recorder
from tests.security.conftest import SECRETS
from workshop.local import LocalStack
from workshop.workload import as_lines, poll, step_handled

LIMIT_MIB = 512  # the manifests' memory limit of a router pod
BOUND_MIB = 150


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return int(next(x for x in status if x.startswith("VmRSS:")).split()[1]) / 1024


@pytest.mark.parametrize("size", [1 << 20, 15 * 1024], ids=["1 MiB", "15 KiB, under the limit"])
def test_a_thousand_half_sent_requests_leave_the_router_small(shared: LocalStack, size: int) -> None:
    process = shared.routers[0].process
    assert process is not None and process.pid is not None
    pid = process.pid
    client, got = Client(shared.certs.ca_file, shared.router_proxy()), Recorder()
    try:
        client.login("SUBA", SECRETS["A_SECRET"]).subscribe(client.callback(got))
        before = rss_mib(pid)
        port, ca = str(shared.router_ports[0].client), str(shared.certs.ca_file)
        hostile = ["--port", port, "--ca", ca, "-n", "1000", "--size", str(size), "--hold", "25"]
        attack = subprocess.Popen(
            [sys.executable, "-m", "tests.security.hostile", *hostile], stdout=subprocess.PIPE, text=True
        )
        peak, stop = [before], threading.Event()

        def sample() -> None:
            while not stop.wait(0.2):
                peak.append(rss_mib(pid))

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            time.sleep(8.0)  # the attack under way (its own summary tells how many it opened)
            tickets = [f"90{size % 97:02d}{n:03d}" for n in range(20)]
            shared.cli("send", "-", input=as_lines([step_handled(t) for t in tickets]))
            poll(
                lambda: sum(any(t in m for m in got.messages) for t in tickets) == 20, 60, "events meanwhile"
            )
            out, _ = attack.communicate(timeout=120)
        finally:
            stop.set()
            sampler.join()
            if attack.poll() is None:
                attack.kill()
        summary = json.loads(out.strip().splitlines()[-1])
        print(
            f"\nROUTER {summary}: RSS {before:.0f} MiB before, peak {max(peak):.0f} MiB "
            f"(limit {LIMIT_MIB} MiB); the subscriber got its 20 events meanwhile"
        )
        assert summary["opened"] >= 900, "the attack opened its connections (the premise)"
        assert max(peak) < BOUND_MIB, f"router peaked at {max(peak):.0f} MiB"
    finally:
        client.close()
