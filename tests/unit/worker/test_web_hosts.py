"""Which Host headers the web port answers: IP literals (probes, scrapers) and configured names only."""

from __future__ import annotations

import pytest

from wostream.worker.web.server import host_allowed


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:6066", True),
        ("10.1.2.3", True),
        ("[::1]:6066", True),
        ("[2001:db8::1]", True),
        ("localhost:6066", True),
        ("LOCALHOST", True),
        ("wostream-web.wostream.svc:6066", True),
        ("attacker.example:6066", False),
        ("localhost.attacker.example", False),
        ("", False),
        (None, False),
    ],
)
def test_a_host_is_answered_when_it_is_an_address_or_a_known_name(host: str | None, allowed: bool) -> None:
    assert host_allowed(host, ["localhost", "wostream-web.wostream.svc"]) is allowed
