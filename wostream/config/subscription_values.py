"""The value of each key of a subscription entry: one plain pydantic validator per key, in our words.

A file's scalars arrive as the text the operator wrote (the YAML loader keeps every scalar a string) and a
config-topic record's as JSON, so each validator accepts both, parses numbers and booleans itself, and raises
`problem(...)` with the exact message operators read (one line per problem, so a list names every bad item).
The `Annotated` types at the end attach them to the fields of `subscription_schema`'s models.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import PlainValidator

from wostream.config.subscription_errors import problem, show
from wostream.core.credentials import ALGORITHM, KEYED, looks_like_hash
from wostream.core.models import WILDCARD

BASE_CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
CHANGE_IDS = frozenset(str(n) for n in range(1, 11))
_MASK_PATH_RE = re.compile(r"[^.\[\]]+(\[\])?(\.[^.\[\]]+(\[\])?)*")
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h)?")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TRUE, _FALSE = frozenset({"true", "True", "TRUE"}), frozenset({"false", "False", "FALSE"})


def valid_base_code(value: Any) -> str | None:
    """The baseCode if `value` is a valid one; it names the entry in messages and must be unique in a file."""
    return value if isinstance(value, str) and BASE_CODE_RE.fullmatch(value) else None


# ---------------------------------------------------------------- one key each


def _base_code(value: Any) -> str:
    if value is None:  # a JSON null: as good as absent
        raise problem("required")
    code = valid_base_code(value)
    if code is None:
        raise problem(
            f"{show(value)} must be 1-64 characters of A-Z a-z 0-9 _ - "
            "(it names the topic wo.push.<baseCode>)"
        )
    return code


def _name(value: Any) -> str:
    if not isinstance(value, str):
        raise problem("must be a string")
    return value


def ready_hash(value: Any) -> str:
    """A ready hash: checked for shape, never echoed (a clear secret pasted here must not reach a log)."""
    if not looks_like_hash(value):
        raise problem(
            f"is not a hash made by wostream "
            f"({ALGORITHM}$<iterations>$<salt>$<hash> or {KEYED}$<salt>$<hash>)"
        )
    return str(value)


def expand_secret(value: Any, env: Mapping[str, str]) -> str:
    """`${VAR}` taken from the environment; every unset variable is named, the value never shown."""
    if not isinstance(value, str):
        raise problem("must be a string")
    unset = [name for name in dict.fromkeys(_ENV_RE.findall(value)) if name not in env]
    if unset:
        raise problem(*(f"environment variable {name} is not set" for name in unset))
    secret = _ENV_RE.sub(lambda match: env[match.group(1)], value)
    if not secret:
        raise problem("must not be empty")
    return secret


def _id_set(value: Any, check: Callable[[str], str | None], *, non_empty: bool) -> frozenset[str]:
    """A list of codes or ids, or ["*"]; YAML integers are accepted and kept as the text written."""
    if not isinstance(value, list) or (non_empty and not value):
        raise problem("must be a non-empty list" if non_empty else "must be a list")
    problems: list[str] = []
    items: list[str] = []
    for item in value:
        text = _scalar_text(item)
        found = f"{show(item)} is not a string" if text is None else check(text)
        if found is not None:
            problems.append(found)
        elif text is not None:
            items.append(text)
    if WILDCARD in items and len(set(items)) > 1:
        problems.append(f'"{WILDCARD}" must be the only item')
    if problems:
        raise problem(*problems)
    return frozenset(items)


def _change_id(text: str) -> str | None:
    if text in CHANGE_IDS or text == WILDCARD:
        return None
    return f'{show(text)} is not an event kind (1..10 or "*")'


def _non_blank(what: str) -> Callable[[str], str | None]:
    return lambda text: None if text and text.strip() == text else f"{show(text)} is not {what}"


_data_area, _id = _non_blank("a data-area code"), _non_blank("an id")


def _mask(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise problem("must be a list of field paths")
    bad = [item for item in value if not isinstance(item, str) or not _MASK_PATH_RE.fullmatch(item)]
    if bad:
        raise problem(
            *(
                f'{show(item)} is not a field path (names joined by ".", a list marked "[]", '
                "e.g. currentUser[].userTel)"
                for item in bad
            )
        )
    return tuple(dict.fromkeys(value))


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and (value in _TRUE or value in _FALSE):
        return value in _TRUE
    raise problem(f"{show(value)} must be true or false")


def _attempts(value: Any) -> int:
    text = _scalar_text(value)
    if text is None or not text.isascii() or not text.isdigit() or int(text) < 1:
        raise problem(f"{show(value)} must be a whole number ≥ 1")
    return int(text)


MAX_PARTITIONS = 64


def _partitions(value: Any) -> int:
    """Partitions of the subscriber's push topic: more lets more workers push to it at once."""
    text = _scalar_text(value)
    if text is None or not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_PARTITIONS:
        raise problem(f"{show(value)} must be a whole number from 1 to {MAX_PARTITIONS}")
    return int(text)


def _duration(value: Any) -> float:
    """Seconds from `500ms`, `1s`, `5m`, `1h` or a bare number of seconds; must be positive."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds: float | None = float(value)
    else:
        match = _DURATION_RE.fullmatch(value) if isinstance(value, str) else None
        seconds = None if match is None else float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds is None or not seconds > 0 or seconds == float("inf"):
        raise problem(f"{show(value)} is not a duration (e.g. 500ms, 1s, 5m, 1h or a number of seconds)")
    return seconds


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


BaseCode = Annotated[str, PlainValidator(_base_code)]
Name = Annotated[str | None, PlainValidator(_name)]
SecretHash = Annotated[str, PlainValidator(ready_hash)]
DataAreas = Annotated[frozenset[str], PlainValidator(lambda v: _id_set(v, _data_area, non_empty=True))]
ChangeIds = Annotated[frozenset[str], PlainValidator(lambda v: _id_set(v, _change_id, non_empty=True))]
Ids = Annotated[frozenset[str], PlainValidator(lambda v: _id_set(v, _id, non_empty=False))]
MaskPaths = Annotated[tuple[str, ...], PlainValidator(_mask)]
Flag = Annotated[bool, PlainValidator(_flag)]
Attempts = Annotated[int, PlainValidator(_attempts)]
Partitions = Annotated[int | None, PlainValidator(_partitions)]
Duration = Annotated[float, PlainValidator(_duration)]
