"""Config-topic records folded into a Directory: subscriptions, callbacks, retry states and parks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from wostream.core.credentials import hash_secret
from wostream.core.directory import Directory
from wostream.core.models import Subscription
from wostream.core.schedules import RetryState, Schedules
from wostream.records.config import subscription_to_record
from wostream.records.fold import Fold
from wostream.records.state import callback_key, callback_value, park_key, retry_key, retry_value

HASH = hash_secret("s", iterations=1000)


def sub(base_code: str = "S1", **kw: object) -> Subscription:
    fields: dict[str, object] = dict(
        base_code=base_code,
        name=base_code,
        secret_hash=HASH,
        data_areas=frozenset({"fwwt"}),
        change_ids=frozenset({"1"}),
        organ_ids=frozenset({"*"}),
    )
    fields.update(kw)
    return Subscription(**fields)  # type: ignore[arg-type]


def with_subscription(**kw: Any) -> Directory:
    d = Directory()
    Fold(d).subscription(*subscription_to_record(sub(**kw)))
    return d


def test_online_needs_an_enabled_unpaused_subscription_and_a_callback() -> None:
    d = with_subscription()
    assert not d.online("S1")
    Fold(d).callback(callback_key("S1", "sess1"), callback_value("proxy-1", 10.0))
    assert d.online("S1")
    paused = with_subscription(paused=True)
    Fold(paused).callback(callback_key("S1", "sess1"), callback_value("proxy-1", 10.0))
    disabled = with_subscription(enabled=False)
    Fold(disabled).callback(callback_key("S1", "sess1"), callback_value("proxy-1", 10.0))
    assert (paused.online("S1"), disabled.online("S1")) == (False, False)


def test_the_latest_registration_wins_and_an_old_tombstone_does_not_hide_it() -> None:
    d = with_subscription()
    Fold(d).callback(callback_key("S1", "old"), callback_value("proxy-old", 10.0))
    Fold(d).callback(callback_key("S1", "new"), callback_value("proxy-new", 20.0))
    assert d.callback_for("S1").proxy == "proxy-new"  # type: ignore[union-attr]
    Fold(d).callback(callback_key("S1", "old"), None)  # the old session's late goodbye
    assert d.callback_for("S1").proxy == "proxy-new"  # type: ignore[union-attr]
    Fold(d).callback(callback_key("S1", "new"), None)
    assert d.callback_for("S1") is None and not d.online("S1")


@dataclass
class Heard:
    codes: list[str]

    def subscriber_changed(self, base_code: str) -> None:
        self.codes.append(base_code)


def test_watchers_hear_every_change_of_a_subscriber() -> None:
    d = Directory()
    heard: list[str] = []
    d.watch(Heard(heard))
    Fold(d).subscription(*subscription_to_record(sub()))
    Fold(d).callback(callback_key("S1", "a"), callback_value("p", 1.0))
    Fold(d).subscription(b"S1", None)
    assert heard == ["S1", "S1", "S1"] and d.subscriptions == {}


def test_retry_states_and_parks_round_trip_and_clear() -> None:
    d, s = Directory(), Schedules()
    state = RetryState(41, "e1", 3, 100.0, 104.0, "refused")
    Fold(d, s).retry(retry_key("wo.push.S1", 2, 41), retry_value(state))
    assert s.retries[("wo.push.S1", 2, 41)] == state
    Fold(d, s).retry(park_key("S1", "T9"), json.dumps({"eventId": "e1", "at": 5.0}).encode())
    assert (s.parked[("S1", "T9")].event_id, s.parked[("S1", "T9")].at) == ("e1", 5.0)
    Fold(d, s).retry(retry_key("wo.push.S1", 2, 41), None)
    Fold(d, s).retry(park_key("S1", "T9"), None)
    assert s.retries == {} and s.parked == {}


def test_bad_records_are_reported_not_raised() -> None:
    d = Directory()
    Fold(d).subscription(b"S1", b"{not json")
    Fold(d).callback(b"no-separator", b"{}")
    Fold(d).retry(b"bogus\x1fa\x1fb", b"{}")
    assert len(d.errors) == 3
    assert "subscription record b'S1' ignored" in d.errors[0]
    assert "callback record b'no-separator' ignored: RecordError: key must have 2 parts" in d.errors[1]
    assert "retry record" in d.errors[2]
