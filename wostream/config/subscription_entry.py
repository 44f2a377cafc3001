"""One entry of the subscriptions file, and a config-topic record: the schema as pydantic types and models.

Each key's value is a type with its constraints and its message (`config.schema.says`); a rule that is not a
constraint is a small validator of its own: `${VAR}` expansion, a "*" among other items, initial ≤ max. The
keys are declared in the order their problems are listed. Nothing here ever shows a secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Self

from annotated_types import Ge, Interval, MinLen, Predicate
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictInt,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic_core import InitErrorDetails

from wostream.config.schema import BaseCode, Duration, Flag, Strict, from_text, not_null, problem, says
from wostream.core.credentials import ALGORITHM, KEYED, looks_like_hash
from wostream.core.models import WILDCARD, RetryPolicy, Subscription

Draft = tuple[Subscription, str | None]  # a subscription, and its clear secret still to hash (or None)
MAX_PARTITIONS = 64
_TRIMMED = r"^\S(?s:.*\S)?\Z"  # not blank, and no blanks around it
_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _set_of(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A list of codes or ids, or ["*"] for all; a record's JSON numbers count as the text a file holds."""
    if not isinstance(value, list):
        return handler(value)
    items = [str(item) if isinstance(item, int) and not isinstance(item, bool) else item for item in value]
    return frozenset({WILDCARD}) if items and all(item == WILDCARD for item in items) else handler(items)


def _alone(item: str) -> str:
    """A "*" among other items is its own item's problem, so it is listed with the other items' problems."""
    if item == WILDCARD:
        raise problem(f'"{WILDCARD}" must be the only item')
    return item


def _expand(value: str, info: ValidationInfo) -> str:
    """`${VAR}` from the environment, given as the validation context; each unset variable is named on its own
    line, and the value is never shown."""
    env = info.context
    if not isinstance(env, Mapping):
        raise TypeError("a subscriptions file is validated with context=<the environment>")
    unset = [name for name in dict.fromkeys(_ENV_RE.findall(value)) if name not in env]
    if unset:
        errors: list[InitErrorDetails] = [
            {"type": problem(f"environment variable {name} is not set"), "input": value} for name in unset
        ]
        raise ValidationError.from_exception_data("secret", errors)
    secret = _ENV_RE.sub(lambda match: env[match[1]], value)
    if not secret:
        raise problem("must not be empty")
    return secret


# ---------------------------------------------------------------- the value of each key

Name = Annotated[str | None, BeforeValidator(not_null), says("must be a string")]
Secret = Annotated[str, AfterValidator(_expand)]
SecretHash = Annotated[
    str,
    Predicate(looks_like_hash),  # never shown: a clear secret pasted here must not reach a log
    says(f"is not a hash made by wostream ({ALGORITHM}$<iterations>$<salt>$<hash> or {KEYED}$<salt>$<hash>)"),
]
DataArea = Annotated[
    str, StringConstraints(pattern=_TRIMMED), says("{} is not a data-area code"), AfterValidator(_alone)
]
EventKind = Annotated[
    str,
    StringConstraints(pattern=r"^(?:[1-9]|10|\*)\Z"),
    says('{} is not an event kind (1..10 or "*")'),
    AfterValidator(_alone),
]
Id = Annotated[str, StringConstraints(pattern=_TRIMMED), says("{} is not an id"), AfterValidator(_alone)]
DataAreas = Annotated[
    frozenset[DataArea], MinLen(1), says("must be a non-empty list"), WrapValidator(_set_of)
]
ChangeIds = Annotated[
    frozenset[EventKind], MinLen(1), says("must be a non-empty list"), WrapValidator(_set_of)
]
Ids = Annotated[frozenset[Id], WrapValidator(_set_of)]
MaskPath = Annotated[
    str,
    StringConstraints(pattern=r"^[^.\[\]]+(\[\])?(\.[^.\[\]]+(\[\])?)*\Z"),
    says('{} is not a field path (names joined by ".", a list marked "[]", e.g. currentUser[].userTel)'),
]
Mask = Annotated[
    tuple[MaskPath, ...],
    says("must be a list of field paths"),
    AfterValidator(lambda paths: tuple(dict.fromkeys(paths))),
]
Attempts = Annotated[StrictInt, Ge(1), BeforeValidator(from_text), says("{} must be a whole number ≥ 1")]
Partitions = Annotated[
    StrictInt | None,
    Interval(ge=1, le=MAX_PARTITIONS),  # of the subscriber's push topic: more, and more workers push at once
    BeforeValidator(from_text),
    BeforeValidator(not_null),
    says(f"{{}} must be a whole number from 1 to {MAX_PARTITIONS}"),
]


# ---------------------------------------------------------------- the mappings


class Scope(Strict):
    organ_ids: Ids = frozenset()
    community_ids: Ids = frozenset()


class Retry(Strict):
    """All three keys or none: a partial policy would silently mix in defaults nobody chose."""

    attempts: Attempts
    initial: Duration
    max: Duration

    @model_validator(mode="after")
    def _initial_within_max(self) -> Self:
        """Between keys, so judged on a valid mapping: listed once attempts, initial and max are valid."""
        if self.initial > self.max:
            raise problem(f"initial ({self.initial:g}s) must not exceed max ({self.max:g}s)")
        return self


# An entry's keys are declared, so listed, in the order of its bases from the last: name, secret, routing.


class _Named(Strict):
    base_code: BaseCode
    name: Name = None


class _Routed(Strict):
    data_areas: DataAreas
    change_ids: ChangeIds
    scope: Annotated[Scope, says("must be a mapping with organIds and/or communityIds")] = Field(
        description='organIds: ["*"] means all organisations'  # told when it is missing: required (…)
    )
    mask: Mask = ()
    enabled: Flag = True
    paused: Flag = False
    retry: Annotated[
        Retry | None, BeforeValidator(not_null), says("must be a mapping with attempts, initial and max")
    ] = None
    partitions: Partitions = None


class _Hashed(Strict):
    secret_hash: SecretHash


class _Clear(Strict):
    secret: Secret = Field(description="or secretHash")  # told when it is missing: required (…)
    secret_hash: Annotated[None, says("give either secret or secretHash, not both")] = None


class WireEntry(_Routed, _Hashed, _Named):
    """A config-topic value, and an entry of the file with a ready `secretHash` (`secret` is unknown here)."""

    def draft(self) -> Draft:
        return _subscription(self, self.secret_hash), None


class FileEntry(_Routed, _Clear, _Named):
    """An entry of the file with a clear `secret`, `${VAR}` expanded: validate with context=environment."""

    def draft(self) -> Draft:
        return _subscription(self, ""), self.secret


def _subscription(entry: WireEntry | FileEntry, secret_hash: str) -> Subscription:
    retry = entry.retry
    return Subscription(
        base_code=entry.base_code,
        name=entry.base_code if entry.name is None else entry.name,
        secret_hash=secret_hash,
        data_areas=entry.data_areas,
        change_ids=entry.change_ids,
        organ_ids=entry.scope.organ_ids,
        community_ids=entry.scope.community_ids,
        mask=entry.mask,
        enabled=entry.enabled,
        retry=None if retry is None else RetryPolicy(retry.attempts, retry.initial, retry.max),
        paused=entry.paused,
        partitions=entry.partitions,
    )


def entry_model(raw: Any) -> type[WireEntry | FileEntry]:
    """The schema of a file's entry. Exactly one of `secret` and `secretHash`: an entry with a ready hash
    alone has a record's shape; any other is judged as giving a clear secret, so neither secret is a missing
    `secret` and both are a `secretHash` too many, each listed where it stands among the entry's problems."""
    hashed = isinstance(raw, dict) and "secretHash" in raw and "secret" not in raw
    return WireEntry if hashed else FileEntry
