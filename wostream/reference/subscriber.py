"""The reference third-party subscriber: what an integrator writes, in ZeroC's Glacier2 callback idiom.

It connects through the router, authenticates with its baseCode and secret, keeps the session alive with
heartbeats sized from the router's ACM timeout, registers a `Subscriber` callback (or, with `batch`, a
`BatchSubscriber`, which gets several events per call) and prints every envelope it receives as one JSON line.
When the session is lost (router restart, network) it reconnects with backoff. Options for tests and demos
make it refuse or slow down, like a misbehaving real system.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass
from typing import IO, Any

import Glacier2
import Ice

from wostream.ice.contract import (
    BatchRefused,
    BatchSubscriber,
    BatchSubscriberPrx,
    PushRefused,
    Subscriber,
    SubscribeRefused,
    SubscriberPrx,
    SubscriberSessionPrx,
)

# What glacier2router says when it cannot reach our verifier or session manager (a worker restarting), and our
# login back-off: worth retrying, unlike our other refusals (wrong baseCode or secret), which end the client.
TRANSIENT_PREFIXES = ("internal server error", "too many failed logins")
# Dialling `tcp` on the router's `ssl` port: neither side speaks first, and only the connect timeout ends it.
TLS_HINT = ": if its port is open, check the router endpoint says ssl, not tcp"


@dataclass
class Behaviour:
    """How this subscriber answers: normal, slow, or refusing (some calls, or one ticket's events)."""

    show_context: bool = False
    delay: float = 0.0
    refuse: int = 0  # refuse this many calls (-1: all)
    refuse_ticket: str | None = None  # refuse every event of this serviceOrderId (a poison ticket)
    batch: bool = False  # a BatchSubscriber: several events per call


class Receiver:
    """What this system does with one message, however it arrived (`push`, or one of a `pushBatch`)."""

    def __init__(self, behaviour: Behaviour, out: IO[str]) -> None:
        self.behaviour = behaviour
        self.out = out
        self.lock = threading.Lock()
        self.calls = 0

    def take(self, message: str, context: dict[str, str]) -> None:
        """Apply one message; raises PushRefused to refuse it."""
        received_at = time.time()
        with self.lock:
            self.calls += 1
            calls = self.calls
        if self.behaviour.delay:
            time.sleep(self.behaviour.delay)
        refused = self._refuses(calls, message)
        if self.behaviour.show_context:
            record = {"context": context, "receivedAt": received_at, "message": json.loads(message)}
            if refused:
                record["refused"] = True
            self._write(json.dumps(record, ensure_ascii=False))
        elif not refused:
            self._write(message)
        if refused:
            raise PushRefused(f"refusing call {calls} (test behaviour)")

    def _refuses(self, calls: int, message: str) -> bool:
        if self.behaviour.refuse < 0 or calls <= self.behaviour.refuse:
            return True
        if self.behaviour.refuse_ticket is not None:
            data = json.loads(json.loads(message).get("data") or "{}")
            return str(data.get("serviceOrderId")) == self.behaviour.refuse_ticket
        return False

    def _write(self, line: str) -> None:
        with self.lock:
            self.out.write(line + "\n")
            self.out.flush()


class SubscriberI(Subscriber):  # type: ignore[misc]
    """One event per call: `current.ctx` holds its eventId and attempt."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver

    def push(self, message: str, current: Ice.Current) -> None:
        self.receiver.take(message, dict(current.ctx))


class BatchSubscriberI(BatchSubscriber):  # type: ignore[misc]
    """Several events per call, in order; `current.ctx["eventIds"]` is a JSON array of their ids. A refusal
    of one message acknowledges those before it (BatchRefused.accepted): wostream goes on from there."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver

    def push(self, message: str, current: Ice.Current) -> None:
        self.receiver.take(message, dict(current.ctx))

    def pushBatch(self, messages: list[str], current: Ice.Current) -> None:
        shared = {k: v for k, v in current.ctx.items() if k != "eventIds"}
        ids = json.loads(current.ctx.get("eventIds", "[]"))
        for n, message in enumerate(messages):
            context = {**shared, "eventId": str(ids[n]) if n < len(ids) else "", "batch": str(len(messages))}
            try:
                self.receiver.take(message, context)
            except PushRefused as exc:
                raise BatchRefused(exc.reason, n) from None


def _log(text: str) -> None:
    print(f"[subscriber] {text}", file=sys.stderr, flush=True)


def connect_once(communicator: Any, base_code: str, secret: str, servant: Any) -> Any:
    """One session: returns the router proxy once the callback is registered."""
    router = Glacier2.RouterPrx.checkedCast(communicator.getDefaultRouter())
    session = SubscriberSessionPrx.uncheckedCast(router.createSession(base_code, secret))
    acm_timeout = router.getACMTimeout()
    connection = router.ice_getCachedConnection()
    if acm_timeout > 0:
        connection.setACM(acm_timeout, Ice.Unset, Ice.ACMHeartbeat.HeartbeatAlways)
    adapter = communicator.createObjectAdapterWithRouter("", router)
    # named after our own session: no other session can register (or refuse) this callback
    ident = Ice.Identity(session.ice_getIdentity().name, router.getCategoryForClient())
    callback = adapter.add(servant, ident)
    adapter.activate()
    if isinstance(servant, BatchSubscriber):  # batches are asked for, never guessed
        session.subscribeBatches(BatchSubscriberPrx.uncheckedCast(callback))
    else:
        session.subscribe(SubscriberPrx.uncheckedCast(callback))
    return router, connection, adapter


def run(base_code: str, secret: str, config: str | None, props: dict[str, str], behaviour: Behaviour) -> int:
    """Runs until interrupted; exit code 2 when our credentials or callback are refused (retrying cannot
    help).

    `props` override the property file (e.g. the router proxy; several endpoints in it are several routers:
    after losing one, the client reconnects through whichever answers).
    """
    args = [f"--Ice.Config={config}"] if config else []
    args += [f"--{key}={value}" for key, value in props.items()]
    receiver = Receiver(behaviour, sys.stdout)
    servant = BatchSubscriberI(receiver) if behaviour.batch else SubscriberI(receiver)
    with Ice.initialize(args) as communicator:
        delay = 0.5
        while True:
            try:
                _, connection, adapter = connect_once(communicator, base_code, secret, servant)
            except SubscribeRefused as exc:
                _log(f"callback refused: {exc.reason}")
                return 2
            except (Glacier2.PermissionDeniedException, Glacier2.CannotCreateSessionException) as exc:
                if not exc.reason.startswith(TRANSIENT_PREFIXES):
                    _log(f"refused: {exc.reason}")
                    return 2
                _log(f"router could not reach wostream ({exc.reason}); retrying in {delay:.1f} s")
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            except Ice.LocalException as exc:
                hint = TLS_HINT if isinstance(exc, Ice.ConnectTimeoutException) else ""
                _log(f"router unreachable ({type(exc).__name__}{hint}); retrying in {delay:.1f} s")
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.5
            _log(f"subscribed as {base_code}")
            closed = threading.Event()
            connection.setCloseCallback(lambda _c, closed=closed: closed.set())
            while not closed.wait(1.0):
                pass
            _log("connection to the router lost; reconnecting")
            adapter.destroy()
