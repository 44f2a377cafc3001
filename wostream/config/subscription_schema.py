"""One subscription entry as pydantic models: the operator's file (`FileEntry`) and a config-topic record
(`WireEntry`, the same shape with `secretHash` only).

Each key's value is checked by its validator in `subscription_values`; the models add what spans keys: unknown
keys (`extra="forbid"`), missing keys, exactly one of `secret`/`secretHash`, retry's initial ≤ max. Pydantic
collects every problem of an entry at once; `subscription_errors` lists them in our words and order.
Nothing here ever shows a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from wostream.config.subscription_errors import Layout, across_keys, problem
from wostream.config.subscription_values import (
    Attempts,
    BaseCode,
    ChangeIds,
    DataAreas,
    Duration,
    Flag,
    Ids,
    MaskPaths,
    Name,
    Partitions,
    SecretHash,
    expand_secret,
    ready_hash,
)
from wostream.core.models import RetryPolicy, Subscription

# The keys of an entry in report order (baseCode first, then unknown keys, then these).
ENTRY_KEYS = (
    "baseCode",
    "name",
    "secret",
    "secretHash",
    "dataAreas",
    "changeIds",
    "scope",
    "mask",
    "enabled",
    "paused",
    "retry",
    "partitions",
)


@dataclass
class FileContext:
    """What a file entry's validators need besides their own value (pydantic's validation context).

    `env` expands `${VAR}` in `secret`. `keys` are the keys the entry has, noted by `FileEntry` before its
    fields are checked: `secret` and `secretHash` are judged as a pair even when one of them is invalid.
    """

    env: Mapping[str, str]
    keys: frozenset[str] = frozenset()


# ---------------------------------------------------------------- the models


class _Strict(BaseModel):
    """Unknown keys are errors: a typo must not silently widen or narrow a scope. Inputs stay out of
    pydantic's own error text, as they may be secrets."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class Scope(_Strict):
    organ_ids: Ids = Field(frozenset(), alias="organIds")
    community_ids: Ids = Field(frozenset(), alias="communityIds")


class Retry(_Strict):
    """All three keys or none: a partial policy would silently mix in defaults nobody chose."""

    attempts: Attempts
    initial: Duration
    longest: Duration = Field(alias="max")

    @field_validator("longest")
    @classmethod
    def _initial_within_max(cls, longest: float, info: ValidationInfo) -> float:
        """On `max`, not after the whole model, so it is listed even when `attempts` or a key is wrong."""
        initial = info.data.get("initial")
        if initial is not None and initial > longest:
            raise across_keys(f"initial ({initial:g}s) must not exceed max ({longest:g}s)")
        return longest


class _Entry(_Strict):
    """What the file and a record share; the secret keys differ (see FileEntry and WireEntry)."""

    base_code: BaseCode = Field(alias="baseCode")
    name: Name = None
    data_areas: DataAreas = Field(alias="dataAreas")
    change_ids: ChangeIds = Field(alias="changeIds")
    scope: Scope
    mask: MaskPaths = ()
    enabled: Flag = True
    paused: Flag = False
    retry: Retry | None = None
    partitions: Partitions = None

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise problem("must be a mapping")
        return data

    @field_validator("scope", mode="before")
    @classmethod
    def _scope_a_mapping(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise problem("must be a mapping with organIds and/or communityIds")
        return value

    @field_validator("retry", mode="before")
    @classmethod
    def _retry_a_mapping(cls, value: Any) -> Any:
        """Also a written null: leaving retry out is how an operator asks for the defaults."""
        if not isinstance(value, dict):
            raise problem("must be a mapping with attempts, initial and max")
        return value

    def _subscription(self, secret_hash: str) -> Subscription:
        retry = self.retry
        return Subscription(
            base_code=self.base_code,
            name=self.base_code if self.name is None else self.name,
            secret_hash=secret_hash,
            data_areas=self.data_areas,
            change_ids=self.change_ids,
            organ_ids=self.scope.organ_ids,
            community_ids=self.scope.community_ids,
            mask=self.mask,
            enabled=self.enabled,
            retry=None if retry is None else RetryPolicy(retry.attempts, retry.initial, retry.longest),
            paused=self.paused,
            partitions=self.partitions,
        )


class WireEntry(_Entry):
    """A config-topic value: a ready `secretHash` only (a clear `secret` is an unknown key here)."""

    secret_hash: SecretHash = Field(alias="secretHash")

    def subscription(self) -> Subscription:
        return self._subscription(self.secret_hash)


class FileEntry(_Entry):
    """An entry of the operator's file: exactly one of a clear `secret` (`${VAR}` expanded) or a `secretHash`.

    Validate with `context=FileContext(env)`.
    """

    secret: str | None = Field(None, validate_default=True)
    secret_hash: str | None = Field(None, alias="secretHash")

    @model_validator(mode="before")
    @classmethod
    def _note_keys(cls, data: Any, info: ValidationInfo) -> Any:
        _file_context(info).keys = frozenset(data) if isinstance(data, dict) else frozenset()
        return data

    @field_validator("secret", mode="plain")
    @classmethod
    def _one_secret(cls, value: Any, info: ValidationInfo) -> str | None:
        """Both, neither, or a clear secret to expand; checked even when absent (`validate_default`)."""
        context = _file_context(info)
        if "secretHash" in context.keys:
            if "secret" in context.keys:
                raise problem("give either secret or secretHash, not both")
            return None
        if "secret" not in context.keys:
            raise problem("required (or secretHash)")
        return expand_secret(value, context.env)

    @field_validator("secret_hash", mode="plain")
    @classmethod
    def _hash_unless_both(cls, value: Any, info: ValidationInfo) -> str | None:
        """With both keys given, `secret` says so once; the hash is not judged on top."""
        return None if "secret" in _file_context(info).keys else ready_hash(value)

    def draft(self) -> tuple[Subscription, str | None]:
        """(the subscription, the clear secret still to hash) or (with its ready hash, None)."""
        return self._subscription(self.secret_hash or ""), self.secret


def _file_context(info: ValidationInfo) -> FileContext:
    if not isinstance(info.context, FileContext):
        raise TypeError("FileEntry is validated with context=FileContext(env)")
    return info.context


class SubscribersFile(_Strict):
    """The top level of the file; its entries are checked one by one, each named in its own messages."""

    subscribers: list[Any]

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise problem('the top level must be a mapping with a "subscribers" list')
        return data

    @field_validator("subscribers", mode="before")
    @classmethod
    def _a_list(cls, value: Any) -> Any:
        if not isinstance(value, list):
            raise problem("must be a list of subscriber entries")
        return value


_REQUIRED = {"scope": 'required (organIds: ["*"] means all organisations)'}
FILE_ENTRY = Layout(FileEntry, ENTRY_KEYS, leading=1, required=_REQUIRED)
WIRE_ENTRY = Layout(WireEntry, ENTRY_KEYS, leading=1, required=_REQUIRED)
TOP_LEVEL = Layout(SubscribersFile, ("subscribers",))
