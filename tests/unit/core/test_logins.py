"""Failed logins slow down further attempts, per baseCode (gently) and per address (strictly)."""

from __future__ import annotations

from wostream.core.logins import LoginThrottle


def test_the_first_failures_are_free_then_waits_double() -> None:
    t = LoginThrottle(free_failures=3, max_wait=300.0, max_wait_code=300.0)
    for n in range(3):
        assert t.wait("A", "1.2.3.4", 100.0 + n) == 0.0
        t.failed("A", "1.2.3.4", 100.0 + n)
    assert t.wait("A", "1.2.3.4", 102.0) == 1.0  # 3 failures: wait 2**0 s after the last
    t.failed("A", "1.2.3.4", 103.0)
    assert t.wait("A", "1.2.3.4", 103.0) == 2.0
    t.failed("A", "1.2.3.4", 105.0)
    assert t.wait("A", "1.2.3.4", 105.5) == 3.5


def test_the_address_limit_holds_for_every_code_it_tries() -> None:
    t = LoginThrottle(free_failures=2, max_wait=300.0, max_wait_code=1.0)
    for n, code in enumerate(["A", "B", "C", "D", "E", "F", "G"]):
        t.failed(code, "6.6.6.6", 100.0 + n)
    assert t.wait("H", "6.6.6.6", 106.0) == 32.0, "a guessing address waits whatever code it names"
    assert t.wait("H", "7.7.7.7", 106.0) == 0.0, "another address does not"


def test_a_code_under_attack_locks_its_owner_out_only_briefly() -> None:
    t = LoginThrottle(free_failures=2, max_wait=300.0, max_wait_code=5.0)
    for n in range(20):
        t.failed("VICTIM", f"10.0.0.{n}", 100.0)
    assert t.wait("VICTIM", "192.168.1.1", 100.0) == 5.0


def test_success_clears_and_old_failures_are_forgotten() -> None:
    t = LoginThrottle(free_failures=1, window=60.0)
    t.failed("A", "1.1.1.1", 100.0)
    assert t.wait("A", "1.1.1.1", 100.0) > 0
    t.succeeded("A", "1.1.1.1")
    assert t.wait("A", "1.1.1.1", 100.0) == 0.0
    t.failed("A", "1.1.1.1", 100.0)
    assert t.wait("A", "1.1.1.1", 161.0) == 0.0


def test_memory_is_bounded() -> None:
    t = LoginThrottle(max_keys=10)
    for n in range(1000):
        t.failed(f"C{n}", f"addr{n}", 1.0)
    assert len(t._failures) == 10
