"""The reference third-party subscriber: what an integrator writes, in ZeroC's Glacier2 callback idiom.

It connects through the router, authenticates with its baseCode and secret, keeps the session alive with
heartbeats sized from the router's ACM timeout, registers a `Subscriber` callback and prints every envelope
it receives as one JSON line. When the session is lost (router restart, network) it reconnects with backoff.
Options for tests and demos make it refuse or slow down, like a misbehaving real system.
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

from wostream.slice import PushRefused, Subscriber, SubscriberPrx, SubscriberSessionPrx


@dataclass
class Behaviour:
    """How this subscriber answers: normal, slow, or refusing (the first N calls or for ever)."""

    show_context: bool = False
    delay: float = 0.0
    refuse: int = 0  # refuse this many calls (-1: all)


class SubscriberI(Subscriber):  # type: ignore[misc]
    def __init__(self, behaviour: Behaviour, out: IO[str]) -> None:
        self.behaviour = behaviour
        self.out = out
        self.lock = threading.Lock()
        self.calls = 0

    def push(self, message: str, current: Ice.Current) -> None:
        with self.lock:
            self.calls += 1
            calls = self.calls
        if self.behaviour.delay:
            time.sleep(self.behaviour.delay)
        if self.behaviour.refuse < 0 or calls <= self.behaviour.refuse:
            raise PushRefused(f"refusing call {calls} (test behaviour)")
        if self.behaviour.show_context:
            line = json.dumps({"context": dict(current.ctx), "message": json.loads(message)}, ensure_ascii=False)
        else:
            line = message
        with self.lock:
            self.out.write(line + "\n")
            self.out.flush()


def _log(text: str) -> None:
    print(f"[subscriber] {text}", file=sys.stderr, flush=True)


def connect_once(communicator: Any, base_code: str, secret: str, servant: SubscriberI) -> Any:
    """One session: returns the router proxy once the callback is registered."""
    router = Glacier2.RouterPrx.checkedCast(communicator.getDefaultRouter())
    session = SubscriberSessionPrx.uncheckedCast(router.createSession(base_code, secret))
    acm_timeout = router.getACMTimeout()
    connection = router.ice_getCachedConnection()
    if acm_timeout > 0:
        connection.setACM(acm_timeout, Ice.Unset, Ice.ACMHeartbeat.HeartbeatAlways)
    adapter = communicator.createObjectAdapterWithRouter("", router)
    ident = Ice.Identity("subscriber", router.getCategoryForClient())
    callback = SubscriberPrx.uncheckedCast(adapter.add(servant, ident))
    adapter.activate()
    session.subscribe(callback)
    return router, connection, adapter


def run(base_code: str, secret: str, config: str | None, router: str | None, behaviour: Behaviour) -> int:
    """Runs until interrupted; exit code 2 when the router refuses our credentials (retrying cannot help)."""
    args = [f"--Ice.Config={config}"] if config else []
    if router:
        args.append(f"--Ice.Default.Router={router}")
    servant = SubscriberI(behaviour, sys.stdout)
    with Ice.initialize(args) as communicator:
        delay = 0.5
        while True:
            try:
                _, connection, adapter = connect_once(communicator, base_code, secret, servant)
            except Glacier2.PermissionDeniedException as exc:
                _log(f"refused: {exc.reason}")
                return 2
            except Glacier2.CannotCreateSessionException as exc:
                _log(f"cannot create session: {exc.reason}")
                return 2
            except Ice.LocalException as exc:
                _log(f"router unreachable ({type(exc).__name__}); retrying in {delay:.1f} s")
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.5
            _log(f"subscribed as {base_code}")
            closed = threading.Event()
            connection.setCloseCallback(lambda _c: closed.set())
            while not closed.wait(1.0):
                pass
            _log("connection to the router lost; reconnecting")
            adapter.destroy()
