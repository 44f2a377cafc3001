"""Subscriber secrets at rest: salted, slow, self-describing hashes made with the standard library.

Only the hash travels (config topic, changelog, operator tools), so the encoding must carry everything a
verifier needs — algorithm, cost, salt — and a future change of cost must not invalidate stored hashes:
`pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>`, the layout Django and passlib use, so operators
recognise it.

The cost is chosen so one verification takes roughly 20–50 ms: slow enough to make offline guessing of a
leaked hash expensive, cheap enough for a Glacier2 permissions verifier that runs once per subscriber login.
Nothing in this module logs, formats or raises with a secret in it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 100_000
SALT_BYTES = 16
_DIGEST_BYTES = 32
_MIN_SALT_BYTES = 8
# A hash comes from a topic: a huge iteration count must not be able to stall a verifier for minutes.
_MAX_ITERATIONS = 10_000_000


def hash_secret(secret: str, *, iterations: int = ITERATIONS) -> str:
    """Hash `secret` with a fresh random salt; two calls with the same secret give different strings."""
    if not isinstance(secret, str) or not secret:
        raise ValueError("a secret must be a non-empty string")
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
    parsed = _parse(secret_hash)
    if parsed is None:
        return False
    iterations, salt, expected = parsed
    return hmac.compare_digest(_derive(secret, salt, iterations), expected)


def looks_like_hash(s: object) -> bool:
    """True if `s` is a well-formed hash of this module's format (says nothing about which secret)."""
    return _parse(s) is not None


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
