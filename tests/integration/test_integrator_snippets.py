"""The integrator's guide's snippets (docs/snippets/, quoted verbatim by docs/integrators*.md, which
tests/unit/test_integrator_guides.py checks) built and run as an integrator would, against a real stack:
Kafka, a glacier2router over TLS, a worker.

Each language's program connects with the CA, subscribes with a session-named callback, receives one event,
asks its status until it names that event, resyncs the event's ticket (it comes again flagged, with the same
eventId) and is refused a second resync with the wait. Its stdout is checked line by line. A compiler or
runtime missing from the machine fails the test: nothing here is skipped.

Also the guide's word on a `tcp` endpoint dialled on the router's TLS port: it hangs until a timeout.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import Glacier2
import Ice
import pytest

from tests.security.attack import Client, Recorder
from workshop.access import Access
from workshop.local import LocalStack, isolated
from workshop.subscribers import SubscriberProcess
from workshop.workload import as_lines, poll, ticket_events
from wostream.ice.contract import Subscriber

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = ROOT / "docs" / "snippets"
KIT = ROOT / "kits" / "java"
SECRET = "snippet-secret"
WAIT = re.compile(r"(try again in |retry after )(\d+) s")  # the wait a refused resync names
# language: (its files, the command that builds and runs it, its subscriber, its organisation, its ticket)
LANGUAGES = {
    "java": (["Subscriber.java", "java.sh"], ["sh", "java.sh"], "SNJAVA", "9300001", 9300101),
    "cpp": (["subscriber.cpp", "cpp.sh"], ["sh", "cpp.sh"], "SNCPP", "9300002", 9300201),
    "python": (["subscriber.py", "python.sh"], ["sh", "python.sh"], "SNPY", "9300003", 9300301),
}


BIG = ("SNBIG", "9300004", 9300401)  # the subscriber whose reply is too big for the router


def subscriptions() -> str:
    rows = [
        f"  - baseCode: {code}\n    secret: ${{SECRET}}\n    dataAreas: [fwwt]\n    changeIds: ['*']\n"
        f"    scope: {{organIds: ['{organ}']}}\n"
        for code, organ in [*((c, o) for _, _, c, o, _ in LANGUAGES.values()), BIG[:2]]
    ]
    return "subscribers:\n" + "".join(rows)


@pytest.fixture(scope="module")
def snippet_stack(kafka_access: Access, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """One stack for the module (each language has a subscriber of its own, so their resyncs never meet)."""
    work = tmp_path_factory.mktemp("snippet-stack")
    stack = LocalStack(isolated(kafka_access, uuid.uuid4().hex[:8]), work, access=kafka_access)
    try:
        stack.start_router()
        stack.start_worker()
        stack.wait_ready()
        (work / "subs.yaml").write_text(subscriptions(), encoding="utf-8")
        stack.cli("subscriptions", "apply", str(work / "subs.yaml"), env={"SECRET": SECRET})
        poll(
            lambda: len(stack.get_json("/subscribers")) == len(LANGUAGES) + 1,
            30,
            "the subscriptions at the worker",
        )
        yield stack
    finally:
        stack.stop()


def start_snippet(stack: LocalStack, language: str, work: Path) -> SubscriberProcess:
    """The snippet's files, the contract and (for Java) the built kit in a folder of its own; its command
    started there with the connection in the environment, as the snippet reads it."""
    files, command, code, _, _ = LANGUAGES[language]
    for name in files:
        (work / name).write_bytes((SNIPPETS / name).read_bytes())
    (work / "wostream.ice").write_bytes((ROOT / "slice" / "wostream.ice").read_bytes())
    if language == "java":
        (work / "kits" / "java").mkdir(parents=True)
        (work / "kits" / "java" / "target").symlink_to(KIT / "target")
    env = {
        **os.environ,
        "WOSTREAM_ROUTER": f"ssl -h 127.0.0.1 -p {stack.router_ports[0].client}",
        "WOSTREAM_CA": str(stack.certs.ca_file),
        "WOSTREAM_BASE_CODE": code,
        "WOSTREAM_SECRET": SECRET,
    }
    out, err = work / "stdout.txt", work / "stderr.txt"
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen(
            command, cwd=work, stdout=o, stderr=e, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )
    snippet = SubscriberProcess(code, out, err, proc)
    stack.subscribers.append(snippet)  # stack.stop() stops it, by its process group, whatever happens here
    return snippet


def printed(snippet: SubscriberProcess) -> list[str]:
    return snippet.out.read_text(encoding="utf-8").splitlines() if snippet.out.exists() else []


def build_the_kit() -> None:
    """The Java kit's jar and libraries (kits/java/target), as the guide says to build them."""
    done = subprocess.run(
        ["mvn", "-q", "-B", "-f", str(KIT / "pom.xml"), "package", "-DskipTests"],
        capture_output=True,
        text=True,
        timeout=400,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, f"the kit did not build:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_guides_snippet_receives_an_event_shows_the_status_and_resyncs(
    snippet_stack: LocalStack, language: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    if language == "java":
        build_the_kit()
    _, _, code, organ, first_ticket = LANGUAGES[language]
    snippet = start_snippet(snippet_stack, language, tmp_path)
    poll(
        lambda: (
            any(line.startswith(f"subscribed as {code}") for line in printed(snippet))
            or snippet.proc.poll() is not None
        ),
        300,  # the C++ build takes a while on a busy machine
        f"the {language} snippet to subscribe",
    )
    assert snippet.proc.poll() is None, f"{printed(snippet)}\n{snippet.stderr()}"
    subscribed = time.monotonic() - started
    events = ticket_events(1, 1, organ=organ, first_ticket=first_ticket)
    snippet_stack.cli("send", "-", input=as_lines(events))
    try:
        assert snippet.proc.wait(180) == 0, f"{printed(snippet)}\n{snippet.stderr()}"
    except subprocess.TimeoutExpired:
        raise AssertionError(f"still running: {printed(snippet)}\n{snippet.stderr()}") from None
    lines = printed(snippet)
    print(
        f"\n{language.upper()} SNIPPET: subscribed after {subscribed:.1f} s, whole run "
        f"{time.monotonic() - started:.1f} s\n" + "\n".join(lines)
    )
    ticket, event_id = str(first_ticket), f"{first_ticket}-0"
    through = f" through 127.0.0.1:{snippet_stack.router_ports[0].client}" if language == "java" else ""
    expected = [
        f"subscribed as {code}{through}",
        f"event {event_id}: changeId 2, ticket {ticket}, attempt 1",
        f"status: online, backlog 0, last delivered {event_id}, dead 0, retrying 0",
        f"resync of ticket {ticket}: 1 event(s) queued",
        f"event {event_id}: changeId 2, ticket {ticket}, attempt 1, resync",
        "second resync refused: one resync every 60 s: try again in <N> s"
        + (" (retry after <N> s)" if language == "java" else ""),
        "session closed",
    ]
    assert [WAIT.sub(r"\1<N> s", line) for line in lines] == expected
    waits = [int(n) for n in WAIT.findall(lines[5]) for n in n[1:2]]
    assert waits and all(50 <= n <= 60 for n in waits), f"the wait is the rest of the minute: {lines[5]}"


def dial(endpoint: str, *props: str) -> tuple[type[Exception] | None, float]:
    """Ping the router at `endpoint` from a fresh Ice for Python client: what it raised, after how long."""
    with Ice.initialize(["--Ice.RetryIntervals=-1", "--Ice.Warn.Connections=0", *props]) as communicator:
        router = Glacier2.RouterPrx.uncheckedCast(communicator.stringToProxy(f"wostream/router:{endpoint}"))
        started = time.monotonic()
        try:
            router.ice_ping()
        except Ice.LocalException as exc:
            return type(exc), time.monotonic() - started
        return None, time.monotonic() - started


def test_plain_tcp_to_the_tls_port_hangs_until_a_timeout(snippet_stack: LocalStack) -> None:
    """Neither side speaks first: the router waits for a TLS handshake, the client for Ice's greeting."""
    port = snippet_stack.router_ports[0].client
    told = dial(f"tcp -h 127.0.0.1 -p {port}", "--Ice.Override.ConnectTimeout=2000")
    untold = dial(f"tcp -h 127.0.0.1 -p {port}")
    ssl = dial(
        f"ssl -h 127.0.0.1 -p {port}",
        "--Ice.Plugin.IceSSL=IceSSL:createIceSSL",
        f"--IceSSL.CAs={snippet_stack.certs.ca_file}",
        "--IceSSL.CheckCertName=1",
    )
    print(f"\nPLAIN TCP: with a 2 s connect timeout {told}, without {untold}; ssl {ssl}")
    assert ssl[0] is None, "the same port with ssl answers"
    assert told[0] is Ice.ConnectTimeoutException and 1.9 <= told[1] < 4, "its connect timeout ends it"
    # without one, Ice's default connect timeout is a minute: the router's 10 s limit on a handshake ends it
    assert untold[0] is Ice.ConnectionLostException and 9.5 <= untold[1] < 15, "the router closes it"


class Contexts(Subscriber):  # type: ignore[misc]
    """Records each push's context."""

    def __init__(self) -> None:
        self.contexts: list[dict[str, str]] = []

    def push(self, message: str, current: Ice.Current) -> None:
        self.contexts.append(dict(current.ctx))


def test_a_reply_over_16_kib_closes_the_connection_and_the_event_comes_again(
    snippet_stack: LocalStack,
) -> None:
    """The guide's 16 KiB: a refusal whose reason is 20 KiB is a reply the router will not carry."""
    code, organ, ticket = BIG
    closed = threading.Event()
    client = Client(snippet_stack.certs.ca_file, snippet_stack.router_proxy())
    try:
        session = client.login(code, SECRET)
        client.router.ice_getCachedConnection().setCloseCallback(lambda _c: closed.set())
        session.subscribe(client.callback(Recorder(refuse_with="x" * 20_000)))
        snippet_stack.cli("send", "-", input=as_lines(ticket_events(1, 1, organ=organ, first_ticket=ticket)))
        poll(closed.is_set, 30, "the router to close the connection that sent a 20 KiB reply")
    finally:
        client.close()
    again = Client(snippet_stack.certs.ca_file, snippet_stack.router_proxy())
    contexts = Contexts()
    try:
        again.login(code, SECRET).subscribe(again.callback(contexts))
        poll(lambda: contexts.contexts, 60, "the event once logged in again")
        assert contexts.contexts[0]["eventId"] == f"{ticket}-0", "the same event"
        assert int(contexts.contexts[0]["attempt"]) >= 2, "pushed again: its first push failed"
    finally:
        again.close()
