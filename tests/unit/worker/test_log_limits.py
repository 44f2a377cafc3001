"""A storm of one kind of log line becomes a few lines and a count; other kinds pass."""

from __future__ import annotations

import logging

from wostream.worker.log_limits import RepeatLimit


def record(msg: str, *args: object, name: str = "aiokafka.client") -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args or None, None)


def test_a_storm_is_cut_to_a_few_lines_a_window_and_the_next_says_how_many_went() -> None:
    now = [0.0]
    limit = RepeatLimit(per_window=3, window=10.0, clock=lambda: now[0])
    storm = [record("Unable connect to node with id %s: %s", 1, f"err {n}") for n in range(3000)]
    passed = [limit.filter(r) for r in storm]
    assert passed.count(True) == 3
    now[0] = 10.0
    first = record("Unable connect to node with id %s: %s", 1, "again")
    assert limit.filter(first)
    assert first.getMessage() == (
        "Unable connect to node with id 1: again (2997 more like it in the last 10 s)"
    )


def test_other_kinds_and_loggers_are_counted_apart() -> None:
    limit = RepeatLimit(per_window=1, window=10.0, clock=lambda: 0.0)
    assert limit.filter(record("a %s", 1))
    assert not limit.filter(record("a %s", 2))
    assert limit.filter(record("b %s", 1))
    assert limit.filter(record("a %s", 1, name="wostream.worker"))


def test_the_counted_line_goes_through_the_workers_formatter_whole() -> None:
    """Faust's worker formats with mode's formatter, which re-reads a record's arguments."""
    from mode.utils.logging import ExtensionFormatter

    now = [0.0]
    limit = RepeatLimit(per_window=1, window=10.0, clock=lambda: now[0])
    limit.filter(record("login accepted for %r from %s", "GEN", "127.0.0.1"))
    limit.filter(record("login accepted for %r from %s", "GEN", "127.0.0.1"))
    now[0] = 10.0
    counted = record("login accepted for %r from %s", "GEN", "10.0.0.1")
    assert limit.filter(counted)
    line = ExtensionFormatter(fmt="%(message)s").format(counted)
    assert line == "login accepted for 'GEN' from 10.0.0.1 (1 more like it in the last 10 s)"
