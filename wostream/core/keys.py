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

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from wostream.core.catalogue import norm
from wostream.core.jsontext import loads

MAX_JSON_TEXT = 1 << 20  # a string value is looked into as JSON up to this size (bounded by the event anyway)

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
        self._seen: dict[int, tuple[Mapping[str, Any], Groups]] = {}
        self._texts: dict[int, tuple[str, Any]] = {}

    def groups(self, obj: Mapping[str, Any]) -> Groups:
        found = self._seen.get(id(obj))
        if found is not None and found[0] is obj:
            return found[1]
        groups = group(obj)
        self._seen[id(obj)] = (obj, groups)
        return groups

    def spellings(self, obj: Mapping[str, Any], name: str) -> list[str]:
        """Every key of `obj` spelling `name` leniently, in the object's order."""
        return self.groups(obj).get(norm_name(name)) or []

    def find(self, obj: Mapping[str, Any], name: str) -> str | None:
        """The key of `obj` spelling `name`: the exact spelling if present, else the first lenient match."""
        if name in obj:
            return name
        spelled = self.groups(obj).get(norm_name(name))
        return spelled[0] if spelled else None

    def json_in(self, text: str) -> Any:
        """The object or array `text` holds as JSON text, or None for any other string. Read once per event
        and shared by every copy, so treat it as read-only."""
        found = self._texts.get(id(text))
        if found is not None and found[0] is text:
            return found[1]
        value = _json_in(text)
        self._texts[id(text)] = (text, value)
        return value


def _json_in(text: str) -> Any:
    if len(text) > MAX_JSON_TEXT or not text.lstrip().startswith(("{", "[")):
        return None
    try:
        value = loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict | list) else None
