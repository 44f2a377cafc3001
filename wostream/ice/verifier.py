"""Glacier2's permissions verifier: a baseCode and its secret, checked against the subscription's hash.

Everything a client sends is bounded before it is used or logged; one refusal text for an unknown, disabled or
mistyped code (nobody learns which codes exist). What each check may cost is the login policy's to decide
(`core.logins`): generated secrets and unknown codes are checked every time in microseconds; a secret a person
chose is checked only within its budgets, and a client over them is told how long to wait.
"""

from __future__ import annotations

import logging
import time

import Glacier2
import Ice

from wostream.config.subscriptions import BASE_CODE_RE
from wostream.core.credentials import hash_secret, new_secret, slow, verify_secret
from wostream.core.directory import Directory
from wostream.core.logins import LoginPolicy

log = logging.getLogger(__name__)

REFUSED = "wrong baseCode or secret"  # one answer for unknown, disabled and wrong: no list of who exists
MAX_SECRET = 1024  # characters; longer is refused before hashing


def peer(current: Ice.Current) -> str:
    """The client's address, as the router passes it (`Glacier2.AddConnectionContext`)."""
    return str(current.ctx.get("_con.remoteAddress", "?"))[:64] if current.ctx else "?"


def shown(user_id: str) -> str:
    """A userId as logs may show it: only if it is a well-formed baseCode."""
    return repr(user_id) if BASE_CODE_RE.fullmatch(user_id) else f"<not a baseCode, {len(user_id)} chars>"


class PermissionsVerifierI(Glacier2.PermissionsVerifier):  # type: ignore[misc]
    def __init__(self, directory: Directory, policy: LoginPolicy) -> None:
        self.directory = directory
        self.policy = policy
        # what an unknown code is checked against: a generated secret's fast hash, so refusing one costs the
        # same microseconds as refusing a wrong generated secret
        self.decoy_hash = hash_secret(new_secret())

    def checkPermissions(self, userId: str, password: str, current: Ice.Current) -> tuple[bool, str]:
        address = peer(current)
        if not BASE_CODE_RE.fullmatch(userId) or len(password) > MAX_SECRET:
            log.warning("login refused from %s: %s or an oversize secret", address, shown(userId))
            return False, REFUSED
        sub = self.directory.subscriptions.get(userId)
        stored = sub.secret_hash if sub is not None else self.decoy_hash
        costly = slow(stored)
        if costly:
            wait = self.policy.admit_slow(userId, address, time.monotonic())
            if wait > 0:
                log.info("login for %r from %s not checked: wait %.0f s", userId, address, wait)
                return (
                    False,
                    f"too many failed logins for this baseCode; try again in {max(1, round(wait))} s",
                )
        ok = verify_secret(password, stored)
        if sub is None or not sub.enabled or not ok:
            if costly:
                self.policy.failed(userId, address, time.monotonic())
            why = "unknown" if sub is None else "disabled" if not sub.enabled else "wrong secret"
            log.warning("login refused for %r from %s (%s)", userId, address, why)
            return False, REFUSED
        if costly:
            self.policy.succeeded(userId, address, time.monotonic())
        log.info("login accepted for %r from %s", userId, address)
        return True, ""
