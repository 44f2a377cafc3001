"""The Java subscriber kit (kits/java) against the real stack: its Surefire tests run here.

pytest owns every process: Kafka, two glacier2routers, a worker and the Python reference subscriber. It
prepares what the Java tests need and runs `mvn verify` with the stack's coordinates in the environment
(`WOSTREAM_KIT_*`, read by kits/java/src/test/.../KitStack.java). The Java tests send events and run resyncs
with the `wostream` CLI themselves; they ask pytest to kill the first router by writing a request file into
the control folder, which pytest watches while Maven runs (the router is pytest's child: pytest stops it).

The spec's examples are first received by the Python reference subscriber as HRZDWYWHXT (the walkthrough's
subscriber); a clone of that subscription (JEXAMPLES, same rules and id maps) keeps them while the Java kit is
offline, and the Java test checks it receives exactly what the reference received: masks, e…Ids, event ids.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from workshop.certs import make_certs
from workshop.local import LocalStack
from workshop.paths import DEMO
from workshop.subscribers import SubscriberProcess
from workshop.wiring import RouterPorts, settings_env
from workshop.workload import as_lines, example_files, poll, ticket_events

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
KIT = ROOT / "kits" / "java"
DEMO_SECRETS = {"HRZDWYWHXT_SECRET": "hrzd-demo-secret", "DEMOB_SECRET": "demob-demo-secret"}
KIT_SECRET = "java-kit-secret"  # every J* subscriber's secret in this test
# a subscriber per Java scenario, each scoped to an organisation of its own: none sees another's events
KIT_CODES = ["JREFUSE", "JTHROTTLE", "JFAIL", "JRESYNC", "JBATCH", "JDUP", "JRETRY", "JSTATUS", "JSELF"]
ORGAN = {code: str(9_100_000 + n) for n, code in enumerate(KIT_CODES)}
JAVA_TESTS = 22  # what Surefire must report as run (none skipped): a vanished test fails here
SESSION_TIMEOUT = 4  # s: Glacier2.SessionTimeout of this test's routers, so idling past it takes seconds
FAST_RETRY = {"WOSTREAM_RETRY_ATTEMPTS": "20", "WOSTREAM_RETRY_INITIAL": "0.2", "WOSTREAM_RETRY_MAX": "1"}


def subscriptions() -> str:
    """The demo subscriptions, JEXAMPLES (HRZDWYWHXT's rules under another code) and the Java tests' own."""
    demo = yaml.safe_load((DEMO / "subscriptions.yaml").read_text(encoding="utf-8"))
    hrzd = next(s for s in demo["subscribers"] if s["baseCode"] == "HRZDWYWHXT")
    clone = {**hrzd, "baseCode": "JEXAMPLES", "name": "Java kit: the walkthrough's rules", "secret": "${KIT}"}
    kit = [
        {
            "baseCode": code,
            "secret": "${KIT}",
            "dataAreas": ["fwwt"],
            "changeIds": ["*"],
            "scope": {"organIds": [organ]},
        }
        for code, organ in ORGAN.items()
    ]
    return yaml.safe_dump({"subscribers": [*demo["subscribers"], clone, *kit]}, allow_unicode=True)


def idmaps() -> str:
    """The demo id maps, and the same rows for JEXAMPLES."""
    lines = (DEMO / "idmaps.csv").read_text(encoding="utf-8").splitlines()
    clones = [
        line.replace("HRZDWYWHXT,", "JEXAMPLES,", 1) for line in lines[1:] if line.startswith("HRZDWYWHXT,")
    ]
    return "\n".join([*lines, *clones]) + "\n"


def event_files(folder: Path) -> None:
    """The events the Java tests send (`wostream send FILE`), one file per scenario."""
    folder.mkdir()
    failover = ticket_events(2, 10, organ=ORGAN["JFAIL"], first_ticket=8100001)  # seq 0..4 of both, then 5..9
    scenarios = {
        "failover-before": failover[:10],
        "failover-after": failover[10:],
        "resync": ticket_events(1, 3, organ=ORGAN["JRESYNC"], first_ticket=8200001),
        "batch": ticket_events(4, 30, organ=ORGAN["JBATCH"], first_ticket=8300001),
        "retry": ticket_events(1, 2, organ=ORGAN["JRETRY"], first_ticket=8500001),
        "status": ticket_events(1, 3, organ=ORGAN["JSTATUS"], first_ticket=8600001),
        "self-resync": ticket_events(1, 3, organ=ORGAN["JSELF"], first_ticket=8700001),
    }
    e0, e1, e2 = ticket_events(1, 3, organ=ORGAN["JDUP"], first_ticket=8400001)
    scenarios["duplicates"] = [e0, e0, e1, e2, e1]  # the same events again: the same event ids
    for name, events in scenarios.items():
        (folder / f"{name}.jsonl").write_text(as_lines(events) + "\n", encoding="utf-8")


def reference_receives_the_examples(stack: LocalStack, work: Path) -> Path:
    """The walkthrough: HRZDWYWHXT's reference subscriber receives the spec's examples; returns what it got
    (event id and envelope, in order) as the Java test's expectation."""
    ref = stack.subscriber("HRZDWYWHXT", DEMO_SECRETS["HRZDWYWHXT_SECRET"], "--show-context")
    ref.wait_subscribed()
    stack.cli("send", *map(str, example_files()))
    got = ref.wait_count(5)
    ref.stop()
    # the premise: what the README's walkthrough shows (kinds 1, 1, 2, 3, 5; masked; the subscriber's own ids)
    assert sorted(line["message"]["changeId"] for line in got) == ["1", "1", "2", "3", "5"]
    bodies = [json.loads(line["message"]["data"]) for line in got]
    assert all("contactTel" not in b for b in bodies)
    assert any(b.get("eCommunityId") == "HW-HAIWEN-01" for b in bodies)
    expected = work / "expected-examples.jsonl"
    expected.write_text(
        "".join(
            json.dumps({"eventId": x["context"]["eventId"], "envelope": x["message"]}, ensure_ascii=False)
            + "\n"
            for x in got
        ),
        encoding="utf-8",
    )
    return expected


def wait_backlog(stack: LocalStack, base_code: str, n: int) -> None:
    """Until `n` events wait in the (offline) subscriber's topic (the worker's figures, from Kafka)."""

    def waiting() -> bool:
        mine = [s for s in stack.get_json("/subscribers") if s["baseCode"] == base_code]
        return bool(mine) and (mine[0]["backlog"] or 0) >= n

    poll(waiting, 60, f"{n} events waiting for {base_code}", interval=0.5)


class Control:
    """Requests from the Java tests (files `NAME.request` in `folder`), carried out by pytest."""

    def __init__(self, stack: LocalStack, folder: Path) -> None:
        self.stack = stack
        self.folder = folder
        self.done: list[str] = []
        self.stopped = threading.Event()
        folder.mkdir()

    def serve(self) -> None:
        while not self.stopped.wait(0.05):
            for request in sorted(self.folder.glob("*.request")):
                name = request.stem
                request.unlink()
                outcome = self.carry_out(name)
                (self.folder / f"{name}.done").write_text(outcome, encoding="utf-8")
                self.done.append(name)

    def carry_out(self, name: str) -> str:
        if name.startswith("kill-router-"):
            router = self.stack.routers[int(name.removeprefix("kill-router-"))]
            router.stop(sig=signal.SIGKILL)
            return "killed"
        return f"unknown request {name}"


def run_maven(env: dict[str, str], control: Control, log: Path) -> int:
    """`mvn verify` of the kit with the stack in its environment, serving control requests meanwhile."""
    server = threading.Thread(target=control.serve, daemon=True)
    server.start()
    try:
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                ["mvn", "-q", "-B", "-f", str(KIT / "pom.xml"), "verify"],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **env},
                start_new_session=True,
            )
            try:
                return proc.wait(timeout=400)
            finally:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(10)
    finally:
        control.stopped.set()
        server.join(5)


def surefire(reports: Path) -> tuple[dict[str, int], str]:
    """Totals of the Surefire XML reports, and the failures' messages."""
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    problems = []
    for report in sorted(reports.glob("TEST-*.xml")):
        suite = ET.parse(report).getroot()
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
        problems += [
            f"{case.get('classname')}.{case.get('name')}: {bad.get('message')}\n{bad.text}"
            for case in suite.iter("testcase")
            for bad in [*case.iter("failure"), *case.iter("error")]
        ]
    return totals, "\n".join(problems)


def java_example(stack: LocalStack, work: Path, base_code: str, secret: str) -> SubscriberProcess:
    """The kit's runnable example (`java -jar`), given every router in order, like `stack.subscriber`."""
    jar = KIT / "target" / "wostream-subscriber-0.1.0.jar"
    args = ["java", "-jar", str(jar), "--base-code", base_code, "--ca", str(stack.certs.ca_file)]
    for port in stack.router_ports:
        args += ["--router", f"ssl -h 127.0.0.1 -p {port.client}"]
    n = len(stack.subscribers)
    out, err = work / f"java{n}-{base_code}.jsonl", work / f"java{n}-{base_code}.err"
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen(
            args,
            stdout=o,
            stderr=e,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "WOSTREAM_SUBSCRIBER_SECRET": secret},
        )
    sub = SubscriberProcess(base_code, out, err, proc)
    stack.subscribers.append(sub)  # stack.stop() stops it, by pid, whatever happens here
    return sub


def the_example_prints_what_a_resync_pushes(stack: LocalStack, work: Path, expected: Path) -> None:
    """`java -jar` prints each envelope as one JSON line, like `wostream subscriber`: HRZDWYWHXT's resync of
    the walkthrough's tickets arrives as envelopes the reference received; a wrong secret exits 2."""
    wrong = java_example(stack, work, "HRZDWYWHXT", "not-the-secret")
    assert wrong.proc.wait(30) == 2, wrong.stderr()
    assert "refused: the router refused baseCode HRZDWYWHXT: wrong baseCode or secret" in wrong.stderr()
    example = java_example(stack, work, "HRZDWYWHXT", DEMO_SECRETS["HRZDWYWHXT_SECRET"])
    example.wait_subscribed()
    out = stack.cli("resync", "HRZDWYWHXT").stdout
    # every ticket the stack remembers is looked at (the Java scenarios' too); HRZDWYWHXT sees two of them
    assert re.search(r"^\d+ tickets looked at, 2 entitled, 4 events to resync$", out, re.M), out
    got = example.wait_count(4)
    envelopes = [json.loads(line)["envelope"] for line in expected.read_text(encoding="utf-8").splitlines()]
    assert all(line in envelopes for line in got), "each line is an envelope the reference received"
    assert sorted(line["changeId"] for line in got) == ["1", "2", "3", "5"], "the latest of each kind"
    assert all(line.strip().startswith("{") for line in example.out.read_text(encoding="utf-8").splitlines())
    example.stop()


@pytest.mark.skipif(shutil.which("mvn") is None or shutil.which("slice2java") is None, reason="run setup.sh")
def test_the_java_kit_against_the_real_router_workers_and_kafka(stack: LocalStack, tmp_path: Path) -> None:
    started = time.monotonic()
    stack.extra_env.update(FAST_RETRY)
    stack.router_ports.append(RouterPorts())
    for index in (0, 1):
        stack.start_router(index, **{"Glacier2.SessionTimeout": str(SESSION_TIMEOUT)})
    stack.start_worker()
    stack.wait_ready()
    (tmp_path / "subs.yaml").write_text(subscriptions(), encoding="utf-8")
    stack.cli("subscriptions", "apply", str(tmp_path / "subs.yaml"), env={**DEMO_SECRETS, "KIT": KIT_SECRET})
    (tmp_path / "ids.csv").write_text(idmaps(), encoding="utf-8")
    stack.cli("idmap", "apply", str(tmp_path / "ids.csv"))
    poll(lambda: len(stack.get_json("/subscribers")) == 3 + len(KIT_CODES), 30, "the subscriptions")

    expected = reference_receives_the_examples(stack, tmp_path)
    wait_backlog(stack, "JEXAMPLES", 5)
    events = tmp_path / "events"
    event_files(events)
    other_ca = make_certs(tmp_path / "other-certs").ca_file  # a CA that did not sign the routers' certs
    control = Control(stack, tmp_path / "control")
    env = {
        **stack.env(),
        **settings_env(stack.operator),  # the Java tests' `wostream send` and `resync` run as the operator
        "WOSTREAM_KIT_ROUTERS": json.dumps([f"ssl -h 127.0.0.1 -p {p.client}" for p in stack.router_ports]),
        "WOSTREAM_KIT_ROUTER_PORTS": json.dumps([p.client for p in stack.router_ports]),
        "WOSTREAM_KIT_CA": str(stack.certs.ca_file),
        "WOSTREAM_KIT_OTHER_CA": str(other_ca),
        "WOSTREAM_KIT_SECRET": KIT_SECRET,
        "WOSTREAM_KIT_SESSION_TIMEOUT": str(SESSION_TIMEOUT),
        "WOSTREAM_KIT_EXPECTED_EXAMPLES": str(expected),
        "WOSTREAM_KIT_EVENTS": str(events),
        "WOSTREAM_KIT_CONTROL": str(control.folder),
        "WOSTREAM_KIT_CLI": json.dumps([sys.executable, "-m", "wostream.cli"]),
        "WOSTREAM_KIT_REPO": str(ROOT),
        "WOSTREAM_KIT_WEB": stack.web(),
    }
    shutil.rmtree(KIT / "target" / "surefire-reports", ignore_errors=True)
    maven_started = time.monotonic()
    code = run_maven(env, control, tmp_path / "maven.log")
    maven_s = time.monotonic() - maven_started
    totals, problems = surefire(KIT / "target" / "surefire-reports")
    whole = time.monotonic() - started
    print(f"\nJAVA KIT: surefire {totals}, maven {maven_s:.1f} s, whole test {whole:.1f} s")
    log = (tmp_path / "maven.log").read_text(errors="replace")
    assert code == 0, f"mvn verify failed ({code}):\n{problems}\n{log[-6000:]}"
    assert totals == {"tests": JAVA_TESTS, "failures": 0, "errors": 0, "skipped": 0}, f"{totals}\n{problems}"
    assert control.done == ["kill-router-0"], "the failover test asked for the first router's death"
    assert not stack.routers[0].process.alive() and stack.routers[1].process.alive()  # type: ignore[union-attr]
    the_example_prints_what_a_resync_pushes(stack, tmp_path, expected)
