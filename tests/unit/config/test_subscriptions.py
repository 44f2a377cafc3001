"""Subscriptions file validation (every error, exact messages), secrets, and the config-topic wire format."""

from __future__ import annotations

import json
import textwrap

import pytest

import wostream.config.subscriptions as subscriptions_module
from workshop.paths import DEMO
from wostream.config.errors import ConfigError
from wostream.config.subscriptions import parse_subscriptions, public_view
from wostream.core.credentials import hash_secret, verify_secret
from wostream.core.models import RetryPolicy, Subscription

EXAMPLE = DEMO / "subscriptions.yaml"
SECRET = "s3cret-HRZ-value"
ENV = {"HRZDWYWHXT_SECRET": SECRET, "DEMOB_SECRET": "demo-b-secret"}
HASH = hash_secret("already-hashed", iterations=1000)
SRC = "subscriptions.yaml"
NOT_A_KIND = 'is not an event kind (1..10 or "*")'
NOT_A_DURATION = "is not a duration (e.g. 500ms, 1s, 5m, 1h or a number of seconds)"
NOT_A_PATH = 'is not a field path (names joined by ".", a list marked "[]", e.g. currentUser[].userTel)'


def parse(text: str, env: dict[str, str] | None = None) -> list[Subscription]:
    return parse_subscriptions(textwrap.dedent(text), ENV if env is None else env, SRC)


def errors_of(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(text, env)
    assert str(info.value) == "\n".join(info.value.errors)
    return info.value.errors


def entry(extra: str = "", *, drop: tuple[str, ...] = ()) -> str:
    """One valid entry with `extra` lines appended and the named keys left out."""
    lines = {
        "baseCode": "baseCode: HRZDWYWHXT",
        "secretHash": f"secretHash: {HASH}",
        "dataAreas": "dataAreas: [fwwt]",
        "changeIds": 'changeIds: ["1"]',
        "scope": 'scope: {organIds: ["671024"]}',
    }
    body = [line for key, line in lines.items() if key not in drop] + [x for x in extra.split("\n") if x]
    return "subscribers:\n  - " + "\n    ".join(body) + "\n"


# ---------------------------------------------------------------- the example file


def test_example_file_parses_as_documented() -> None:
    hrz, demob = parse_subscriptions(EXAMPLE.read_text(encoding="utf-8"), ENV, str(EXAMPLE))
    assert hrz == Subscription(
        base_code="HRZDWYWHXT",
        name="XX系统",
        secret_hash=hrz.secret_hash,
        data_areas=frozenset({"fwwt"}),
        change_ids=frozenset({"1", "2", "3", "5"}),
        organ_ids=frozenset({"671024"}),
        community_ids=frozenset(),
        mask=("contactTel", "currentUser[].userTel"),
        enabled=True,
        retry=RetryPolicy(attempts=12, initial=1.0, max=300.0),
    )
    assert verify_secret(SECRET, hrz.secret_hash)
    assert (demob.base_code, demob.data_areas, demob.change_ids) == (
        "DEMOB",
        frozenset({"10008"}),
        frozenset({"*"}),
    )
    assert (demob.organ_ids, demob.community_ids, demob.mask, demob.retry) == (
        frozenset({"*"}),
        frozenset(),
        (),
        None,
    )
    assert verify_secret("demo-b-secret", demob.secret_hash)


def test_example_file_without_environment_names_both_variables() -> None:
    with pytest.raises(ConfigError) as info:
        parse_subscriptions(EXAMPLE.read_text(encoding="utf-8"), {}, "example.yaml")
    assert info.value.errors == [
        "example.yaml: subscribers[0] (HRZDWYWHXT): secret: "
        "environment variable HRZDWYWHXT_SECRET is not set",
        "example.yaml: subscribers[1] (DEMOB): secret: environment variable DEMOB_SECRET is not set",
    ]


# ---------------------------------------------------------------- valid variations


def test_minimal_entry_defaults() -> None:
    (sub,) = parse(entry())
    assert (sub.name, sub.enabled, sub.mask, sub.retry) == ("HRZDWYWHXT", True, (), None)
    assert sub.community_ids == set()
    assert sub.secret_hash == HASH  # a ready hash is kept, not re-hashed


def test_env_expansion_inside_a_longer_value() -> None:
    (sub,) = parse(entry('secret: "pre-${A}-${B}"', drop=("secretHash",)), {"A": "x", "B": "y"})
    assert verify_secret("pre-x-y", sub.secret_hash)


def test_scalars_are_kept_as_written() -> None:
    (sub,) = parse(
        entry("enabled: false", drop=("changeIds", "scope", "dataAreas"))
        + "    changeIds: [1, 10, 8]\n"
        + "    scope: {organIds: [0671024], communityIds: [139912543382896]}\n"
        + "    dataAreas: [10008, yes]\n"
    )
    assert sub.change_ids == {"1", "10", "8"}
    assert sub.data_areas == {"10008", "yes"}  # not the boolean True
    assert sub.organ_ids == {"0671024"}  # not the octal integer 225812
    assert sub.community_ids == {"139912543382896"}
    assert sub.enabled is False


@pytest.mark.parametrize(
    ("initial", "seconds"),
    [("500ms", 0.5), ("1s", 1.0), ("5m", 300.0), ("1h", 3600.0), ("2", 2.0), ("1.5", 1.5), ("2.5s", 2.5)],
)
def test_durations(initial: str, seconds: float) -> None:
    (sub,) = parse(entry(f"retry: {{attempts: 3, initial: {initial}, max: 2h}}"))
    assert sub.retry == RetryPolicy(attempts=3, initial=seconds, max=7200.0)


def test_empty_subscriber_list_is_allowed() -> None:
    assert parse("subscribers: []\n") == []


def test_nothing_is_hashed_when_the_file_is_invalid(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(secret: str) -> str:
        raise AssertionError("hashed although the file is invalid")

    monkeypatch.setattr(subscriptions_module, "hash_secret", refuse)
    text = entry("secret: ${HRZDWYWHXT_SECRET}", drop=("secretHash",)) + "  - baseCode: X\n"
    assert len(errors_of(text)) == 4


# ---------------------------------------------------------------- errors, exactly


BAD_FILE = """\
subscribers:
  - baseCode: HRZDWYWHXT
    secret: ${HRZDWYWHXT_SECRET}
    dataAreas: [fwwt]
    changeIds: ["1", "2", "3", "11"]
    scope: {organIds: ["671024"]}
  - baseCode: HR Z
    name: [1]
    secretHash: abc
    secret: x
    dataArea: [fwwt]
    changeIds: [1, 11, "*"]
    scope: {organId: [1]}
    mask: ["a..b", "x[]y"]
    enabled: maybe
    retry: {attempts: 0, initial: 5x, maxx: 1}
  - baseCode: HRZDWYWHXT
    secret: ${NOPE}${NOPE2}
    dataAreas: fwwt
    changeIds: []
    scope: {organIds: [0671024], organIds: [1]}
    retry: {attempts: 2, initial: 5m, max: 1s}
  - 7
  - name: anonymous
    secret: ""
    dataAreas: ["*", fwwt, " "]
    changeIds: ["*"]
    scope: []
    mask: contactTel
    retry: 3
"""

BAD_FILE_ERRORS = [
    f'{SRC}: line 21: duplicate key "organIds"',
    f'{SRC}: subscribers[0] (HRZDWYWHXT): changeIds: "11" {NOT_A_KIND}',
    f'{SRC}: subscribers[1]: baseCode: "HR Z" must be 1-64 characters of A-Z a-z 0-9 _ - '
    "(it names the topic wo.push.<baseCode>)",
    f"{SRC}: subscribers[1]: name: must be a string",
    f"{SRC}: subscribers[1]: secretHash: give either secret or secretHash, not both",
    f"{SRC}: subscribers[1]: dataAreas: required",
    f'{SRC}: subscribers[1]: changeIds: "11" {NOT_A_KIND}',
    f'{SRC}: subscribers[1]: changeIds: "*" must be the only item',
    f'{SRC}: subscribers[1]: scope.organId: unknown key (did you mean "organIds"?)',
    f'{SRC}: subscribers[1]: mask: "a..b" {NOT_A_PATH}',
    f'{SRC}: subscribers[1]: mask: "x[]y" {NOT_A_PATH}',
    f'{SRC}: subscribers[1]: enabled: "maybe" must be true or false',
    f'{SRC}: subscribers[1]: retry.attempts: "0" must be a whole number ≥ 1',
    f'{SRC}: subscribers[1]: retry.initial: "5x" {NOT_A_DURATION}',
    f"{SRC}: subscribers[1]: retry.max: required",
    f'{SRC}: subscribers[1]: retry.maxx: unknown key (did you mean "max"?)',
    f'{SRC}: subscribers[1]: dataArea: unknown key (did you mean "dataAreas"?)',
    f"{SRC}: subscribers[2] (HRZDWYWHXT): secret: environment variable NOPE is not set",
    f"{SRC}: subscribers[2] (HRZDWYWHXT): secret: environment variable NOPE2 is not set",
    f"{SRC}: subscribers[2] (HRZDWYWHXT): dataAreas: must be a non-empty list",
    f"{SRC}: subscribers[2] (HRZDWYWHXT): changeIds: must be a non-empty list",
    f"{SRC}: subscribers[2] (HRZDWYWHXT): retry: initial (300s) must not exceed max (1s)",
    f'{SRC}: subscribers[2] (HRZDWYWHXT): baseCode: "HRZDWYWHXT" is already used by subscribers[0]',
    f"{SRC}: subscribers[3]: must be a mapping",
    f"{SRC}: subscribers[4]: baseCode: required",
    f"{SRC}: subscribers[4]: secret: must not be empty",
    f'{SRC}: subscribers[4]: dataAreas: "*" must be the only item',
    f'{SRC}: subscribers[4]: dataAreas: " " is not a data-area code',
    f"{SRC}: subscribers[4]: scope: must be a mapping with organIds and/or communityIds",
    f"{SRC}: subscribers[4]: mask: must be a list of field paths",
    f"{SRC}: subscribers[4]: retry: must be a mapping with attempts, initial and max",
]


def test_every_error_of_a_bad_file_is_listed() -> None:
    assert errors_of(BAD_FILE) == BAD_FILE_ERRORS


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        ("", ['the top level must be a mapping with a "subscribers" list']),
        ("- baseCode: X\n", ['the top level must be a mapping with a "subscribers" list']),
        (
            "subscriber: []\n",
            ["subscribers: required", 'subscriber: unknown key (did you mean "subscribers"?)'],
        ),
        ("other: 1\n", ["subscribers: required", "other: unknown key"]),
        ("subscribers: {}\n", ["subscribers: must be a list of subscriber entries"]),
        (
            "subscribers: [\n",
            [
                "invalid YAML: while parsing a flow node, expected the node content, "
                "but found '<stream end>' (line 2, column 1)"
            ],
        ),
        (
            "a: 1\n---\nb: 2\n",
            [
                "invalid YAML: expected a single document in the stream, but found another document "
                "(line 2, column 1)"
            ],
        ),
    ],
)
def test_file_level_errors(text: str, messages: list[str]) -> None:
    assert errors_of(text) == [f"{SRC}: {message}" for message in messages]


P = f"{SRC}: subscribers[0] (HRZDWYWHXT)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (entry(drop=("secretHash",)), "secret: required (or secretHash)"),
        (entry("secret: [a]", drop=("secretHash",)), "secret: must be a string"),
        (entry("secret: ${EMPTY}", drop=("secretHash",)), "secret: must not be empty"),
        (entry(drop=("dataAreas",)), "dataAreas: required"),
        (entry("dataAreas: [[fwwt]]", drop=("dataAreas",)), "dataAreas: a list is not a data-area code"),
        (entry(drop=("scope",)), 'scope: required (organIds: ["*"] means all organisations)'),
        (entry('scope: {organIds: [" 1"]}', drop=("scope",)), 'scope.organIds: " 1" is not an id'),
        (entry("scope: {communityIds: x}", drop=("scope",)), "scope.communityIds: must be a list"),
        (
            entry('scope: {organIds: ["*", "1"]}', drop=("scope",)),
            'scope.organIds: "*" must be the only item',
        ),
        (entry('changeIds: ["0"]', drop=("changeIds",)), f'changeIds: "0" {NOT_A_KIND}'),
        (entry('changeIds: ["01"]', drop=("changeIds",)), f'changeIds: "01" {NOT_A_KIND}'),
        (entry("name: {a: 1}"), "name: must be a string"),
        (entry('mask: [""]'), f'mask: "" {NOT_A_PATH}'),
        (entry('mask: ["a[][]"]'), f'mask: "a[][]" {NOT_A_PATH}'),
        (
            entry("retry: {attempts: x, initial: 1s, max: 1s}"),
            'retry.attempts: "x" must be a whole number ≥ 1',
        ),
        (entry("retry: {attempts: 1, initial: 0s, max: 1s}"), f'retry.initial: "0s" {NOT_A_DURATION}'),
        (entry("retry: {attempts: 1, initial: 1s, max: 1d}"), f'retry.max: "1d" {NOT_A_DURATION}'),
        (
            entry("secretHash: x", drop=("secretHash",)),
            "secretHash: is not a hash made by wostream "
            "(pbkdf2_sha256$<iterations>$<salt>$<hash> or hmac_sha256$<salt>$<hash>)",
        ),
    ],
)
def test_one_error_each(text: str, message: str) -> None:
    assert errors_of(text, {"EMPTY": ""}) == [f"{P}: {message}"]


def test_both_secrets_name_the_hash_too_many_and_still_check_the_secret() -> None:
    assert errors_of(entry("secret: ${NOPE}")) == [
        f"{P}: secret: environment variable NOPE is not set",
        f"{P}: secretHash: give either secret or secretHash, not both",
    ]


def test_no_secret_ever_appears_in_an_error() -> None:
    pasted = "my-clear-secret-pasted-by-mistake"
    text = entry(f"secretHash: {pasted}", drop=("secretHash",)) + "    bogus: 1\n"
    message = str(errors_of(text, {"X": pasted}))
    assert pasted not in message
    env_secret = errors_of(entry("secret: ${S}\nbogus: 1", drop=("secretHash",)), {"S": SECRET})
    assert env_secret == [f"{P}: bogus: unknown key"]


def test_a_bad_yaml_line_holding_a_secret_is_not_quoted() -> None:
    (message,) = errors_of(f"subscribers:\n  - secret: {SECRET}: nested\n")
    assert SECRET not in message
    assert message == f"{SRC}: invalid YAML: mapping values are not allowed here (line 2, column 29)"


def test_public_view_has_no_secret_hash() -> None:
    (sub,) = parse(entry())
    view = public_view(sub)
    assert "secretHash" not in view and HASH not in json.dumps(view)
    assert view == {
        "baseCode": "HRZDWYWHXT",
        "name": "HRZDWYWHXT",
        "dataAreas": ["fwwt"],
        "changeIds": ["1"],
        "scope": {"organIds": ["671024"], "communityIds": []},
        "mask": [],
        "enabled": True,
        "paused": False,
    }


def test_change_ids_are_ordered_numerically() -> None:
    (sub,) = parse(entry('changeIds: ["10", "2", "1"]', drop=("changeIds",)))
    assert public_view(sub)["changeIds"] == ["1", "2", "10"]


def test_paused_is_a_flag_that_defaults_to_false() -> None:
    (sub,) = parse(entry("paused: true"))
    assert (sub.enabled, sub.paused) == (True, True)
    (sub,) = parse(entry())
    assert sub.paused is False
    with pytest.raises(ConfigError) as info:
        parse(entry("paused: later"))
    assert info.value.errors == [f'{SRC}: subscribers[0] (HRZDWYWHXT): paused: "later" must be true or false']
