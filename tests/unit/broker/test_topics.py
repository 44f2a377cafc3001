"""A CreateTopics answer's per-topic errors, which aiokafka returns without raising."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aiokafka.errors import TopicAlreadyExistsError, TopicAuthorizationFailedError

from wostream.broker.topics import refused


def answer(*errors: tuple[str, int, str]) -> SimpleNamespace:
    return SimpleNamespace(topic_errors=list(errors))


def test_a_topic_the_principal_may_not_create_is_an_error_at_once() -> None:
    said = r"creating topic wo\.push\.A: Authorization failed"
    with pytest.raises(TopicAuthorizationFailedError, match=said):
        refused(answer(("wo.dead.A", 0, ""), ("wo.push.A", 29, "Authorization failed.")))


def test_made_meanwhile_by_someone_else_or_made_now_is_fine() -> None:
    refused(answer(("a", 0, ""), ("b", TopicAlreadyExistsError.errno, "Topic 'b' already exists.")))
