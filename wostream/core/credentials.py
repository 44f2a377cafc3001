"""Subscriber secrets at rest: salted, self-describing hashes made with the standard library.

Only the hash travels (config topic, changelog, operator tools), so the encoding carries everything a verifier
needs (algorithm, cost, salt), in the layout Django and passlib use, so operators recognise it. Two kinds:

- A secret made by `wostream secret new` (`wos_` + 256 random bits) is hashed with a keyed SHA-256,
  `hmac_sha256$<salt b64>$<hash b64>`: nobody can guess 256 random bits from a leaked hash, however fast the
  hash, so it verifies in microseconds, applying a thousand subscribers costs nothing, and a login flood
  cannot burn the worker's CPU.
- A secret a person chose may be guessable, so it keeps a slow hash,
  `pbkdf2_sha256$<iterations>$<salt>$<hash>`, at a cost of roughly 20–50 ms a verification: slow enough to
  make offline guessing of a leaked hash expensive, cheap enough for a verifier that runs once per login.
Nothing in this module logs, formats or raises with a secret in it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets

ALGORITHM = "pbkdf2_sha256"
KEYED = "hmac_sha256"
GENERATED = re.compile(r"wos_[A-Za-z0-9_-]{43}")  # what `new_secret` makes: 32 random bytes, base64url
ITERATIONS = 100_000
SALT_BYTES = 16
_DIGEST_BYTES = 32
_MIN_SALT_BYTES = 8
# A hash comes from a topic: a huge iteration count must not be able to stall a verifier for minutes.
_MAX_ITERATIONS = 10_000_000


def new_secret() -> str:
    """A secret for a subscriber: 256 random bits, recognisable (`wos_`) so it gets the fast hash."""
    return "wos_" + secrets.token_urlsafe(32)


def generated(secret: str) -> bool:
    return GENERATED.fullmatch(secret) is not None


def hash_secret(secret: str, *, iterations: int = ITERATIONS) -> str:
    """Hash `secret` with a fresh random salt; two calls with the same secret give different strings."""
    if not isinstance(secret, str) or not secret:
        raise ValueError("a secret must be a non-empty string")
    if generated(secret):
        salt = os.urandom(SALT_BYTES)
        return f"{KEYED}${_b64(salt)}${_b64(_keyed(secret, salt))}"
    if not 1 <= iterations <= _MAX_ITERATIONS:
        raise ValueError(f"iterations must be between 1 and {_MAX_ITERATIONS}")
    salt = os.urandom(SALT_BYTES)
    digest = _derive(secret, salt, iterations)
    return f"{ALGORITHM}${iterations}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, secret_hash: str) -> bool:
    """True if `secret` matches `secret_hash`. Malformed input is a plain False, never an exception,
    because the caller is an authentication boundary that must answer yes or no."""
    if not isinstance(secret, str) or not secret:
        return False
    keyed = _parse_keyed(secret_hash)
    if keyed is not None:
        salt, expected = keyed
        return hmac.compare_digest(_keyed(secret, salt), expected)
    parsed = _parse(secret_hash)
    if parsed is None:
        return False
    iterations, salt, expected = parsed
    return hmac.compare_digest(_derive(secret, salt, iterations), expected)


def settle(secret: str, stored: str | None) -> str:
    """The hash to publish for `secret`: the one already stored if it still matches (an unchanged subscriber
    publishes nothing, and its sessions stay), else a fresh one."""
    if stored is not None and verify_secret(secret, stored):
        return stored
    return hash_secret(secret)


def slow(secret_hash: str) -> bool:
    """Whether verifying against this hash costs a slow derivation (what a CLI runs on every core)."""
    return _parse(secret_hash) is not None


def looks_like_hash(s: object) -> bool:
    """True if `s` is a well-formed hash of this module's formats (says nothing about which secret)."""
    return _parse(s) is not None or _parse_keyed(s) is not None


def _keyed(secret: str, salt: bytes) -> bytes:
    return hmac.new(salt, secret.encode("utf-8"), hashlib.sha256).digest()


def _parse_keyed(secret_hash: object) -> tuple[bytes, bytes] | None:
    if not isinstance(secret_hash, str):
        return None
    parts = secret_hash.split("$")
    if len(parts) != 3 or parts[0] != KEYED:
        return None
    salt, digest = _unb64(parts[1]), _unb64(parts[2])
    if salt is None or digest is None or len(salt) < _MIN_SALT_BYTES or len(digest) != _DIGEST_BYTES:
        return None
    return salt, digest


def _derive(secret: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), salt, iterations, _DIGEST_BYTES)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None


def _parse(secret_hash: object) -> tuple[int, bytes, bytes] | None:
    """Split an encoded hash into (iterations, salt, digest), or None if any part is malformed."""
    if not isinstance(secret_hash, str):
        return None
    parts = secret_hash.split("$")
    if len(parts) != 4 or parts[0] != ALGORITHM:
        return None
    _, cost, salt_b64, digest_b64 = parts
    if not (cost.isascii() and cost.isdigit()) or cost.startswith("0"):
        return None
    iterations = int(cost)
    salt, digest = _unb64(salt_b64), _unb64(digest_b64)
    if iterations > _MAX_ITERATIONS or salt is None or digest is None:
        return None
    if len(salt) < _MIN_SALT_BYTES or len(digest) != _DIGEST_BYTES:
        return None
    return iterations, salt, digest
