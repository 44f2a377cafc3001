"""The subscriptions topic's records: shape, round trip of any subscription, and malformed records."""

from __future__ import annotations

import json
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workshop.paths import DEMO
from wostream.config.errors import ConfigError
from wostream.config.subscriptions import parse_subscriptions, public_view
from wostream.core.credentials import hash_secret
from wostream.core.models import RetryPolicy, Subscription
from wostream.records.config import subscription_from_record, subscription_to_record

EXAMPLE = DEMO / "subscriptions.yaml"
SECRET = "s3cret-HRZ-value"
ENV = {"HRZDWYWHXT_SECRET": SECRET, "DEMOB_SECRET": "demo-b-secret"}
HASH = hash_secret("already-hashed", iterations=1000)
NOT_A_KIND = 'is not an event kind (1..10 or "*")'
NOT_A_DURATION = "is not a duration (e.g. 500ms, 1s, 5m, 1h or a number of seconds)"


def entry() -> str:
    return textwrap.dedent(f"""\
        subscribers:
          - baseCode: HRZDWYWHXT
            secretHash: {HASH}
            dataAreas: [fwwt]
            changeIds: ["1"]
            scope: {{organIds: ["671024"]}}
        """)


def parse(text: str) -> list[Subscription]:
    return parse_subscriptions(text, ENV, "subscriptions.yaml")


def test_record_round_trip_and_shape() -> None:
    sub = parse_subscriptions(EXAMPLE.read_text(encoding="utf-8"), ENV)[0]
    key, value = subscription_to_record(sub)
    assert key == b"HRZDWYWHXT"
    assert json.loads(value) == {
        "baseCode": "HRZDWYWHXT",
        "name": "XX系统",
        "secretHash": sub.secret_hash,
        "dataAreas": ["fwwt"],
        "changeIds": ["1", "2", "3", "5"],
        "scope": {"organIds": ["671024"], "communityIds": []},
        "mask": ["contactTel", "currentUser[].userTel"],
        "enabled": True,
        "paused": False,
        "retry": {"attempts": 12, "initial": 1.0, "max": 300.0},
    }
    assert subscription_from_record(key, value) == sub
    assert SECRET.encode() not in key + value
    assert SECRET not in json.dumps(public_view(sub), ensure_ascii=False)


def test_tombstone_means_removed() -> None:
    assert subscription_from_record(b"HRZDWYWHXT", None) is None


def _record(**changes: object) -> bytes:
    body: dict[str, object] = json.loads(subscription_to_record(parse(entry())[0])[1])
    body.update(changes)
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


R = 'config record "HRZDWYWHXT"'


@pytest.mark.parametrize(
    ("key", "value", "errors"),
    [
        (b"\xff", b"{}", ["config record: key is not UTF-8"]),
        (b"HRZDWYWHXT", b"{not json", [f"{R}: value is not UTF-8 JSON (JSONDecodeError)"]),
        (b"HRZDWYWHXT", b"\xff", [f"{R}: value is not UTF-8 JSON (UnicodeDecodeError)"]),
        (b"HRZDWYWHXT", b"", [f"{R}: value is not UTF-8 JSON (JSONDecodeError)"]),
        (b"HRZDWYWHXT", b"[]", [f"{R}: must be a mapping"]),
        (
            b"OTHER",
            _record(),
            ['config record "OTHER" (HRZDWYWHXT): baseCode: "HRZDWYWHXT" does not match the record key'],
        ),
        (
            b"HRZDWYWHXT",
            _record(secretHash=None, secret="clear"),
            [
                f"{R} (HRZDWYWHXT): secretHash: required",
                f'{R} (HRZDWYWHXT): secret: unknown key (did you mean "secretHash"?)',
            ],
        ),
        (
            b"HRZDWYWHXT",
            _record(changeIds=["11"], enabled="yes"),
            [
                f'{R} (HRZDWYWHXT): changeIds: "11" {NOT_A_KIND}',
                f'{R} (HRZDWYWHXT): enabled: "yes" must be true or false',
            ],
        ),
        (
            b"HRZDWYWHXT",
            _record(retry={"attempts": True, "initial": -1, "max": "1s"}),
            [
                f"{R} (HRZDWYWHXT): retry.attempts: true must be a whole number ≥ 1",
                f"{R} (HRZDWYWHXT): retry.initial: -1 {NOT_A_DURATION}",
            ],
        ),
        (  # a number too large for a float is a wrong value, not a crash
            b"HRZDWYWHXT",
            _record(retry={"attempts": 1, "initial": 10**309, "max": "1s"}),
            [f"{R} (HRZDWYWHXT): retry.initial: {10**309} {NOT_A_DURATION}"],
        ),
        (  # a written null is not how a key is left out
            b"HRZDWYWHXT",
            json.dumps({**json.loads(_record()), "name": None, "retry": None, "partitions": None}).encode(),
            [
                f"{R} (HRZDWYWHXT): name: must be a string",
                f"{R} (HRZDWYWHXT): retry: must be a mapping with attempts, initial and max",
                f"{R} (HRZDWYWHXT): partitions: null must be a whole number from 1 to 64",
            ],
        ),
    ],
)
def test_malformed_records(key: bytes, value: bytes, errors: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        subscription_from_record(key, value)
    assert info.value.errors == errors


_CODES = st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)
_WORDS = st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True)
_SETS = st.one_of(st.just(frozenset({"*"})), st.frozensets(_WORDS, max_size=4))
_SECONDS = st.floats(min_value=0.001, max_value=1e6)
_CHANGE_IDS = st.one_of(
    st.just(frozenset({"*"})), st.frozensets(st.sampled_from([str(n) for n in range(1, 11)]), min_size=1)
)
_MASK_PATHS = st.lists(
    st.from_regex(r"[a-zA-Z ]{1,5}(\[\])?(\.[a-z]{1,5}(\[\])?){0,2}", fullmatch=True), unique=True, max_size=3
)


@st.composite
def _subscriptions(draw: st.DrawFn) -> Subscription:
    low, high = sorted((draw(_SECONDS), draw(_SECONDS)))
    policy = st.builds(RetryPolicy, st.integers(1, 1000), st.just(low), st.just(high))
    return Subscription(
        base_code=draw(_CODES),
        name=draw(st.text()),
        secret_hash=HASH,
        data_areas=draw(_SETS.filter(bool)),
        change_ids=draw(_CHANGE_IDS),
        organ_ids=draw(_SETS),
        community_ids=draw(_SETS),
        mask=tuple(draw(_MASK_PATHS)),
        enabled=draw(st.booleans()),
        paused=draw(st.booleans()),
        retry=draw(st.one_of(st.none(), policy)),
    )


@settings(max_examples=150, deadline=None)
@given(_subscriptions())
def test_any_subscription_round_trips(sub: Subscription) -> None:
    key, value = subscription_to_record(sub)
    assert subscription_from_record(key, value) == sub
