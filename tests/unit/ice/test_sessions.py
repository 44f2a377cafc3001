"""The live sessions of a worker: counted per subscriber and per router, and nothing kept once they end."""

from __future__ import annotations

from typing import Any

from wostream.core.models import Subscription
from wostream.ice.sessions import LiveSession, SessionRegistry, outdated


def live(code: str, session: str, router: str = "r1", secret_hash: str = "h") -> LiveSession:
    servant: Any = object()
    return LiveSession(code, session, secret_hash, None, servant, router)


def test_a_subscriber_holds_at_most_its_sessions() -> None:
    registry = SessionRegistry(max_per_subscriber=2)
    assert registry.add(live("A", "s1")) and registry.add(live("A", "s2"))
    assert not registry.add(live("A", "s3"))
    assert registry.add(live("B", "s4"))
    assert registry.count("A") == 2 and registry.count() == 3


def test_an_ended_session_is_forgotten_at_once_everywhere() -> None:
    registry = SessionRegistry()
    for n in range(20_000):
        assert registry.add(live("A", f"s{n}", router=f"r{n % 2}"))
        assert registry.remove("A", f"s{n}") is not None
    assert registry.count() == 0
    assert registry._by_code == {} and registry._by_router == {}


def test_a_router_that_goes_away_takes_its_sessions_with_it() -> None:
    registry = SessionRegistry()
    registry.add(live("A", "s1", router="r1"))
    registry.add(live("B", "s2", router="r1"))
    registry.add(live("A", "s3", router="r2"))
    left = registry.router_closed("r1")
    assert {s.session_id for s in left} == {"s1", "s2"}
    for s in left:
        registry.remove(s.base_code, s.session_id)
    assert "r1" not in registry._by_router and registry.count() == 1


def test_a_router_connection_gets_its_close_callback_once_whatever_its_sessions_do() -> None:
    """Replacing a connection's close callback deadlocks Ice for Python (the old one is released under the
    connection's lock, and releasing it needs the GIL a dispatch thread holds while waiting for that lock)."""
    registry = SessionRegistry()
    firsts = []
    for n in range(3):  # a client logging in and out: the router's sessions here come and go
        firsts.append(registry.first_from("r1"))
        registry.add(live("A", f"s{n}", router="r1"))
        registry.remove("A", f"s{n}")
    assert firsts == [True, False, False]
    registry.router_closed("r1")
    assert registry.first_from("r1"), "a connection to the same address after a close is a new one"


def test_a_session_ends_when_its_subscriber_changes_under_it() -> None:
    sub = Subscription("A", "A", "h", frozenset({"x"}), frozenset({"1"}), frozenset({"*"}))
    assert outdated(sub, "h") is None
    assert outdated(None, "h") == "the subscriber was removed"
    assert outdated(sub, "other") == "the subscriber's secret was rotated"
