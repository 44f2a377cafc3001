"""Settings as an operator writes them (a Deployment, an env file), and what it is told when one is wrong."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from wostream.config.settings import Settings, settings_problems


def wrong(monkeypatch: pytest.MonkeyPatch, **env: str) -> list[str]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises((ValidationError, ValueError)) as caught:
        Settings()
    problems = settings_problems(caught.value)
    assert problems is not None
    return problems


@pytest.mark.parametrize(
    ("written", "hosts"),
    [
        ("wostream-web,wostream-web.wostream.svc", ["wostream-web", "wostream-web.wostream.svc"]),
        (" a , b ,", ["a", "b"]),
        ('["a", "b"]', ["a", "b"]),
    ],
)
def test_allowed_hosts_are_a_comma_list_or_a_json_list(
    monkeypatch: pytest.MonkeyPatch, written: str, hosts: list[str]
) -> None:
    monkeypatch.setenv("WOSTREAM_WEB_ALLOWED_HOSTS", written)
    assert Settings().web_allowed_hosts == hosts


def test_a_wrong_setting_is_named_as_the_operator_wrote_it(monkeypatch: pytest.MonkeyPatch) -> None:
    assert wrong(monkeypatch, WOSTREAM_WEB_PORT="web") == [
        "WOSTREAM_WEB_PORT: Input should be a valid integer, unable to parse string as an integer"
    ]


def test_settings_that_do_not_fit_together_say_why(monkeypatch: pytest.MonkeyPatch) -> None:
    assert wrong(monkeypatch, WOSTREAM_KAFKA_SECURITY_PROTOCOL="SASL_SSL") == [
        "kafka_security_protocol SASL_SSL needs kafka_username and kafka_password (or kafka_password_file)"
    ]


def test_other_errors_are_not_taken_for_settings() -> None:
    assert settings_problems(RuntimeError("x")) is None


def test_each_role_names_the_consumer_groups_it_joins() -> None:
    """What admission asks the broker about; the deliver role never joins Faust's group."""
    joined = {role: Settings(app_id="ws", role=role).groups for role in ("route", "deliver", "all")}
    assert joined == {"route": ["ws"], "deliver": ["ws-deliver"], "all": ["ws", "ws-deliver"]}
