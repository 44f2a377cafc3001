"""The values enrichment and masking look into: one walk, so an id is filled wherever a field could be masked.

From a field's value: an object is visited; each entry of an array is walked (arrays in arrays too); a string
holding JSON text (a producer's stringified `currentUser`) is read, walked, and written back as a string when
something changed inside. Nothing is mutated, and an unchanged value comes back as the same object, so callers
can tell and share it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simplejson

from wostream.core.jsontext import escape_lone_surrogates
from wostream.core.keys import Keys

Visit = Callable[[dict[str, Any]], dict[str, Any]]  # an object -> itself, or a changed copy


def walk(value: Any, visit: Visit, keys: Keys) -> Any:
    """`value` with `visit` applied to every object it holds at its own level; the same object if unchanged
    (an object's own fields are the visitor's to follow)."""
    if isinstance(value, dict):
        return visit(value)
    if isinstance(value, list):
        new = [walk(item, visit, keys) for item in value]
        return value if all(a is b for a, b in zip(new, value, strict=True)) else new
    if isinstance(value, str):
        inner = keys.json_in(value)
        if inner is None:
            return value
        changed = walk(inner, visit, keys)
        return value if changed is inner else _json_text(changed)
    return value


def _json_text(value: Any) -> str:
    """A changed JSON-text value written back: numbers as received, characters unescaped but for lone
    surrogates (the envelope's rule, `routing.envelope`)."""
    text: str = simplejson.dumps(value, ensure_ascii=False, use_decimal=True)
    return escape_lone_surrogates(text)
