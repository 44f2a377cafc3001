"""One lenient reading of an event's keys, shared by every step that looks into its body.

Producers spell keys as they like (`userid`, `"hangRemark "`), so intake, drift, enrichment and masking all
match field names leniently (`catalogue.norm`). Each used to group a body's keys on its own, and enrichment
and masking did it again for every subscriber's copy: about a hundred case-folds per event for a body of
twenty keys. `Keys` groups each object of one event once, remembers it by identity (holding the object, so
an identity is never reused while remembered), and answers every later question from that grouping.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from wostream.core.catalogue import norm

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

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[int, tuple[Mapping[str, Any], Groups]] = {}

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
