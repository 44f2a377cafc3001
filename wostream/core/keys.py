"""One lenient reading of an event's keys, shared by every step that looks into its body.

Producers spell keys as they like (`userid`, `"hangRemark "`), so intake, drift, enrichment and masking all
match field names leniently (`catalogue.norm`). Each used to group a body's keys on its own, and enrichment
and masking did it again for every subscriber's copy: about a hundred case-folds per event for a body of
twenty keys. `Keys` groups each object of one event once, remembers it by identity (holding the object, so
an identity is never reused while remembered), and answers every later question from that grouping. It also
reads once per event the JSON text a string value may hold (a stringified `currentUser`), which enrichment
and masking look into for every subscriber's copy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, TypeVar

from wostream.core.catalogue import norm
from wostream.core.jsontext import loads

MAX_JSON_TEXT = 1 << 20  # a string value is looked into as JSON up to this size (bounded by the event anyway)

T = TypeVar("T")
Groups = dict[str, list[str]]  # lenient identity -> every key of the object spelling it, in order


@lru_cache(maxsize=1024)
def norm_name(name: str) -> str:
    """`norm` of a name we look for (from the catalogue or a mask path: few, and asked for constantly)."""
    return norm(name)


def group(obj: Mapping[str, Any]) -> Groups:
    groups: Groups = {}
    for key in obj:
        if isinstance(key, str):
            groups.setdefault(norm(key), []).append(key)
    return groups


class Keys:
    """The key groups of the objects of one event (its envelope, its body, nested objects, copies)."""

    __slots__ = ("_seen", "_texts")

    def __init__(self) -> None:
        self._seen: dict[int, tuple[Any, Groups]] = {}
        self._texts: dict[int, tuple[Any, Any]] = {}

    def groups(self, obj: Mapping[str, Any]) -> Groups:
        return _once(self._seen, obj, group)

    def spellings(self, obj: Mapping[str, Any], name: str) -> list[str]:
        """Every key of `obj` spelling `name` leniently, in the object's order."""
        return self.groups(obj).get(norm_name(name)) or []

    def json_in(self, text: str) -> Any:
        """The object or array `text` holds as JSON text, or None for any other string. Read once per event
        and shared by every copy, so treat it as read-only."""
        return _once(self._texts, text, _json_in)


def _once(memo: dict[int, tuple[Any, T]], obj: Any, make: Callable[[Any], T]) -> T:
    """`make(obj)` computed once per object: remembered by identity, holding the object so that its identity
    is not reused by another while remembered."""
    found = memo.get(id(obj))
    if found is not None and found[0] is obj:
        return found[1]
    made = make(obj)
    memo[id(obj)] = (obj, made)
    return made


def _json_in(text: str) -> Any:
    if len(text) > MAX_JSON_TEXT or not text.lstrip().startswith(("{", "[")):
        return None
    try:
        value = loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict | list) else None
