"""The login policy: what may be checked, at what cost, whatever an attacker does with many addresses."""

from __future__ import annotations

import pytest

from wostream.core.logins import Bucket, LoginPolicy, network_of


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("127.5.6.7", "127.5.6.0/24"),
        ("10.1.2.250", "10.1.2.0/24"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("[::1]", "::/64"),
        ("not an address", "not an address"),
    ],
)
def test_addresses_are_judged_by_their_network(address: str, network: str) -> None:
    assert network_of(address) == network


def test_a_bucket_gives_its_burst_then_its_rate() -> None:
    bucket = Bucket(rate=2.0, burst=3.0)
    for _ in range(3):
        assert bucket.wait(0.0) == 0.0
        bucket.take(0.0)
    assert bucket.wait(0.0) == pytest.approx(0.5)
    assert bucket.wait(0.5) == 0.0


def test_a_network_that_keeps_failing_waits_and_others_do_not() -> None:
    policy = LoginPolicy(free_failures=3, code_burst=100, code_per_minute=6000)
    for n in range(3):
        assert policy.admit_slow("A", f"10.0.0.{n}", 100.0) == 0.0
        policy.failed("A", f"10.0.0.{n}", 100.0)
    assert policy.admit_slow("A", "10.0.0.77", 100.0) == pytest.approx(1.0), "the same /24 waits"
    assert policy.admit_slow("A", "10.0.1.1", 100.0) == 0.0, "another network does not"
    assert policy.admit_slow("B", "10.0.0.77", 100.0) == 0.0, "nor another baseCode"


def test_the_wait_doubles_up_to_the_ceiling_and_a_success_clears_it() -> None:
    policy = LoginPolicy(free_failures=1, max_wait=8.0, code_burst=100, code_per_minute=6000)
    waits = []
    for n in range(6):
        policy.failed("A", "10.0.0.1", float(n * 10))
        waits.append(policy.admit_slow("A", "10.0.0.1", float(n * 10)))
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    policy.succeeded("A", "10.0.0.1", 1000.0)
    assert policy.admit_slow("A", "10.0.0.1", 1000.0) == 0.0


def test_guesses_at_one_code_from_many_networks_are_bounded() -> None:
    policy = LoginPolicy(code_burst=10, code_per_minute=30, slow_per_second=1000, slow_burst=1000)
    admitted = 0
    for n in range(600):  # one minute, ten tries a second, each from a network of its own
        now = n / 10
        if policy.admit_slow("A", f"10.{n // 256}.{n % 256}.1", now) == 0.0:
            admitted += 1
            policy.failed("A", f"10.{n // 256}.{n % 256}.1", now)
    assert 38 <= admitted <= 41, "the burst of 10 and 30 a minute"


def test_the_owner_from_a_known_network_is_checked_while_the_code_is_flooded() -> None:
    policy = LoginPolicy(code_burst=2, code_per_minute=1, slow_per_second=4, slow_burst=4, known_per_second=2)
    policy.succeeded("A", "192.0.2.10", 0.0)  # the owner logged in from here before
    for n in range(200):
        policy.admit_slow("A", f"198.51.{n}.1", 1.0)  # the flood takes every budget it can
    assert policy.admit_slow("A", "10.9.9.9", 1.0) > 0, "a new network waits with the flood"
    assert policy.admit_slow("A", "192.0.2.77", 1.0) == 0.0, "the owner's network does not"


def test_slow_checks_over_all_codes_stay_within_the_global_budget() -> None:
    policy = LoginPolicy(slow_per_second=10, slow_burst=10, known_per_second=2)
    admitted = sum(
        policy.admit_slow(f"C{n}", f"10.{n // 256}.{n % 256}.1", n / 100) == 0.0 for n in range(1000)
    )
    assert admitted <= 10 + 8 * 10 + 1, "a burst of 10, then 8 a second for the others over 10 s"


def test_memory_is_bounded() -> None:
    policy = LoginPolicy(max_keys=100)
    for n in range(1000):
        policy.failed(f"C{n}", "10.0.0.1", 0.0)
        policy.succeeded(f"K{n}", "10.0.0.1", 0.0)
        policy.admit_slow(f"C{n}", "10.0.0.2", 0.0)
    assert len(policy._failures) <= 100 and len(policy._known) <= 100 and len(policy._codes) <= 100
