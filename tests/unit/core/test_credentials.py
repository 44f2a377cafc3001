"""Secret hashing: format, verification, and a verifier that answers False instead of raising."""

from __future__ import annotations

import base64
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wostream.core.credentials import (
    ALGORITHM,
    ITERATIONS,
    SALT_BYTES,
    hash_secret,
    looks_like_hash,
    verify_secret,
)

SECRET = "correct horse battery staple"


def test_hash_is_self_describing_and_salted() -> None:
    encoded = hash_secret(SECRET)
    algorithm, iterations, salt, digest = encoded.split("$")
    assert (algorithm, int(iterations)) == (ALGORITHM, ITERATIONS)
    assert len(base64.b64decode(salt)) == SALT_BYTES
    assert len(base64.b64decode(digest)) == 32
    assert SECRET not in encoded
    assert hash_secret(SECRET) != encoded  # a fresh salt every time


def test_verify_accepts_the_secret_and_nothing_else() -> None:
    encoded = hash_secret(SECRET)
    assert verify_secret(SECRET, encoded)
    assert not verify_secret(SECRET + " ", encoded)
    assert not verify_secret("", encoded)
    assert looks_like_hash(encoded)


def test_non_ascii_secret() -> None:
    encoded = hash_secret("密码-ß-🔑")
    assert verify_secret("密码-ß-🔑", encoded)
    assert not verify_secret("密码-ss-🔑", encoded)


def test_the_stored_cost_is_used_so_old_hashes_keep_working() -> None:
    cheap = hash_secret(SECRET, iterations=1000)
    assert cheap.startswith(f"{ALGORITHM}$1000$")
    assert verify_secret(SECRET, cheap)


def test_one_verification_costs_tens_of_milliseconds() -> None:
    encoded = hash_secret(SECRET)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        verify_secret(SECRET, encoded)
        best = min(best, time.perf_counter() - start)
    assert 0.005 < best < 0.5  # generous bounds: the target is 20-50 ms on the build machine


@pytest.mark.parametrize("iterations", [0, -1, 10_000_001])
def test_hash_rejects_absurd_costs(iterations: int) -> None:
    with pytest.raises(ValueError, match=r"^iterations must be between 1 and 10000000$"):
        hash_secret(SECRET, iterations=iterations)


def test_hash_rejects_an_empty_secret() -> None:
    with pytest.raises(ValueError, match=r"^a secret must be a non-empty string$"):
        hash_secret("")


_GOOD = hash_secret(SECRET, iterations=1000)
_, _COST, _SALT, _DIGEST = _GOOD.split("$")


@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "not a hash",
        SECRET,
        None,
        42,
        b"pbkdf2_sha256$1000$x$y",
        f"pbkdf2_sha1$1000${_SALT}${_DIGEST}",
        f"{ALGORITHM}$0${_SALT}${_DIGEST}",
        f"{ALGORITHM}$01000${_SALT}${_DIGEST}",
        f"{ALGORITHM}$-1000${_SALT}${_DIGEST}",
        f"{ALGORITHM}$1e3${_SALT}${_DIGEST}",
        f"{ALGORITHM}$٣٣${_SALT}${_DIGEST}",  # non-ASCII digits
        f"{ALGORITHM}$99999999999${_SALT}${_DIGEST}",  # would stall a verifier
        f"{ALGORITHM}$1000$!!!${_DIGEST}",
        f"{ALGORITHM}$1000${_SALT}$abc",
        f"{ALGORITHM}$1000${base64.b64encode(b'short').decode()}${_DIGEST}",
        f"{ALGORITHM}$1000${_SALT}${base64.b64encode(b'x' * 31).decode()}",
        f"{ALGORITHM}$1000${_SALT}${_DIGEST}$extra",
        f"{ALGORITHM}$1000${_SALT}",
        f"{ALGORITHM}$1000$é${_DIGEST}",
    ],
)
def test_malformed_hashes_are_false_never_an_exception(malformed: object) -> None:
    assert not looks_like_hash(malformed)
    assert verify_secret(SECRET, malformed) is False  # type: ignore[arg-type]


@pytest.mark.parametrize("secret", [None, 42, b"bytes", ""])
def test_a_non_string_secret_is_false(secret: object) -> None:
    assert verify_secret(secret, _GOOD) is False  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(st.text(min_size=1))
def test_any_secret_round_trips(secret: str) -> None:
    encoded = hash_secret(secret, iterations=1)
    assert looks_like_hash(encoded)
    assert verify_secret(secret, encoded)
    assert not verify_secret(secret + "x", encoded)


def test_a_generated_secret_gets_the_fast_keyed_hash_and_verifies() -> None:
    from wostream.core.credentials import generated, new_secret, slow

    secret = new_secret()
    assert generated(secret) and len(secret) == 47
    stored = hash_secret(secret)
    assert stored.startswith("hmac_sha256$") and not slow(stored)
    assert verify_secret(secret, stored) and not verify_secret(secret[:-1] + "x", stored)
    assert hash_secret(secret) != stored, "a fresh salt each time"
    human = hash_secret("a secret a person chose", iterations=1000)
    assert human.startswith("pbkdf2_sha256$") and slow(human)
    assert not generated("wos_short") and not generated("x" * 47)
