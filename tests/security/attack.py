"""An attacker's toolkit for the security tier: a raw Ice client, a listener that records who connects, and a
relay that records every byte that crosses it. Real Ice over real sockets; nothing is mocked."""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path
from typing import Any

import Glacier2
import Ice

from wostream.ice.contract import PushRefused, Subscriber, SubscriberPrx, SubscriberSessionPrx


class Recorder(Subscriber):  # type: ignore[misc]
    """A callback that records what it is pushed (or refuses with a given reason)."""

    def __init__(self, refuse_with: str | None = None) -> None:
        self.messages: list[str] = []
        self.refuse_with = refuse_with

    def push(self, message: str, current: Ice.Current) -> None:
        if self.refuse_with is not None:
            raise PushRefused(self.refuse_with)
        self.messages.append(message)


class Client:
    """One Ice communicator, as a subscriber's system (or an attacker posing as one) would hold it."""

    def __init__(self, ca: Path | None, router: str | None = None, **props: str) -> None:
        args = [
            "--Ice.Plugin.IceSSL=IceSSL:createIceSSL",
            "--IceSSL.CheckCertName=1",
            "--Ice.RetryIntervals=-1",
        ]
        args += ["--Ice.Override.ConnectTimeout=3000", "--Ice.Default.InvocationTimeout=10000"]
        if ca is not None:
            args.append(f"--IceSSL.CAs={ca}")
        if router is not None:
            args.append(f"--Ice.Default.Router={router}")
        args += [f"--{k.replace('_', '.')}={v}" for k, v in props.items()]
        self.communicator = Ice.initialize(args)
        self.router: Any = None
        self.session: Any = None
        self.adapter: Any = None

    def login(self, base_code: str, secret: str) -> Any:
        self.router = Glacier2.RouterPrx.checkedCast(self.communicator.getDefaultRouter())
        self.session = SubscriberSessionPrx.uncheckedCast(self.router.createSession(base_code, secret))
        connection = self.router.ice_getCachedConnection()
        connection.setACM(self.router.getACMTimeout(), Ice.Unset, Ice.ACMHeartbeat.HeartbeatAlways)
        return self.session

    def callback(self, servant: Recorder) -> Any:
        """A proper callback: named after this client's session, in its own router category, through the
        router."""
        if self.adapter is None:
            self.adapter = self.communicator.createObjectAdapterWithRouter("", self.router)
            self.adapter.activate()
        ident = Ice.Identity(self.session.ice_getIdentity().name, self.router.getCategoryForClient())
        if self.adapter.find(ident) is not None:  # a new servant for this session's callback
            self.adapter.remove(ident)
        return SubscriberPrx.uncheckedCast(self.adapter.add(servant, ident))

    def proxy(self, text: str) -> Any:
        return SubscriberPrx.uncheckedCast(self.communicator.stringToProxy(text))

    def close(self) -> None:
        self.communicator.destroy()


class Listener:
    """A TCP port that records every connection made to it (to prove nobody was made to connect there)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.connections: list[tuple[str, int]] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return
            self.connections.append(peer)
            conn.close()

    def close(self) -> None:
        self.sock.close()


class Relay:
    """A TCP relay to `port` that keeps a copy of every byte in both directions (a wiretap)."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.seen = bytearray()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                with self.lock:
                    self.seen += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.sock.close()
