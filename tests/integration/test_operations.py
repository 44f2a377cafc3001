"""One true picture of every subscriber: `wostream status`, `/subscribers` on either worker and `/metrics`
agree, stale callbacks are dropped after a restart, and the page renders in a real headless browser."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families

from workshop.local import LocalStack
from workshop.subscribers import SubscriberProcess
from workshop.workload import as_lines, poll, ticket_events

SUBSCRIPTIONS = """
subscribers:
  - baseCode: KEEPUP
    name: XX系统
    secret: ${SECRET}
    dataAreas: [fwwt]
    changeIds: ["*"]
    scope: {organIds: ["*"]}
  - baseCode: AWAY
    name: 离线系统
    secret: ${SECRET}
    dataAreas: [fwwt]
    changeIds: ["*"]
    scope: {organIds: ["*"]}
  - baseCode: REFUSER
    name: Refusing system
    secret: ${SECRET}
    dataAreas: [fwwt]
    changeIds: ["*"]
    scope: {organIds: ["*"]}
    retry: {attempts: 1000, initial: 1s, max: 2s}
"""
EVENTS = ticket_events(4, 3)  # 12 events, each for all three


def three_subscribers(stack: LocalStack, tmp_path: Path, workers: tuple[str, ...]) -> SubscriberProcess:
    stack.start_router()
    for index, name in enumerate(workers):
        stack.start_worker(name, index=index)
    for name in workers:
        stack.wait_ready(name)
    (tmp_path / "subs.yaml").write_text(SUBSCRIPTIONS, encoding="utf-8")
    stack.cli("subscriptions", "apply", str(tmp_path / "subs.yaml"), env={"SECRET": "s"})
    keeping_up = stack.subscriber("KEEPUP", "s", "--show-context")
    refusing = stack.subscriber("REFUSER", "s", "--show-context", "--refuse", "-1")
    keeping_up.wait_subscribed()
    refusing.wait_subscribed()
    stack.cli("send", "-", input=as_lines(EVENTS))
    keeping_up.wait_count(len(EVENTS))
    return keeping_up


def by_code(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["baseCode"]: row for row in rows}


def metrics(stack: LocalStack, worker: str) -> dict[tuple[str, str], float]:
    found = {}
    for family in text_string_to_metric_families(stack.get_text("/metrics", worker)):
        for sample in family.samples:
            if "base_code" in sample.labels and "state" not in sample.labels:
                found[(sample.name, sample.labels["base_code"])] = sample.value
    return found


def test_status_subscribers_and_metrics_agree_on_every_worker(stack: LocalStack, tmp_path: Path) -> None:
    three_subscribers(stack, tmp_path, ("w1", "w2"))

    def settled() -> bool:
        rows = by_code(stack.get_json("/subscribers", "w2"))
        return bool(rows["AWAY"]["backlog"] == 12 and rows["REFUSER"]["state"] == "failing")

    poll(settled, 60, "the figures of AWAY and REFUSER")
    done = stack.cli("status", "--json", "--window", "1", check=False)
    assert done.returncode == 3, "a failing subscriber makes status exit non-zero"
    assert "REFUSER is failing" in done.stderr
    cli = by_code(json.loads(done.stdout))
    now = time.time()
    pages = {w: by_code(stack.get_json("/subscribers", w)) for w in ("w1", "w2")}
    seen = {w: metrics(stack, w) for w in ("w1", "w2")}
    assert {c: (r["state"], r["backlog"]) for c, r in cli.items()} == {
        "AWAY": ("offline", 12),
        "KEEPUP": ("online", 0),
        "REFUSER": ("failing", 12),
    }
    for code, row in cli.items():
        oldest = None if row["oldestWaitingSeconds"] is None else now - row["oldestWaitingSeconds"]
        for worker in ("w1", "w2"):
            page = pages[worker][code]
            assert (page["state"], page["backlog"]) == (row["state"], row["backlog"]), (worker, code)
            assert seen[worker][("wostream_backlog_events", code)] == row["backlog"]
            waited = seen[worker][("wostream_oldest_waiting_seconds", code)]
            if oldest is None:
                assert page["oldestWaitingSeconds"] is None and waited == 0.0
            else:  # ages are read at different moments: compare the moment the oldest event was written
                assert abs((now - page["oldestWaitingSeconds"]) - oldest) < 5.0, (worker, code)
                assert abs((now - waited) - oldest) < 5.0, (worker, code)
    pushes = sum(seen[w].get(("wostream_push_duration_seconds_count", "KEEPUP"), 0.0) for w in ("w1", "w2"))
    assert pushes >= len(EVENTS), "the push-latency histograms (of whichever worker delivered) count KEEPUP's"


def test_subscribers_show_offline_soon_after_the_stack_restarts(stack: LocalStack, tmp_path: Path) -> None:
    keeping_up = three_subscribers(stack, tmp_path, ("w1",))
    assert by_code(stack.get_json("/subscribers"))["KEEPUP"]["online"]
    stack.workers["w1"].stop(30)  # the stack stops: sessions are not ended one by one
    assert stack.router is not None
    stack.router.stop()
    for sub in stack.subscribers:
        assert sub.proc.pid is not None
        sub.proc.send_signal(signal.SIGKILL)
        sub.proc.wait(10)
    stack.start_router()
    stack.start_worker("w1")
    stack.wait_ready("w1")
    ready = time.monotonic()
    poll(lambda: not any(r["online"] for r in stack.get_json("/subscribers")), 10, "every subscriber offline")
    assert time.monotonic() - ready <= 10.0
    assert keeping_up.proc.returncode is not None


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium(tmp_path: Path, *args: str) -> str:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail("chromium is not installed: scripts/test.sh installs it (WOSTREAM_SETUP_EXTRA)")
    profile = tmp_path / f"chromium-{time.monotonic_ns()}"
    done = subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_page_renders_every_subscriber_in_a_real_browser(stack: LocalStack, tmp_path: Path) -> None:
    three_subscribers(stack, tmp_path, ("w1",))
    poll(lambda: by_code(stack.get_json("/subscribers"))["AWAY"]["backlog"] == 12, 60, "AWAY's backlog")
    url = f"{stack.web('w1')}/"

    def steady_page() -> tuple[str, dict[str, Any]] | None:
        """The page and the figures it must show, when they did not change while it was rendered (the
        figures are refreshed every second while KEEPUP still receives)."""
        before = by_code(stack.get_json("/subscribers"))
        dom = chromium(tmp_path, "--dump-dom", url)
        after = by_code(stack.get_json("/subscribers"))
        backlogs = {code: row["backlog"] for code, row in before.items()}
        return (dom, after) if backlogs == {code: row["backlog"] for code, row in after.items()} else None

    dom, rows = poll(steady_page, 60, "the figures to hold still while the page renders", interval=0.5)
    for code, row in rows.items():
        assert f'<tr data-base-code="{code}">' in dom
        assert f'<td class="backlog">{row["backlog"]}</td>' in dom.split(f'data-base-code="{code}"')[1]
    assert "XX系统" in dom and "离线系统" in dom
    shot = tmp_path / "page.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1500,420", url)
    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    inked = sum(n for n, colour in colours if colour != (255, 255, 255))
    assert len(colours) > 50 and inked > 0.02 * image.width * image.height, "the screenshot is not blank"
    if os.environ.get("WOSTREAM_SCREENSHOT"):  # how docs/operator-page.png (in the README) was made
        shutil.copy(shot, os.environ["WOSTREAM_SCREENSHOT"])
