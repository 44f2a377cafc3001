"""What the operator files' schemas share: strict mappings, common value types, and errors in our words.

The rules are pydantic types and constraints. Where pydantic's own message would not tell an operator what to
write, the type says it itself (`says`); what is left (missing and unknown keys, a value of the wrong type) is
worded here by pydantic's error type (`error_lines`). Pydantic lists the errors of a mapping in the order its
keys are declared, then its unknown keys, and so do the messages: a schema declares its keys in the order an
operator should read about them. No message shows a value that may be a secret.

An operator's YAML is read with every scalar kept as the text written (`organIds: [0671024]` stays "0671024"
instead of becoming an octal integer), so a key that holds a number or true/false reads its own (`from_text`);
a record's JSON, which has them already, goes through the same types.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Annotated, Any, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError

OURS = "wostream"  # the error type of a message in our words
BASE_CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Pydantic's generic errors, in our words (a type's own words are given by `says`).
_WORDS = {
    "missing": "required",
    "model_type": "must be a mapping",
    "string_type": "must be a string",
    "frozen_set_type": "must be a list",
}
_BOOLEANS = dict.fromkeys(("true", "True", "TRUE"), True) | dict.fromkeys(("false", "False", "FALSE"), False)
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h)?")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


class Strict(BaseModel):
    """A mapping of an operator's file: camelCase keys, and unknown keys are errors (a typo must not silently
    widen or narrow a scope). Patterns are Python's `re` (`\\s` is what `str.strip` strips), anchored
    `^…\\Z` as pydantic searches. Inputs stay out of pydantic's own error text: they may be secrets."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        extra="forbid",
        frozen=True,
        hide_input_in_errors=True,
        regex_engine="python-re",
    )


# ---------------------------------------------------------------- errors in our words


def show(value: Any) -> str:
    """A value as it appears in a message: JSON for scalars, a type word for the rest."""
    if value is None or isinstance(value, str | int | float | bool):
        return json.dumps(value, ensure_ascii=False)
    return "a mapping" if isinstance(value, dict) else "a list" if isinstance(value, list) else "a value"


def problem(text: str) -> PydanticCustomError:
    """A problem in our words, listed as written. Without a context pydantic leaves the text as it is, so
    braces in a shown value are not taken for placeholders."""
    return PydanticCustomError(OURS, text)


def says(text: str) -> WrapValidator:
    """A type's message when its value fails as a whole (type, pattern, bounds): `text`, with `{}` standing
    for the value as JSON (left out for a value never to be shown).

    Errors of its items or keys pass through to be worded where they arise, each on its own line, and so do
    messages already in our words (a check between keys, an unset variable).
    """

    def reword(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            if any(error["loc"] or error["type"] == OURS for error in exc.errors()):
                raise
            raise problem(text.format(show(value))) from None

    return WrapValidator(reword)


def error_lines(error: ValidationError, model: type[BaseModel]) -> list[str]:
    """`<key path>: <text>` for each error of validating `model`, in pydantic's order (list indexes are left
    out of the path: an item is named by its value)."""
    lines = []
    for detail in error.errors(include_url=False):
        keys = tuple(part for part in detail["loc"] if isinstance(part, str))
        text = _text(detail, keys, model)
        lines.append(f"{'.'.join(keys)}: {text}" if keys else text)
    return lines


def _text(detail: ErrorDetails, keys: tuple[str, ...], model: type[BaseModel]) -> str:
    """Our words for one error. A missing key's description says what to write (`required (or secretHash)`);
    an unknown key gets the closest key of its mapping as a hint."""
    kind = detail["type"]
    if kind == OURS:
        return detail["msg"]
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(keys[-1], _fields(model, keys[:-1]), n=1)
        return "unknown key" + (f" (did you mean {show(close[0])}?)" if close else "")
    if kind == "missing" and (description := _fields(model, keys[:-1])[keys[-1]].description):
        return f"required ({description})"
    return _WORDS.get(kind, detail["msg"])


def _fields(model: type[BaseModel], keys: tuple[str, ...]) -> dict[str, FieldInfo]:
    """The fields, by key, of the mapping that `keys` lead to from `model` (through `X | None`)."""
    fields = {info.alias or name: info for name, info in model.model_fields.items()}
    for key in keys:
        annotation = fields[key].annotation
        nested = next(
            a for a in (annotation, *get_args(annotation)) if isinstance(a, type) and issubclass(a, BaseModel)
        )
        fields = {info.alias or name: info for name, info in nested.model_fields.items()}
    return fields


# ---------------------------------------------------------------- values read from text


def from_text(value: Any) -> Any:
    """A file's number or true/false is still the text written: `12`; `true`, `True` or `TRUE`. Anything
    else is left for the key's strict type to refuse (`1.5` for a whole number, `yes` for a flag)."""
    if isinstance(value, str):
        return int(value) if value.isascii() and value.isdigit() else _BOOLEANS.get(value, value)
    return value


def not_null(value: Any) -> Any:
    """Leaving a key out takes its default; a written null is not a way to leave it out but a wrong value."""
    if value is None:
        raise ValueError("null")  # worded by the key's type
    return value


def _seconds(value: Any) -> Any:
    """A duration's text as seconds: `500ms`, `1s`, `5m`, `1h` or a bare number."""
    match = _DURATION_RE.fullmatch(value) if isinstance(value, str) else None
    return value if match is None else float(match[1]) * _UNIT_SECONDS[match[2]]


BaseCode = Annotated[
    str,
    StringConstraints(pattern=rf"^{BASE_CODE_RE.pattern}\Z"),
    says("{} must be 1-64 characters of A-Z a-z 0-9 _ - (it names the topic wo.push.<baseCode>)"),
]
Flag = Annotated[StrictBool, BeforeValidator(from_text), says("{} must be true or false")]
Duration = Annotated[
    StrictFloat,
    Field(gt=0, allow_inf_nan=False),
    BeforeValidator(_seconds),
    says("{} is not a duration (e.g. 500ms, 1s, 5m, 1h or a number of seconds)"),
]
