"""Outcomes of one push, as delivery sees them: the Ice adapter translates Ice exceptions into these."""

from __future__ import annotations


class PushError(Exception):
    """A push that did not end in an acknowledgement."""


class Refused(PushError):
    """The subscriber threw PushRefused: it is there, but cannot take the message now. Retried. `accepted`:
    how many leading messages of a batch it applied before refusing (BatchRefused), 0 otherwise."""

    def __init__(self, reason: str, accepted: int = 0) -> None:
        super().__init__(reason)
        self.accepted = accepted


class Failed(PushError):
    """Timeout, lost connection, router unreachable, unknown failure: the outcome is unknown. Retried."""


class Gone(PushError):
    """The callback's session no longer exists (ObjectNotExistException): the subscriber is offline."""
