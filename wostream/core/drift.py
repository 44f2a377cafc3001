"""Schema-drift counters: how far real bodies stray from the event tables, per changeId and field.

We forward bodies as received (lenient in, exact out), so the only place deviations become visible is
here: required fields that are missing, fields the tables do not know, and known fields under a variant
spelling. Distinct names per counter are capped, so a producer emitting random keys cannot grow memory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from wostream.core.catalogue import enrichment_rules, kind, norm
from wostream.core.keys import Groups, group, norm_name

MAX_NAMES = 200  # distinct field names kept per changeId and counter; the rest count under OTHER
MAX_NAME_LENGTH = 100
OTHER = "<other>"


def _filled_by_us() -> frozenset[str]:
    """`e…Id` targets: the tables mark some required, but routing fills them, so absence is no drift."""
    return frozenset(norm(rule.target) for rule in enrichment_rules() if rule.within is None)


class _KindCounts:
    def __init__(self) -> None:
        self.events = 0
        self.missing: Counter[str] = Counter()
        self.unknown: Counter[str] = Counter()
        self.variant: Counter[str] = Counter()


def _bump(counter: Counter[str], name: str) -> None:
    name = name if len(name) <= MAX_NAME_LENGTH else name[: MAX_NAME_LENGTH - 3] + "..."
    if name in counter or len(counter) < MAX_NAMES:
        counter[name] += 1
    else:
        counter[OTHER] += 1


def _numeric_first(change_id: str) -> tuple[bool, int, str]:
    return (not change_id.isdigit(), int(change_id) if change_id.isdigit() else 0, change_id)


class Drift:
    """Counts per changeId; not thread-safe (one per worker event loop)."""

    def __init__(self) -> None:
        self._kinds: dict[str, _KindCounts] = {}
        self._ours = _filled_by_us()

    def observe(self, change_id: str, body: Mapping[str, Any], groups: Groups | None = None) -> None:
        """Count one body; changeIds outside the catalogue only count as events, under OTHER. `groups`: the
        body's keys as intake grouped them (read once per event)."""
        spec = kind(change_id)
        counts = self._kinds.setdefault(change_id if spec is not None else OTHER, _KindCounts())
        counts.events += 1
        if spec is None:
            return
        seen = group(body) if groups is None else groups
        for lenient, spelled in seen.items():
            field = spec.by_norm.get(lenient)
            for key in map(str, spelled):  # plain str: a `Repeated` key is equal only to itself
                if field is None:
                    _bump(counts.unknown, key)
                elif key != field.name:
                    _bump(counts.variant, key)
        for field in spec.fields:
            lenient = norm_name(field.name)
            if field.required and lenient not in seen and lenient not in self._ours:
                _bump(counts.missing, field.name)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Plain JSON-able counts, changeIds in numeric order, names sorted."""
        out: dict[str, dict[str, Any]] = {}
        for change_id in sorted(self._kinds, key=_numeric_first):
            counts = self._kinds[change_id]
            out[change_id] = {
                "events": counts.events,
                "missing": dict(sorted(counts.missing.items())),
                "unknown": dict(sorted(counts.unknown.items())),
                "variant": dict(sorted(counts.variant.items())),
            }
        return out
