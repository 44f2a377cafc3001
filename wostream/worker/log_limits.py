"""At most a few log lines a second for any one kind of message, however often it happens.

A broker away for half a minute makes every Kafka client report every failed reconnect and metadata request,
and a login flood makes the verifier report every refusal: thousands of identical lines that bury the one that
matters and cost CPU to write. Lines are counted per logger and message template (before its arguments are
filled in, so "Unable connect to node with id 1" is one kind however many nodes and errors); past
`per_window` in a window the rest are dropped, and the next line of that kind says how many were.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_KINDS = 1000  # kinds of message remembered; the least recently seen go first


@dataclass
class _Window:
    start: float
    count: int = 0
    dropped: int = 0


class RepeatLimit(logging.Filter):
    def __init__(
        self, per_window: int = 5, window: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.per_window = per_window
        self.window = window
        self.clock = clock
        self._kinds: OrderedDict[tuple[str, str], _Window] = OrderedDict()

    def filter(self, record: logging.LogRecord) -> bool:
        kind = (record.name, record.msg if isinstance(record.msg, str) else type(record.msg).__name__)
        now = self.clock()
        seen = self._kinds.pop(kind, None)
        if seen is None or now - seen.start >= self.window:
            dropped = seen.dropped if seen is not None else 0
            seen = _Window(now)
            if dropped:
                record.msg = f"{record.getMessage()} ({dropped} more like it in the last {self.window:.0f} s)"
                record.args = ()  # not None: mode's formatter turns None into (None,) and formats again
        self._kinds[kind] = seen
        while len(self._kinds) > MAX_KINDS:
            self._kinds.popitem(last=False)
        seen.count += 1
        if seen.count > self.per_window:
            seen.dropped += 1
            return False
        return True


def limit_repeats(logger: logging.Logger | None = None) -> RepeatLimit:
    """Put one `RepeatLimit` on every handler of `logger` (the root's by default): it sees every line."""
    limit = RepeatLimit()
    for handler in (logger or logging.getLogger()).handlers:
        handler.addFilter(limit)
    return limit
