"""Which callbacks a session may register, and which registered ones may be called (no network: a
communicator only parses proxies here)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import Ice
import pytest

from wostream.ice.callbacks import CallbackRule, Refusal, server_endpoints

SESSION = "0123456789abcdef0123456789abcdef"
CATEGORY = "AbCdEfGhIjKlMnOpQrSt"
SERVER = "ssl -h 127.0.0.1 -p 4064"


@pytest.fixture
def rule() -> Iterator[CallbackRule]:
    communicator = Ice.initialize(["--Ice.Plugin.IceSSL=IceSSL:createIceSSL", "--Ice.InitPlugins=0"])
    try:
        yield CallbackRule(communicator, server_endpoints(communicator, SERVER))
    finally:
        communicator.destroy()


def proxy(rule: CallbackRule, text: str) -> Any:
    return rule.communicator.stringToProxy(text)


def test_the_sessions_own_callback_through_our_router_is_accepted_as_we_would_write_it(
    rule: CallbackRule,
) -> None:
    accepted = rule.accept(proxy(rule, f"{CATEGORY}/{SESSION} -t:{SERVER}"), SESSION)
    assert accepted == f"{CATEGORY}/{SESSION} -t -e 1.1:{SERVER} -t 60000"
    assert rule.valid(accepted, SESSION) is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (f"{CATEGORY}/callback:{SERVER}", "its name is not this session's"),
        (f"short/{SESSION}:{SERVER}", "its category is not the router's"),
        (f"{CATEGORY}/{SESSION} -o:{SERVER}", "plain twoway proxy"),
        (f"{CATEGORY}/{SESSION}:tcp -h 10.0.0.1 -p 80", "must go through the router"),
        (f"{CATEGORY}/{SESSION}", "not 0 endpoints"),
    ],
)
def test_anything_else_is_refused_with_the_reason(rule: CallbackRule, text: str, why: str) -> None:
    with pytest.raises(Refusal, match=why):
        rule.accept(proxy(rule, text), SESSION)


def test_a_registration_read_back_from_kafka_is_held_to_the_same_rule(rule: CallbackRule) -> None:
    ours = rule.accept(proxy(rule, f"{CATEGORY}/{SESSION}:{SERVER}"), SESSION)
    assert rule.valid(ours, "another-session-id") == (
        "the callback's identity must be Ice.Identity(session.ice_getIdentity().name, "
        "router.getCategoryForClient()): its name is not this session's"
    )
    assert rule.valid(f"{CATEGORY}/{SESSION}:tcp -h 203.0.113.9 -p 4064", SESSION) is not None
    assert rule.valid("not a proxy ::: at all", SESSION) is not None
