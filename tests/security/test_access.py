"""Who can reach what: only the router reaches the worker, a client reaches only its own session, callbacks
go back only through the router into the caller's own connection, and nothing crosses the wire in clear text.
(Threats 1, 4, 5, 6 and 7 of SECURITY.md.)"""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import Glacier2
import Ice
import pytest

from tests.security.attack import Client, Listener, Recorder, Relay
from tests.security.conftest import SECRETS
from workshop.certs import make_certs
from workshop.local import LocalStack
from workshop.workload import as_lines, poll, step_handled
from wostream.ice.contract import SubscribeRefused, SubscriberPrx


def adapter(stack: LocalStack, name: str = "SessionManager") -> str:
    return f"wostream/{name}:ssl -h 127.0.0.1 -p {stack.adapter_ports[0]}"


def test_the_worker_adapter_refuses_anyone_but_the_router(shared: LocalStack, tmp_path: Path) -> None:
    """Threat 1: creating a session or checking secrets directly, without going through the router."""
    certs = shared.certs
    outsiders = {
        "no certificate": Client(certs.ca_file),
        # a certificate from our own CA, but not the router's name: the worker's own
        "a worker certificate": Client(
            certs.ca_file,
            IceSSL_CertFile=str(certs.folder / "worker.pem"),
            IceSSL_KeyFile=str(certs.folder / "worker.key"),
        ),
        # a look-alike from another CA
        "another CA": Client(
            make_certs(tmp_path / "rogue").ca_file,
            IceSSL_CertFile=str(tmp_path / "rogue" / "router.pem"),
            IceSSL_KeyFile=str(tmp_path / "rogue" / "router.key"),
        ),
    }
    try:
        for who, client in outsiders.items():
            manager = Glacier2.SessionManagerPrx.uncheckedCast(
                client.communicator.stringToProxy(adapter(shared))
            )
            with pytest.raises(Ice.LocalException):
                manager.create("SUBA", None)
                pytest.fail(f"{who}: created a session without the router")
            verifier = Glacier2.PermissionsVerifierPrx.uncheckedCast(
                client.communicator.stringToProxy(adapter(shared, "PermissionsVerifier"))
            )
            with pytest.raises(Ice.LocalException):
                verifier.checkPermissions("SUBA", "guess")
                pytest.fail(f"{who}: reached the permissions verifier without the router")
    finally:
        for client in outsiders.values():
            client.close()


def test_a_client_reaches_its_own_session_and_nothing_else(shared: LocalStack) -> None:
    """Threat 5: making the router connect anywhere (and telling open ports from closed by its errors)."""
    listener = Listener()
    client = Client(shared.certs.ca_file, shared.router_proxy())
    try:
        session = client.login("SUBA", SECRETS["A_SECRET"])
        session.ice_ping()  # its own session: fine
        for target in (
            f"anything:tcp -h 127.0.0.1 -p {listener.port}",
            f"anything:tcp -h 127.0.0.1 -p {shared.settings.kafka.rsplit(':', 1)[1]}",
            adapter(shared),
            adapter(shared, "PermissionsVerifier"),
        ):
            other = Client(shared.certs.ca_file, shared.router_proxy())
            try:
                other.login("SUBA", SECRETS["A_SECRET"])
                with pytest.raises(Ice.Exception):
                    other.proxy(target).ice_ping()
                    pytest.fail(f"the router forwarded a call to {target}")
            finally:
                other.close()
        assert listener.connections == [], "the router was made to connect to an arbitrary address"
    finally:
        client.close()
        listener.close()


def test_subscribe_takes_only_a_callback_through_the_router(shared: LocalStack) -> None:
    """Threat 4: the worker made to connect anywhere (server-side request forgery), or fed a huge proxy."""
    listener = Listener()
    client = Client(shared.certs.ca_file, shared.router_proxy())
    try:
        session = client.login("SUBA", SECRETS["A_SECRET"])
        category = client.router.getCategoryForClient()
        direct = client.proxy(f"subscriber -e 1.1:tcp -h 127.0.0.1 -p {listener.port}")
        many = ":".join(f"tcp -h 127.0.0.1 -p {1000 + n}" for n in range(300))  # 8 KiB < 16
        attempts = {
            "a direct proxy": direct,
            "a direct proxy in its own category": direct.ice_identity(Ice.Identity("subscriber", category)),
            "a oneway callback": client.callback(Recorder()).ice_oneway(),
            "300 endpoints": client.proxy(f"subscriber:{many}").ice_identity(Ice.Identity("x", category)),
        }
        for what, proxy in attempts.items():
            with pytest.raises((SubscribeRefused, Ice.Exception)):
                session.subscribe(SubscriberPrx.uncheckedCast(proxy))
                pytest.fail(f"{what} was accepted")
        assert listener.connections == [], "the worker was made to connect to an arbitrary address"
        session.subscribe(client.callback(Recorder()))  # the proper one still works
        poll(
            lambda: [s for s in shared.get_json("/subscribers") if s["baseCode"] == "SUBA" and s["online"]],
            10,
            "SUBA online",
        )
    finally:
        client.close()
        listener.close()


def test_a_request_over_16_kib_is_dropped_by_the_router_before_it_reaches_the_worker(
    shared: LocalStack,
) -> None:
    """Threat 12: a client's request sized for the router to buffer and the worker to parse (a 2 000-endpoint
    proxy, 60 KiB); the router reads its size and closes the connection."""
    client = Client(shared.certs.ca_file, shared.router_proxy())
    try:
        session = client.login("SUBA", SECRETS["A_SECRET"])
        category = client.router.getCategoryForClient()
        many = ":".join(f"tcp -h 127.0.0.1 -p {1000 + n}" for n in range(2000))
        huge = client.proxy(f"subscriber:{many}").ice_identity(Ice.Identity("x", category))
        with pytest.raises(Ice.ConnectionLostException):  # had it reached the worker: SubscribeRefused
            session.subscribe(SubscriberPrx.uncheckedCast(huge))
    finally:
        client.close()
    again = Client(shared.certs.ca_file, shared.router_proxy())
    try:  # the same subscriber, sending what subscribers send, is served
        again.login("SUBA", SECRETS["A_SECRET"]).subscribe(again.callback(Recorder()))
    finally:
        again.close()


def test_a_client_that_learned_another_clients_category_can_neither_take_nor_block_its_callback(
    shared: LocalStack,
) -> None:
    """Threat 6: a callback is bound to the session that registered it (its name is the session's), so a
    client that learned another client's router category cannot register the other's callback, cannot have
    the other's `subscribe` refused by registering first, and its own events never reach the other."""
    victim, thief = (
        Client(shared.certs.ca_file, shared.router_proxy()),
        Client(shared.certs.ca_file, shared.router_proxy()),
    )
    got, own = Recorder(), Recorder()
    try:
        victim.login("SUBB", SECRETS["B_SECRET"])
        stolen = victim.router.getCategoryForClient()
        thief.login("SUBA", SECRETS["A_SECRET"])
        # the router's server endpoint, as any client can learn it (the category may hold ':', so not split)
        server = ":".join(e.toString() for e in thief.router.getServerProxy().ice_getEndpoints())
        guessed = thief.proxy(f"x:{server}").ice_identity(Ice.Identity("subscriber", stolen))
        with pytest.raises(SubscribeRefused, match="its name is not this session's"):
            thief.session.subscribe(SubscriberPrx.uncheckedCast(guessed))
        # registered first, in the victim's category, under the thief's own session name: accepted, but it
        # can only name an object the victim does not have
        first = thief.proxy(f"x:{server}").ice_identity(
            Ice.Identity(thief.session.ice_getIdentity().name, stolen)
        )
        thief.session.subscribe(SubscriberPrx.uncheckedCast(first))
        victim.session.subscribe(victim.callback(got))  # not refused
        shared.cli("send", "-", input=as_lines([step_handled("4040401"), step_handled("4040402")]))
        poll(lambda: len(got.messages) >= 2, 30, "SUBB's two events")
        # the same thief on the legitimate path: its own callback gets SUBA's copies of both
        thief.session.subscribe(thief.callback(own))
        poll(lambda: len(own.messages) >= 2, 30, "SUBA's events at its own callback")
        tickets = sorted(json.loads(json.loads(m)["data"])["serviceOrderId"] for m in got.messages)
        assert tickets == ["4040401", "4040402"], "the victim got its own copies once, none of the thief's"
    finally:
        victim.close()
        thief.close()


def test_secrets_and_events_never_cross_the_wire_in_clear_text(shared: LocalStack) -> None:
    """Threat 7: a wiretap between a subscriber and the router sees neither its secret nor its events."""
    relay = Relay(shared.router_ports[0].client)
    client = Client(shared.certs.ca_file, f"wostream/router:ssl -h 127.0.0.1 -p {relay.port}")
    got = Recorder()
    try:
        client.login("SUBA", SECRETS["A_SECRET"]).subscribe(client.callback(got))
        shared.cli("send", "-", input=as_lines([step_handled("5050501", organ="WIRETAP-ORGAN-671024")]))
        poll(lambda: any("5050501" in m for m in got.messages), 30, "the event through the wiretap")
        assert len(relay.seen) > 1000, "the traffic went through the relay"
        for clear in (SECRETS["A_SECRET"], "5050501", "WIRETAP-ORGAN-671024", "serviceOrderId"):
            assert clear.encode() not in relay.seen, f"{clear!r} crossed the wire in clear text"
    finally:
        client.close()
        relay.close()
    plain = Client(None, f"wostream/router:tcp -h 127.0.0.1 -p {shared.router_ports[0].client}")
    try:
        with pytest.raises(Ice.LocalException):
            plain.login("SUBA", SECRETS["A_SECRET"])
            pytest.fail("the router took a clear-text login")
    finally:
        plain.close()
    wrong_ca = Client(make_certs(shared.workdir / "elsewhere").ca_file, shared.router_proxy())
    try:
        with pytest.raises(Ice.SecurityException):
            wrong_ca.login("SUBA", SECRETS["A_SECRET"])
    finally:
        wrong_ca.close()


def test_the_web_port_answers_only_hosts_it_knows(shared: LocalStack) -> None:
    """Threat 11: a page elsewhere that rebinds its own name to this address (DNS rebinding) reads the
    operator's pages (every baseCode); probes and scrapers dial IP addresses."""
    port = shared.web_ports["w1"]

    def status(host: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/subscribers", headers={"Host": host})
            return connection.getresponse().status
        finally:
            connection.close()

    assert status(f"127.0.0.1:{port}") == 200
    assert status(f"localhost:{port}") == 200
    assert status("[::1]") == 200
    assert status(f"rebind.attacker.example:{port}") == 421
    assert status("wostream.internal.evil") == 421
