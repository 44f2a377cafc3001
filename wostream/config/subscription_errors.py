"""Pydantic's validation errors, read back as the operator-facing lines of `config.subscriptions`.

The messages are a contract (operators grep them, tests pin them), so validators raise `problem(...)` with
our exact words and this module only adds where: `<prefix>: <key path>: <text>`. Pydantic's own errors are
used for two things only: unknown keys (`extra_forbidden`, given a "did you mean" hint) and absent keys
(`missing`).

Pydantic reports a model's fields in declaration order and its unknown keys last; the lines are sorted back
into the order the checks were always listed in (see `_rank`), so a report reads like the file, top down.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

PROBLEM = "wostream_problem"
ACROSS_KEYS = "wostream_across_keys"
# Inside a nested mapping (scope, retry): its unknown keys, then missing keys, then values, then the checks
# that compare its keys. Ties keep pydantic's order: fields as declared, unknown keys as written.
_NESTED_RANK = {"unknown": 1, "missing": 2, "value": 3, "across": 4}


def problem(*texts: str) -> PydanticCustomError:
    """One or more problems of one value, in our words; the validator raises it, each text becomes a line.

    A validator can raise only one error, so several problems (two bad mask paths) travel joined by newlines.
    No text holds a newline of its own: values in it are shown as JSON. Without a context pydantic leaves the
    text as is, so braces in a shown value are not mistaken for placeholders.
    """
    return PydanticCustomError(PROBLEM, "\n".join(texts))


def across_keys(text: str) -> PydanticCustomError:
    """A check between keys of one mapping, raised by its last key's validator but reported on the mapping."""
    return PydanticCustomError(ACROSS_KEYS, text)


def show(value: Any) -> str:
    """A value as it should appear in a message: JSON for scalars, a type word for the rest."""
    if value is None or isinstance(value, str | int | float | bool):
        return json.dumps(value, ensure_ascii=False)
    return "a mapping" if isinstance(value, dict) else "a list" if isinstance(value, list) else "a value"


@dataclass(frozen=True)
class Layout:
    """How one model's errors are listed.

    `keys` is the report order of its top-level keys, the first `leading` of them before any unknown key (a
    wrong baseCode is the first thing to fix); `required` words a missing key where "required" alone would
    not tell the operator what to write.
    """

    model: type[BaseModel]
    keys: tuple[str, ...]
    leading: int = 0
    required: Mapping[str, str] = field(default_factory=dict)


def error_lines(error: ValidationError, prefix: str, layout: Layout) -> list[str]:
    """Every problem of one validation, one line each, in report order, each starting with `prefix`."""
    details = sorted(error.errors(include_url=False), key=lambda detail: _rank(detail, layout))
    return [f"{prefix}: {line}" for detail in details for line in _lines(detail, layout)]


def _kind(detail: ErrorDetails) -> str:
    kinds = {"extra_forbidden": "unknown", "missing": "missing", ACROSS_KEYS: "across"}
    return kinds.get(detail["type"], "value")


def _rank(detail: ErrorDetails, layout: Layout) -> tuple[int, int]:
    """Whole-value problems first; then the leading keys, unknown keys, the others in `layout.keys` order."""
    loc, kind = detail["loc"], _kind(detail)
    if not loc:
        return -1, 0
    if len(loc) == 1 and kind == "unknown":
        return layout.leading, 0
    index = layout.keys.index(str(loc[0]))
    top = index if index < layout.leading else index + 1
    return top, 0 if len(loc) == 1 else _NESTED_RANK[kind]


def _lines(detail: ErrorDetails, layout: Layout) -> list[str]:
    """`path: text` lines for one error; the path is the dotted key path, empty for the whole value."""
    loc = tuple(str(part) for part in detail["loc"])
    kind = _kind(detail)
    if kind == "across":
        loc = loc[:-1]
    path = ".".join(loc)
    if kind == "unknown":
        texts = ["unknown key" + _hint(loc, layout.model)]
    elif kind == "missing":
        texts = [layout.required.get(path, "required")]
    elif detail["type"] in (PROBLEM, ACROSS_KEYS):
        texts = detail["msg"].split("\n")
    else:  # pydantic's own words: a case no validator of ours covers (should not happen)
        texts = [detail["msg"]]
    return [f"{path}: {text}" if path else text for text in texts]


def _hint(loc: tuple[str, ...], model: type[BaseModel]) -> str:
    """` (did you mean "x"?)` with the closest allowed key of the mapping the unknown key is in, if any."""
    allowed = _keys(_model_at(model, loc[:-1]))
    close = difflib.get_close_matches(loc[-1], allowed, n=1)
    return f" (did you mean {show(close[0])}?)" if close else ""


def _keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _model_at(model: type[BaseModel], path: tuple[str, ...]) -> type[BaseModel]:
    """The nested model a key path leads to (`("retry",)` -> the retry model), through `X | None` too."""
    for key in path:
        (annotation,) = [
            info.annotation for name, info in model.model_fields.items() if (info.alias or name) == key
        ]
        model = next(
            arg
            for arg in (annotation, *get_args(annotation))
            if get_origin(arg) is None and isinstance(arg, type) and issubclass(arg, BaseModel)
        )
    return model
