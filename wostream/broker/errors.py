"""Which broker errors are worth waiting out, and which no retry can fix."""

from __future__ import annotations

from aiokafka.errors import (
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)

# A record or topic the broker refuses every time: retrying only stalls everything queued behind it.
PERMANENT = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError, InvalidTopicError)


def permanent(exc: BaseException) -> bool:
    """True when the same write can never succeed; anything else (broker away, timeouts) may heal."""
    return isinstance(exc, PERMANENT)
