"""JSON text as producers write it: read and written back without losing what a plain dict would.

A key given twice in one object is valid JSON whose meaning RFC 8259 leaves to the reader. Routing reads few
fields, and the contract forwards the body as received, so every occurrence of a key must survive parsing,
each subscriber's copy and serialisation. A lone surrogate escape (`"\\udc80"`) is valid JSON too, yet cannot
be written as UTF-8: whatever JSON text we write escapes exactly those, and nothing else.
"""

from __future__ import annotations

import re
from typing import Any

import simplejson


class Repeated(str):
    """A later occurrence of a key the same object already holds.

    Equal only to itself, so a dict keeps it beside the first occurrence, in the order received: every
    `dict(...)` copy, key walk and simplejson serialisation then keeps both with no special case, while
    looking a name up finds the first. Its lenient identity (`norm`) is a plain str, so it groups with the
    other spellings of its field.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    def __hash__(self) -> int:
        return object.__hash__(self)


def object_of(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An `object_pairs_hook` keeping every occurrence of a key: later ones as `Repeated` keys."""
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj  # the common case: no key given twice
    obj = {}
    for key, value in pairs:
        obj[Repeated(key) if key in obj else key] = value
    return obj


def loads(text: str) -> Any:
    """Parse `text` as intake does: exact decimals, every occurrence of a key kept. Raises as simplejson."""
    return simplejson.loads(text, use_decimal=True, object_pairs_hook=object_of)


_CANONICAL = simplejson.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, use_decimal=True
)


def same(a: Any, b: Any) -> bool:
    """Whether two JSON values are the same value: same types, same text (`"1"` is not `1`, `1.0` not `1.00`);
    only the order of an object's keys does not matter."""
    return bool(_CANONICAL.encode(a) == _CANONICAL.encode(b))


_LONE_SURROGATE = re.compile("[\\ud800-\\udfff]")


def escape_lone_surrogates(text: str) -> str:
    """`text` (JSON text written with `ensure_ascii=False`) with each lone surrogate as its `\\u` escape.

    In JSON text written by simplejson every character beyond ASCII sits inside a string literal, where the
    escape means the same character: the value is unchanged and the text becomes valid UTF-8."""
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
